"""What a reader of the logs sees: no patient text at INFO or above, from Rasa's
lines as from the clinic's, and escalations without the warning sign."""
import contextlib
import json
import os
import sqlite3
import subprocess

from clinic import PROJECT_ROOT
from local_servers import BIN, CHANNEL_SECRET, free_port, wait_for
from patient_channel import call
from databases import migrate

SAID = "my neighbour Zebulon Quigley has sciatica"
WITHHELD = "[patient text withheld]"  # what a reader of the logs finds in its place


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@contextlib.contextmanager
def rasa_as_supervisord_runs_it(model, workdir):
    """A Rasa server with deploy/logging.yml, as under supervisord, but at DEBUG (what it was given shows)."""
    port, log = free_port(), workdir / "rasa-0.log"
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(f'tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: "{workdir / "rasa.db"}"\n')
    env = {**os.environ, "CLINIC_SERVICE": "rasa-0", "CLINIC_CHANNEL_SECRET": CHANNEL_SECRET,
           "CLINIC_DB_URL": migrate(f"sqlite:///{workdir / 'clinic.db'}"), "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        rasa = subprocess.Popen(
            [str(BIN / "python"), "-m", "clinic.servers.assistant", "--model", str(model), "--port", str(port),
             "--credentials", "tests/credentials.yml", "--endpoints", str(endpoints),
             "--logging-config-file", "deploy/logging.yml", "--debug"],
            env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/", rasa)
        yield f"http://127.0.0.1:{port}/webhooks/rest/webhook", log
    finally:
        rasa.terminate()
        rasa.wait(30)


def test_rasas_error_line_for_a_failed_message_withholds_what_the_patient_said(trained_model, tmp_path):
    with rasa_as_supervisord_runs_it(trained_model, tmp_path) as (url, log):
        assert call(url, "POST", {"sender": "patient-1", "message": SAID})[0] == 200
        with sqlite3.connect(tmp_path / "rasa.db") as db:  # the conversation store fails under the next message
            db.execute("DROP TABLE events")
        assert call(url, "POST", {"sender": "patient-1", "message": SAID})[0] == 200  # Rasa's REST channel says []
    lines = log.read_text().splitlines()
    records = json_lines("\n".join(lines))
    assert any(SAID in json.dumps(r) for r in records if r["level"] == "DEBUG")  # Rasa did log the words
    [failure] = [r for r in records if "rest.message.received.failure" in r["message"]]
    assert failure["level"] == "ERROR" and failure["logger"] == "rasa.core.channels.rest"
    said_there = json.loads(failure["message"])
    assert said_there["text"] == WITHHELD and said_there["exception"][0]["exc_type"] == "OperationalError"
    assert not [line for line in lines if SAID in line and '"level": "DEBUG"' not in line]


def test_an_escalation_logs_neither_the_warning_sign_nor_the_tier(assistant):
    sender = "patient-8817"
    assert call(assistant["url"], "POST", {"sender": sender, "message": "i just want to die honestly"})[0] == 200
    with sqlite3.connect(assistant["tracker_store"]) as db:
        slots = [json.loads(data) for (data,) in db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'slot'", (sender,))]
    [signs] = [slot["value"] for slot in slots if slot["name"] == "red_flags"]
    tiers = [slot["value"] for slot in slots if slot["name"] == "red_flag_tier"]
    assert signs and tiers == ["crisis"]  # the conversation keeps them, and retention deletes it in time
    [alert] = [r for r in assistant["store"].requests(kind="alert") if r.conversation_id == sender]
    assert alert.details == {"tier": "crisis"}  # the clinic's alert is as it was

    written = (assistant["logs"] / "actions.log").read_text()
    ours = [r for r in json_lines(written) if r.get("conversation_id") == sender]
    assert {"red flag escalated", "safety alert stored"} <= {r["message"] for r in ours}
    assert [r["reference"] for r in ours if r["message"] == "safety alert stored"] == [alert.reference]
    assert not [r for r in ours if "crisis" in json.dumps(r) or "flags" in r or "tier" in r]
    assert not [sign for sign in signs if sign in written]


def clinic_process(script, *args, **env):
    done = subprocess.run([str(BIN / "python"), "-c", script, *args], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_text_field_given_to_a_line_is_withheld_at_info_and_kept_at_debug():
    written = clinic_process(
        "import logging, sys\n"
        "from clinic.operations import logs\n"
        "logs.configure('actions')\n"
        "logs.conversation.set('patient-3')\n"
        "log = logging.getLogger('actions.booking_handoff')\n"
        "log.debug('what was said', extra={'text': sys.argv[1]})\n"
        "log.warning('what was said', extra={'text': sys.argv[1], 'user_message': sys.argv[1], 'reference': 'MC-1'})\n",
        SAID, CLINIC_LOG_LEVEL="DEBUG")
    debug, warning = json_lines(written)
    assert debug["level"] == "DEBUG" and debug["text"] == SAID
    assert warning["text"] == warning["user_message"] == WITHHELD and SAID not in json.dumps(warning)
    assert warning["reference"] == "MC-1" and warning["conversation_id"] == "patient-3"
    assert warning["service"] == "actions"


def test_rasas_terminal_rendering_of_its_error_line_withholds_what_the_patient_said():
    primary, terminal = os.openpty()  # Rasa renders for people when its stderr is a terminal
    try:
        written = subprocess.run(
            [str(BIN / "python"), "-c",
             "import logging, sys, structlog\n"
             "from clinic.operations import logs\n"
             "from rasa.utils.log_utils import configure_structlog\n"
             "logs.configure('rasa-0')\n"
             "configure_structlog(logging.INFO)\n"
             "try:\n"
             "    raise RuntimeError('the conversation store failed')\n"
             "except RuntimeError:\n"
             "    structlog.get_logger('rasa.core.channels.rest').exception(\n"
             "        'rest.message.received.failure', text=sys.argv[1])\n",
             SAID], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=terminal, text=True, timeout=120).stdout
    finally:
        os.close(primary)
        os.close(terminal)
    [line] = json_lines(written)
    assert line["level"] == "ERROR" and "rest.message.received.failure" in line["message"]
    assert line["message"].endswith(WITHHELD) and SAID not in written
