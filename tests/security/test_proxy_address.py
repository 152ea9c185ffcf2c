"""Whose address a patient's rate limit counts (security review, finding 1 of the proxy).

Real nginx, rendered and started as `make prod` does (clinic.prod.topology, the
command of deploy/supervisor/prod.conf), in front of a real Rasa replica started
with prod.conf's environment; the channel's own code keys the per-address
limit. The clinic's own proxy is 127.0.0.3 (CLINIC_UPSTREAM_PROXIES); every
other 127.0.0.x is a patient's computer or a stranger's.
"""
import http.client
import os
import subprocess
from urllib.parse import urlsplit

import pytest

from clinic import PROJECT_ROOT
from clinic.prod.proxy import upstream_proxies
from local_servers import BIN, CHANNEL_SECRET, free_port, wait_for
from production import supervised_programs
from databases import migrate

LIMIT = 3  # sessions a minute per address
CLINICS_PROXY = "127.0.0.3"


def forged(address: str) -> dict:
    """Every header a client might use to pass for `address`, a guessed proxy secret included."""
    return {"X-Forwarded-For": address, "X-Real-IP": address,
            "Forwarded": f'for="{address}";secret=guessed-secret-0123456789'}


def new_session(url: str, source: str, headers: dict | None = None) -> int:
    """The status of a new session (201, or 429 once this address's bucket is spent), asked from `source`."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60, source_address=(source, 0))
    try:
        connection.request("POST", "/webhooks/clinic_web/sessions", headers=headers or {})
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def bucket_of(url: str, source: str, headers: dict | None = None) -> list[int]:
    return [new_session(url, source, headers) for _ in range(LIMIT + 1)]


SPENT = [201] * LIMIT + [429]


@pytest.fixture(scope="module")
def proxied(trained_model, tmp_path_factory):
    """{"nginx": public address, "replica": the replica's own address, "run_dir": nginx's configuration}."""
    workdir = tmp_path_factory.mktemp("proxy-address")
    run_dir, replica_port, public_port = workdir / "run", free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(f'tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: "{workdir / "rasa.db"}"\n')
    environ = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}",
               "CLINIC_HOME": str(PROJECT_ROOT), "CLINIC_RUN_DIR": str(run_dir), "CLINIC_LOG_DIR": str(workdir),
               "CLINIC_BIND_ADDRESS": "127.0.0.1", "CLINIC_PROXY": "nginx", "CLINIC_REPLICAS": "1",
               "CLINIC_RASA_FIRST_PORT": str(replica_port), "CLINIC_PUBLIC_PORT": str(public_port),
               "CLINIC_UPSTREAM_PROXIES": CLINICS_PROXY, "CLINIC_MODEL": str(trained_model),
               "CLINIC_CREDENTIALS": "credentials.yml", "CLINIC_ENDPOINTS": str(endpoints),
               "CLINIC_ACTIONS_PORT": str(free_port()), "CLINIC_SITE_PORT": str(free_port()),
               "CLINIC_STAFF_PORT": str(free_port()), "CLINIC_BOT_URL": f"http://127.0.0.1:{public_port}",
               "CLINIC_CHANNEL_SECRET": CHANNEL_SECRET, "CLINIC_DB_URL": migrate(f"sqlite:///{workdir / 'clinic.db'}"),
               "CLINIC_WEB_LIMIT_PER_IP": f"{LIMIT}/minute", "CLINIC_WEB_LIMITS_STORAGE": ""}
    run_dir.mkdir()
    subprocess.run([BIN / "python", "-m", "clinic.prod.topology"], env=environ, cwd=PROJECT_ROOT, check=True)
    programs = supervised_programs(environ)
    processes = {}
    try:
        for name in ("nginx", "rasa-0"):
            command, env = programs[name]
            with open(workdir / f"{name}.log", "w") as log:
                processes[name] = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=log,
                                                   stderr=subprocess.STDOUT)
        wait_for(f"http://127.0.0.1:{public_port}/health", processes["nginx"])
        wait_for(f"http://127.0.0.1:{replica_port}/", processes["rasa-0"])  # Rasa's own root: no bucket spent
        yield {"nginx": f"http://127.0.0.1:{public_port}", "replica": f"http://127.0.0.1:{replica_port}",
               "run_dir": run_dir}
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(30)


def test_a_forged_address_sent_to_nginx_counts_for_nothing(proxied):
    """Through nginx, a stranger's X-Forwarded-For, X-Real-IP or Forwarded neither buys a fresh bucket
    nor spends another patient's."""
    assert bucket_of(proxied["nginx"], "127.0.0.20") == SPENT
    assert new_session(proxied["nginx"], "127.0.0.20", forged("198.51.100.7")) == 429
    bucket_of(proxied["nginx"], "127.0.0.22", forged("127.0.0.21"))
    assert new_session(proxied["nginx"], "127.0.0.21") == 201


def test_the_clinics_own_proxy_passes_each_patients_own_address(proxied):
    """Behind the clinic's load balancer every patient had the balancer's one bucket: one client could
    get every patient refused, emergencies included. Now each patient has their own, and a patient who
    puts a made-up address before their own (the balancer adds the real one last) keeps theirs."""
    assert bucket_of(proxied["nginx"], CLINICS_PROXY, {"X-Forwarded-For": "203.0.113.5"}) == SPENT
    assert new_session(proxied["nginx"], CLINICS_PROXY, {"X-Forwarded-For": "203.0.113.6"}) == 201
    assert new_session(proxied["nginx"], CLINICS_PROXY, {"X-Forwarded-For": "203.0.113.7, 203.0.113.5"}) == 429


def test_a_forged_address_sent_straight_to_a_replica_counts_for_nothing(proxied):
    """The replicas believed X-Real-IP from anyone who reached their port; now only nginx's Forwarded
    header with the proxy secret."""
    assert bucket_of(proxied["replica"], "127.0.0.30") == SPENT
    assert new_session(proxied["replica"], "127.0.0.30", forged("198.51.100.8")) == 429
    bucket_of(proxied["replica"], "127.0.0.32", forged("127.0.0.31"))
    assert new_session(proxied["replica"], "127.0.0.31") == 201


def test_nothing_but_an_address_reaches_nginxs_configuration():
    assert upstream_proxies(" 10.0.0.5, 10.0.1.0/24 ") == ["10.0.0.5/32", "10.0.1.0/24"]
    assert upstream_proxies("") == []
    for setting in ("10.0.0.5; include /etc/passwd", "proxy.clinic.internal"):
        with pytest.raises(ValueError, match="CLINIC_UPSTREAM_PROXIES"):
            upstream_proxies(setting)


def test_the_proxy_secret_is_readable_by_its_owner_only(proxied):
    for name in ("proxy-secret", "nginx.conf"):
        assert (proxied["run_dir"] / name).stat().st_mode & 0o077 == 0, name
