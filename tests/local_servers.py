"""Real servers on this machine for tests: free ports, an SMTP mailbox and the
whole assistant (action server, Rasa server, demo clinic page)."""
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from clinic import PROJECT_ROOT

BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get("CLINIC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CHANNEL_SECRET = "test-secret-for-the-patient-channel-0123456789"
API_SECRET = "test-secret-for-rasa-http-api-0123456789abcdef"
ACTION_SERVER_SECRET = "test-secret-for-the-action-server-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.messages = []  # (recipients, message text)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


def start_smtp_server() -> tuple[Controller, Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, mailbox


def require_postgres() -> None:
    """Skips a PostgreSQL test where no server runs, except in CI, where that is a failure."""
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL} in CI")
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}")


def postgres_available() -> bool:
    try:
        with create_engine(POSTGRES_URL).connect() as db:
            db.execute(text("select 1"))
        return True
    except Exception:
        return False


def wait_for(url, process, seconds=180):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(1)
    raise TimeoutError(url)


@contextlib.contextmanager
def running_assistant(model, workdir: Path, clinic_env: dict, extra_env: dict | None = None,
                      credentials: str = "tests/credentials.yml", endpoints: str | None = None):
    """Starts the three processes of `make run` on free ports, as `make run` does
    (the clinic's launchers, loopback, secrets in the environment); yields their addresses.

    `credentials` defaults to the tests' own file, which adds Rasa's `rest` channel.
    `endpoints` names an endpoints file whose ${CLINIC_ACTION_SERVER_URL} is this
    run's action server (deploy/endpoints.yml); by default a SQLite tracker store.
    """
    action_port, rasa_port, site_port = free_port(), free_port(), free_port()
    site = f"http://127.0.0.1:{site_port}"
    env = {**os.environ, **clinic_env, "CLINIC_CHANNEL_SECRET": CHANNEL_SECRET, "CLINIC_WIDGET_ORIGINS": site,
           "CLINIC_API_JWT_SECRET": API_SECRET, "CLINIC_ACTION_SERVER_SECRET": ACTION_SERVER_SECRET,
           "CLINIC_ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
           "CLINIC_WEB_LIMIT_PER_IP": "100/minute", "CLINIC_WEB_LIMIT_PER_SESSION": "20/minute", **(extra_env or {})}
    if endpoints is None:
        endpoints = workdir / "endpoints.yml"
        endpoints.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
            f'  headers:\n    Authorization: Bearer ${{CLINIC_ACTION_SERVER_SECRET}}\n'
            f'  enable_selective_domain: true\n'
            f'tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: "{workdir / "rasa.db"}"\n'
        )
    commands = {
        "actions": [BIN / "python", "-m", "clinic.servers.actions", "--port", str(action_port)],
        "rasa": [BIN / "python", "-m", "clinic.servers.assistant", "--model", str(model), "--port", str(rasa_port),
                 "--credentials", credentials, "--endpoints", str(endpoints)],
        "demo_site": [BIN / "python", "-m", "clinic.devtools.demo_site", "--port", str(site_port),
                      "--bot-url", f"http://127.0.0.1:{rasa_port}"],
    }
    subprocess.run([str(BIN / "python"), "-m", "clinic.db.migrate"], env=env, cwd=PROJECT_ROOT, check=True,
                   capture_output=True)  # as make run does first
    processes = {}
    try:
        for name, command in commands.items():
            with open(workdir / f"{name}.log", "w") as log:
                processes[name] = subprocess.Popen([str(part) for part in command], env=env, cwd=PROJECT_ROOT,
                                                   stdout=log, stderr=subprocess.STDOUT)
        wait_for(f"http://127.0.0.1:{action_port}/health", processes["actions"])
        wait_for(f"http://127.0.0.1:{rasa_port}/", processes["rasa"])
        wait_for(f"{site}/", processes["demo_site"])
        yield {"rest": f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook", "rasa": f"http://127.0.0.1:{rasa_port}",
               "channel": f"http://127.0.0.1:{rasa_port}/webhooks/clinic_web",
               "actions": f"http://127.0.0.1:{action_port}",
               "site": site, "tracker_store": workdir / "rasa.db", "logs": workdir,
               "pids": {name: process.pid for name, process in processes.items()}}
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(30)
