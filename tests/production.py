"""The production topology (`make prod`: scripts/prod.sh) started for real on free ports,
with its own PostgreSQL database, a test mailbox and a webhook receiver that can hold a call."""
import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import create_engine, text

from clinic import PROJECT_ROOT
from clinic.operations.metrics import monitoring_headers
from local_servers import (
    ACTION_SERVER_SECRET, API_SECRET, BIN, CHANNEL_SECRET, POSTGRES_URL, free_port, start_smtp_server,
)

WEBHOOK_SECRET = "test-secret-for-the-clinic-webhook-0123456789"
METRICS_TOKEN = "test-token-for-the-clinic-monitoring-0123456789"
PROD_CONF = PROJECT_ROOT / "deploy" / "supervisor" / "prod.conf"


def supervised_programs(environ: dict, conf: Path = PROD_CONF) -> dict[str, tuple[list[str], dict]]:
    """{process name: (command, environment)} as supervisord reads `conf` (make prod's by default), for
    a test that starts one or two of its processes by themselves."""
    from supervisor.options import ServerOptions

    options = ServerOptions()
    options.environ_expansions = {f"ENV_{name}": value for name, value in environ.items()}
    options.realize(args=["-c", str(conf)])
    return {process.name: (shlex.split(process.command), {**environ, **(process.environment or {})})
            for group in options.process_group_configs for process in group.process_configs}


def consecutive_free_ports(count: int) -> int:
    """The first of `count` free ports in a row (the replicas listen on first, first + 1, ...)."""
    for _ in range(100):
        first = free_port()
        sockets = []
        try:
            for port in range(first, first + count):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                sockets.append(s)
            return first
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free ports in a row")


class WebhookReceiver:
    """Records each call's Idempotency-Key; `hold_next(kind)` keeps the next call about a
    request of that kind waiting until released."""

    def __init__(self):
        self.calls: list[str] = []
        self.hold_kind: str | None = None
        self.held = threading.Event()
        self.release = threading.Event()
        self.release.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.calls.append(self.headers["Idempotency-Key"])
                if body["kind"] == receiver.hold_kind:
                    receiver.hold_kind = None
                    receiver.held.set()
                    receiver.release.wait(120)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/clinic-requests"

    def hold_next(self, kind: str) -> None:
        self.held.clear()
        self.release.clear()
        self.hold_kind = kind


