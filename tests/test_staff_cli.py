"""The staff console's commands, run as a person would run them."""
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from clinic import PROJECT_ROOT
from clinic.staff.accounts import FREE_FAILURES, LoginThrottled, StaffAccounts
from clinic.staff.audit import AuditLog
from clinic.staff.reviews import ConversationReviews, Review
from clinic.db.tables import reviews_table
from clinic.requests.store import requests_table
from tracker_events import Chat, save_conversations, sqlite_tracker_store
from databases import migrate, migrated_store


def staff(*args, env, stdin=None):
    return subprocess.run([sys.executable, "-m", "clinic.staff", *args], input=stdin, text=True, env=env,
                          cwd=PROJECT_ROOT, capture_output=True)


def test_the_first_admin_is_made_on_the_command_line(tmp_path):
    env = {**os.environ, "CLINIC_DB_URL": migrate(f"sqlite:///{tmp_path / 'clinic.db'}")}
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
    env = {**os.environ, "CLINIC_TRACKER_DB_URL": f"sqlite:///{path}", "CLINIC_DB_URL": migrate(f"sqlite:///{tmp_path / 'c.db'}"),
           "CLINIC_LOG_DIR": str(tmp_path)}
    done = staff("retention", "--days", "365", env=env)
    assert done.returncode == 0 and done.stdout.startswith("Deleted 2 conversations older than 365 days")
    assert staff("retention", "--days", "365", env=env).stdout.startswith("Deleted 0 conversations")


def test_retention_also_deletes_old_requests_reviews_and_notes_but_never_an_unsent_notification(tmp_path):
    store = migrated_store(f"sqlite:///{tmp_path / 'clinic.db'}")
    reviews = ConversationReviews(store.engine)
    long_ago = datetime.now(timezone.utc) - timedelta(days=400)

    def request(kind, conversation, age=None, sent=True):
        made, _ = store.submit(kind, conversation, {"name": conversation, "phone": "555 0100"}, ["email"])
        store.update(made.reference, notes=f"called {conversation}")
        if sent:
            for item in store.due_outbox(at=datetime.now(timezone.utc) + timedelta(days=1)):
                store.mark_sent(item.id)
        if age:
            with store.engine.begin() as db:
                db.execute(requests_table.update().where(requests_table.c.id == made.id).values(updated_at=age))
        return made

    old_booking, old_callback = request("booking", "a", long_ago), request("callback", "b", long_ago)
    new_booking = request("booking", "c")
    unsent = request("callback", "d", long_ago, sent=False)
    reviews.save("a", Review(True, ("billing",), "patient asked about cost"), "sam")
    reviews.save("c", Review(True, (), "fine"), "sam")
    with store.engine.begin() as db:
        db.execute(reviews_table.update().where(reviews_table.c.conversation_id == "a").values(updated_at=long_ago))

    env = {**os.environ, "CLINIC_DB_URL": store.engine.url.render_as_string(hide_password=False),
           "CLINIC_TRACKER_DB_URL": f"sqlite:///{tmp_path / 'rasa.db'}", "CLINIC_LOG_DIR": str(tmp_path)}
    done = staff("retention", "--days", "365", env=env)
    assert done.returncode == 0, done.stderr
    assert ("1 booking request, 1 callback request, 0 safety alerts and 1 review (with their notes)"
            in done.stdout), done.stdout
    assert "Kept 1 request whose email or webhook to the clinic is not sent yet" in done.stdout
    assert store.get(old_booking.reference) is None and store.get(old_callback.reference) is None
    assert store.get(new_booking.reference).notes and store.get(unsent.reference) is not None
    assert store.outbox_status(unsent.reference) == {"email": "pending"}
    assert reviews.get("a") == Review() and reviews.get("c").notes == "fine"


