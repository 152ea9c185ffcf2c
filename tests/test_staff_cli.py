"""The staff console's commands, run as a person would run them."""
import os
import subprocess
import sys

from clinic import PROJECT_ROOT
from tracker_events import Chat, save_conversations, sqlite_tracker_store


def staff(*args, env, stdin=None):
    return subprocess.run([sys.executable, "-m", "clinic.staff", *args], input=stdin, text=True, env=env,
                          cwd=PROJECT_ROOT, capture_output=True)


def test_the_first_admin_is_made_on_the_command_line(tmp_path):
    env = {**os.environ, "CLINIC_DB_URL": f"sqlite:///{tmp_path / 'clinic.db'}"}
    assert staff("has-accounts", env=env).returncode == 1
    short = staff("add-account", "admin", "--role", "admin", "--password-stdin", env=env, stdin="short\n")
    assert short.returncode == 1 and "at least 12 characters" in short.stderr
    made = staff("add-account", "Admin", "--role", "admin", "--password-stdin", env=env, stdin="a long enough password\n")
    assert made.returncode == 0 and "Created admin account 'admin'" in made.stdout
    assert staff("has-accounts", env=env).returncode == 0


def test_retention_says_how_many_conversations_it_deleted(tmp_path):
    path = tmp_path / "rasa.db"
    save_conversations(sqlite_tracker_store(path), {"old": Chat("2024-01-01").patient("hi", "greet"),
                                                    "older": Chat("2023-06-01").patient("hi", "greet"),
                                                    "recent": Chat("2026-11-23").patient("hi", "greet")})
    env = {**os.environ, "CLINIC_TRACKER_DB_URL": f"sqlite:///{path}"}
    done = staff("retention", "--days", "365", env=env)
    assert done.returncode == 0 and done.stdout.startswith("Deleted 2 conversations older than 365 days")
    assert staff("retention", "--days", "365", env=env).stdout.startswith("Deleted 0 conversations")