@dataclass
class Production:
    public: str  # nginx: the widget's channel is {public}/webhooks/clinic_web
    replicas: list[str]
    actions: str
    worker: str
    staff: str
    run_dir: Path
    log_dir: Path
    db_url: str  # the clinic's requests, outbox, staff tables
    tracker_url: str  # conversations
    mailbox: object
    webhook: WebhookReceiver
    environ: dict = field(repr=False, default_factory=dict)

    @property
    def channel(self) -> str:
        return f"{self.public}/webhooks/clinic_web"

    def supervisorctl(self, *args: str) -> str:
        return subprocess.run([BIN / "supervisorctl", "-s", f"unix://{self.run_dir}/supervisor.sock", *args],
                              capture_output=True, text=True, timeout=60).stdout.strip()

    def pid(self, program: str) -> int:
        return int(self.supervisorctl("pid", program))

    def kill(self, program: str) -> int:
        """kill -9 of a supervised process, returned once it is gone (its sockets closed: a message
        sent in the instant it dies is a different case, answered by nginx's 502, which the widget
        shows as its offline notice); returns the pid it had."""
        pid = self.pid(program)
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        return pid

    def wait_restarted(self, program: str, old_pid: int, ready_url: str | None = None, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pid = self.supervisorctl("pid", program)
            if pid.isdigit() and int(pid) not in (0, old_pid) and (ready_url is None or is_ready(ready_url)):
                return
            time.sleep(0.5)
        raise TimeoutError(f"{program} was not restarted and ready within {seconds:.0f} s")


def monitoring(url: str) -> urllib.request.Request:
    """A call to /ready or /metrics, with the monitoring token."""
    return urllib.request.Request(url, headers=monitoring_headers(METRICS_TOKEN))


def is_ready(url: str, path: str = "/ready") -> bool:
    try:
        with urllib.request.urlopen(monitoring(f"{url}{path}"), timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


def wait_ready(urls: list[str], process: subprocess.Popen, seconds: float = 300) -> None:
    """Until every service says it is ready and nginx passes the widget's channel through."""
    deadline = time.monotonic() + seconds
    while not all(is_ready(url) for url in urls[1:]) or not is_ready(urls[0], "/webhooks/clinic_web/"):
        if process.poll() is not None:
            raise RuntimeError(f"make prod exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"not ready after {seconds:.0f} s: {[u for u in urls if not is_ready(u)]}")
        time.sleep(1)


@contextlib.contextmanager
def production_topology(workdir: Path, replicas: int = 2, extra_env: dict | None = None):
    # Conversations and the clinic's requests in two databases, so one can fail without the other.
    database = f"clinic_prod_{uuid.uuid4().hex[:8]}"
    clinic_db_url = f"postgresql://postgres@127.0.0.1:5432/{database}_requests"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    smtp, mailbox = start_smtp_server()  # listening first: a port found free is not then taken by them
    webhook = WebhookReceiver()
    first_rasa, public = consecutive_free_ports(replicas), free_port()
    actions, site, staff, worker = free_port(), free_port(), free_port(), free_port()
    run_dir, log_dir = workdir / "run", workdir / "logs"
    environ = {
        **os.environ, "PATH": f"{BIN}:{os.environ['PATH']}",
        "CLINIC_RUN_DIR": str(run_dir), "CLINIC_LOG_DIR": str(log_dir), "CLINIC_REPLICAS": str(replicas),
        "CLINIC_RASA_FIRST_PORT": str(first_rasa), "CLINIC_PUBLIC_PORT": str(public),
        "CLINIC_ACTIONS_PORT": str(actions), "CLINIC_SITE_PORT": str(site), "CLINIC_STAFF_PORT": str(staff),
        "CLINIC_WORKER_PORT": str(worker), "CLINIC_POSTGRES_DB": database, "CLINIC_DB_URL": clinic_db_url,
        "CLINIC_WEB_LIMITS_STORAGE": "redis://127.0.0.1:6379/14",
        "CLINIC_WEB_LIMIT_PER_IP": "1000/minute", "CLINIC_WEB_LIMIT_PER_SESSION": "100/minute",
        "CLINIC_CHANNEL_SECRET": CHANNEL_SECRET, "CLINIC_API_JWT_SECRET": API_SECRET,
        "CLINIC_ACTION_SERVER_SECRET": ACTION_SERVER_SECRET, "CLINIC_METRICS_TOKEN": METRICS_TOKEN,
        "CLINIC_SMTP_HOST": "127.0.0.1", "CLINIC_SMTP_PORT": str(smtp.port), "CLINIC_SMTP_SECURITY": "none",
        "CLINIC_MAIL_TO": "desk@clinic.test", "CLINIC_WEBHOOK_URL": webhook.url, "CLINIC_WEBHOOK_SECRET": WEBHOOK_SECRET,
        **(extra_env or {}),
    }
    log = open(workdir / "make-prod.log", "w")
    process = subprocess.Popen(["bash", "scripts/prod.sh"], cwd=PROJECT_ROOT, env=environ, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    replica_urls = [f"http://127.0.0.1:{first_rasa + n}" for n in range(replicas)]
    try:
        wait_ready([f"http://127.0.0.1:{public}", *replica_urls, f"http://127.0.0.1:{actions}",
                    f"http://127.0.0.1:{worker}"], process)
        yield Production(f"http://127.0.0.1:{public}", replica_urls, f"http://127.0.0.1:{actions}",
                         f"http://127.0.0.1:{worker}", f"http://127.0.0.1:{staff}", run_dir, log_dir,
                         clinic_db_url, f"postgresql://postgres@127.0.0.1:5432/{database}", mailbox, webhook,
                         environ)
    finally:
        webhook.release.set()
        process.send_signal(signal.SIGTERM)  # supervisord stops everything it started
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        webhook.server.shutdown()
        smtp.stop()
        with admin.connect() as db:
            for name in (database, f"{database}_requests"):
                db.execute(text(f'drop database if exists "{name}" with (force)'))