def test_retention_also_deletes_log_lines_older_than_the_period_while_the_processes_write_on(tmp_path):
    logs, now = tmp_path / "logs", datetime.now()  # local time, as the processes write it

    def line(days_ago, message, **fields):
        at = (now - timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M:%S,123")
        return json.dumps({"time": at, "level": "INFO", "service": "actions", "logger": "actions.safety",
                           "message": message, **fields}) + "\n"

    def nginx(days_ago):
        at = (datetime.now(timezone.utc) - timedelta(days=days_ago)).isoformat(timespec="seconds")
        return f'{{"time":"{at}","service":"nginx","status":200}}\n'

    logs.mkdir()
    old = line(400, "red flag escalated", conversation_id="patient-old") + "Traceback (most recent call last):\n"
    recent = line(2, "red flag escalated", conversation_id="patient-new") + "a warning printed with no time\n"
    (logs / "actions.log").write_text(old + recent)
    rotated = logs / "actions.log.1"
    rotated.write_text(line(500, "safety alert stored", conversation_id="patient-older"))
    long_ago = (now - timedelta(days=499)).timestamp()
    os.utime(rotated, (long_ago, long_ago))
    served_yesterday = nginx(1)
    (logs / "nginx.log").write_text(nginx(400) + served_yesterday)
    (logs / "notes.txt").write_text(line(400, "not a log of the clinic's processes"))
    env = {**os.environ, "CLINIC_DB_URL": migrate(f"sqlite:///{tmp_path / 'clinic.db'}"),
           "CLINIC_TRACKER_DB_URL": f"sqlite:///{tmp_path / 'rasa.db'}", "CLINIC_LOG_DIR": str(logs)}

    with (logs / "actions.log").open("a") as supervisord:  # holds the file open, as for a running process
        done = staff("retention", "--days", "365", env=env)
        supervisord.write(line(0, "written after retention"))
    assert done.returncode == 0, done.stderr
    assert f"Deleted 4 log lines written before then from the clinic's logs in {logs}." in done.stdout
    assert (logs / "actions.log").read_text() == recent + line(0, "written after retention")
    assert not rotated.exists()
    assert (logs / "nginx.log").read_text() == served_yesterday
    assert "not a log" in (logs / "notes.txt").read_text()
    assert "Deleted 0 log lines" in staff("retention", "--days", "365", env=env).stdout


def test_an_admin_disables_enables_resets_sets_roles_and_lifts_waits_from_the_shell_and_each_is_audited(tmp_path):
    store = migrated_store(f"sqlite:///{tmp_path / 'clinic.db'}")
    accounts = StaffAccounts(store.engine)
    accounts.create("sam", "the old long password")
    env = {**os.environ, "CLINIC_DB_URL": migrate(f"sqlite:///{tmp_path / 'clinic.db'}")}
    token = accounts.log_in("sam", "the old long password", "10.0.0.5")

    assert staff("disable-account", "Sam", env=env).returncode == 0
    assert accounts.session(token) is None  # signed out at once
    assert accounts.log_in("sam", "the old long password", "10.0.0.6") is None
    assert accounts.disabled() == ["sam"]
    assert staff("enable-account", "sam", env=env).returncode == 0
    assert accounts.log_in("sam", "the old long password", "10.0.0.6")

    token = accounts.log_in("sam", "the old long password", "10.0.0.6")
    reset = staff("reset-password", "sam", "--password-stdin", env=env, stdin="a brand new password\n")
    assert reset.returncode == 0 and "sessions have ended" in reset.stdout
    assert accounts.session(token) is None
    assert accounts.log_in("sam", "the old long password", "10.0.0.7") is None
    assert accounts.log_in("sam", "a brand new password", "10.0.0.7")

    for _ in range(FREE_FAILURES):
        accounts.log_in("sam", "a wrong guess", "10.0.0.8")
    with pytest.raises(LoginThrottled):
        accounts.log_in("sam", "a brand new password", "10.0.0.8")
    lifted = staff("lift-waits", "--address", "10.0.0.8", env=env)
    assert lifted.returncode == 0 and f"Forgot {FREE_FAILURES} failed logins" in lifted.stdout
    assert accounts.log_in("sam", "a brand new password", "10.0.0.8")

    token = accounts.log_in("sam", "a brand new password", "10.0.0.9")
    promoted = staff("set-role", "sam", "trainer", env=env)
    assert promoted.returncode == 0 and "'sam' is now trainer (was staff)" in promoted.stdout
    assert accounts.session(token).can_teach  # at the next page, without logging in again
    assert staff("set-role", "sam", "boss", env=env).returncode == 2  # not a role

    unknown = staff("disable-account", "nobody", env=env)
    assert unknown.returncode == 1 and "there is no account 'nobody'" in unknown.stderr
    actions = [(row.action, row.target) for row in AuditLog(store.engine).entries()]
    for action, target in [("account_disabled", "sam"), ("account_enabled", "sam"), ("password_reset", "sam"),
                           ("login_waits_lifted", "address 10.0.0.8"),
                           ("role_changed", "sam: staff→trainer")]:
        assert (action, target) in actions
    assert all(row.username.startswith("shell:") for row in AuditLog(store.engine).entries())
