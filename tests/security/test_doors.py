"""The doors of `make run` (security findings 1, 2, 4 and 13): what a stranger on
the clinic's network, or another user of the host, could reach before."""
import base64
import json
import os
import subprocess
import sys

import jwt
import pytest
import requests

from clinic import PROJECT_ROOT
from listening import listening_addresses
from local_servers import ACTION_SERVER_SECRET, API_SECRET, CHANNEL_SECRET, free_port
from patient_channel import call, chat, new_session
from databases import migrate


def test_make_run_offers_only_the_widgets_channel_no_plain_rest(monkeypatch, tmp_path):
    """Finding 1: Rasa's `rest` channel trusts any sender id; make run's credentials leave it out."""
    from rasa.core.run import create_http_input_channels

    monkeypatch.setenv("CLINIC_CHANNEL_SECRET", CHANNEL_SECRET)
    monkeypatch.setenv("CLINIC_DB_URL", migrate(f"sqlite:///{tmp_path / 'clinic.db'}"))
    channels = create_http_input_channels(None, str(PROJECT_ROOT / "credentials.yml"))
    assert [channel.name() for channel in channels] == ["clinic_web"]


def test_every_server_listens_on_loopback_only(assistant):
    """Finding 1: Rasa, the action server and the demo page bound 0.0.0.0; now 127.0.0.1 by default."""
    for name, pid in assistant["pids"].items():
        addresses = listening_addresses(pid)
        assert addresses, f"{name} listens nowhere?"
        assert all(a.startswith("127.0.0.1:") for a in addresses), (name, addresses)


def test_a_cross_site_form_post_is_not_read_as_a_message(assistant):
    """Finding 1: a text/plain body (what an HTML form on another site can send) carries no message."""
    session = new_session(assistant["channel"], source="127.0.0.61")
    status, _, body = call(f"{assistant['channel']}/sessions/{session['session_id']}/messages", "POST",
                           raw='{"message": "I would like to book"}', token=session["token"], source="127.0.0.61",
                           content_type="text/plain")
    assert status == 400 and body["error"] == "empty"


def made_up_booking_call(conversation_id="stranger-1"):
    return {"next_action": "action_submit_booking", "sender_id": conversation_id, "version": "3.6.2",
            "domain": {}, "tracker": {"sender_id": conversation_id, "slots": {
                "patient_name": "Planted Booking", "patient_phone": "555 000 0000", "visit_reason": "spam"},
                "latest_message": {}, "events": [], "paused": False, "followup_action": None,
                "active_loop": {}, "latest_action_name": "action_listen"}}


@pytest.mark.parametrize("authorization", [None, "Bearer not-the-secret", f"Bearer {ACTION_SERVER_SECRET}x",
                                           ACTION_SERVER_SECRET])
def test_the_action_server_refuses_calls_without_the_shared_secret(assistant, authorization):
    """Finding 2: a made-up tracker posted to /webhook planted a booking in the inbox."""
    headers = {"Authorization": authorization} if authorization else {}
    before = len(assistant["store"].requests())
    planted = requests.post(f"{assistant['actions']}/webhook", json=made_up_booking_call(), headers=headers,
                            timeout=30)
    listed = requests.get(f"{assistant['actions']}/actions", headers=headers, timeout=30)
    assert (planted.status_code, listed.status_code) == (401, 401)
    assert "Planted" not in planted.text
    assert len(assistant["store"].requests()) == before


def test_the_rasa_server_holds_the_secret_and_its_calls_pass(assistant):
    listed = requests.get(f"{assistant['actions']}/actions", timeout=30,
                          headers={"Authorization": f"Bearer {ACTION_SERVER_SECRET}"})
    assert listed.status_code == 200 and {"name": "action_submit_booking"} in listed.json()
    session = new_session(assistant["channel"], source="127.0.0.62")
    status, _, reply = chat(assistant["channel"], session, "can I book an appointment?", source="127.0.0.62")
    assert status == 200 and "name" in reply["messages"][0]["text"].lower()  # the booking form's first question


@pytest.mark.parametrize("path", ["/metrics", "/ready"])
def test_counts_and_readiness_are_off_without_a_monitoring_token(assistant, path):
    """The action server's /metrics told anyone who reached it how many patients were in crisis. make run
    sets no monitoring token (CLINIC_METRICS_TOKEN), so /metrics and /ready are off; /health still answers.
    With a token, make prod's: tests/test_production.py."""
    for server in ("rasa", "actions"):
        assert requests.get(f"{assistant[server]}{path}", timeout=30).status_code == 404, server
        assert requests.get(f"{assistant[server]}/health", timeout=30).status_code == 200, server


def test_the_action_server_will_not_listen_openly_without_a_secret():
    env = {**os.environ, "CLINIC_BIND_ADDRESS": "0.0.0.0"}
    env.pop("CLINIC_ACTION_SERVER_SECRET", None)
    started = subprocess.run([sys.executable, "-m", "clinic.servers.actions", "--port", str(free_port())],
                             env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert started.returncode != 0
    assert "CLINIC_ACTION_SERVER_SECRET" in started.stderr


def test_no_secret_is_on_a_command_line(assistant):
    """Finding 4: the API's JWT secret was readable in /proc/<pid>/cmdline by any local user."""
    for name, pid in assistant["pids"].items():
        command_line = open(f"/proc/{pid}/cmdline", "rb").read().decode()
        for secret in (API_SECRET, ACTION_SERVER_SECRET, CHANNEL_SECRET):
            assert secret not in command_line, name


def test_local_secrets_and_make_runs_files_are_private(tmp_path):
    """Finding 4: clinic.db, rasa.db, the logs and secrets were 0644."""
    shown = subprocess.run(["bash", "-c", f"umask 022; source {PROJECT_ROOT}/scripts/local_secrets.sh; "
                            "echo ${#CLINIC_ACTION_SERVER_SECRET}"], cwd=tmp_path, capture_output=True, text=True,
                           env={**os.environ, "PATH": f"{PROJECT_ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"},
                           check=True)
    assert int(shown.stdout) >= 32
    for name in (".channel-secret", ".api-secret", ".action-server-secret"):
        assert (tmp_path / name).stat().st_mode & 0o077 == 0, name
    for script in ("run.sh", "prod.sh"):  # before supervisord starts a server, in its own settings too
        lines = (PROJECT_ROOT / "scripts" / script).read_text().splitlines()
        first_server = next(i for i, line in enumerate(lines) if "supervise.sh" in line)
        assert any(line.startswith("umask 077") for line in lines[:first_server]), script
    assert "\numask=077\n" in (PROJECT_ROOT / "deploy" / "supervisor" / "clinic.conf").read_text()


def forged_token() -> str:
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()  # noqa: E731
    return part({"alg": "none", "typ": "JWT"}) + "." + part({"user": {"username": "me", "role": "admin"}}) + "."


def test_a_forged_api_token_is_refused_without_flooding_the_log(assistant):
    """Finding 13: an alg=none token on /status wrote a traceback into rasa.log on every try."""
    log = assistant["logs"] / "rasa.log"
    before = log.read_text()
    for _ in range(3):
        answer = requests.get(f"{assistant['rasa']}/status", headers={"Authorization": f"Bearer {forged_token()}"},
                              timeout=30)
        assert answer.status_code == 401
    written = log.read_text()[len(before):]
    assert "Traceback" not in written and written.count("\n") <= 3
    genuine = jwt.encode({"user": {"username": "me", "role": "admin"}}, API_SECRET, algorithm="HS256")
    assert requests.get(f"{assistant['rasa']}/status", headers={"Authorization": f"Bearer {genuine}"},
                        timeout=30).status_code == 200
