"""End to end: the action server and the Rasa server, chatting over REST."""
import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from clinic import PROJECT_ROOT
from clinic.profile import clinic_profile

RASA = str(Path(sys.executable).with_name("rasa"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    """A running assistant on free ports, with its own SQLite tracker store."""
    workdir = tmp_path_factory.mktemp("assistant")
    action_port, rasa_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        f'tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: "{workdir / "rasa.db"}"\n'
    )
    logs = [open(workdir / name, "w") for name in ("actions.log", "rasa.log")]
    processes = [
        subprocess.Popen([RASA, "run", "actions", "--port", str(action_port)],
                         cwd=PROJECT_ROOT, stdout=logs[0], stderr=subprocess.STDOUT),
        subprocess.Popen([RASA, "run", "--model", str(trained_model), "--port", str(rasa_port),
                          "--credentials", "credentials.yml", "--endpoints", str(endpoints)],
                         cwd=PROJECT_ROOT, stdout=logs[1], stderr=subprocess.STDOUT),
    ]
    try:
        wait_for(f"http://127.0.0.1:{action_port}/health", processes[0])
        wait_for(f"http://127.0.0.1:{rasa_port}/", processes[1])
        yield {"url": f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
               "tracker_store": workdir / "rasa.db"}
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)


def say(url, sender, message):
    request = urllib.request.Request(url, json.dumps({"sender": sender, "message": message}).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_greeting_names_the_clinic_and_the_emergency_number(assistant):
    [reply] = say(assistant["url"], "patient-greet", "hello")
    profile = clinic_profile()
    assert profile.name in reply["text"] and profile.emergency_number in reply["text"]
    assert "{" not in reply["text"]
    assert "What is sciatica?" in [b["title"] for b in reply["buttons"]]


def test_a_worried_patient_gets_the_article_answer(assistant):
    [reply] = say(assistant["url"], "patient-worried", "im so scared of needles, does dry needling hurt?")
    assert "quick pinch" in reply["text"]


def test_a_question_the_article_does_not_answer_gets_no_guess(assistant):
    [reply] = say(assistant["url"], "patient-price", "how much does a session cost?")
    assert reply["text"].startswith("I don't have information about prices")
    assert clinic_profile().phone in reply["text"]


def test_an_emergency_is_escalated_and_recorded_for_staff(assistant):
    say(assistant["url"], "patient-red-flag", "hi, can i ask about dry needling?")
    [reply] = say(assistant["url"], "patient-red-flag", "Also since yesterday I wet myself and my legs are going numb")
    assert "emergency department" in reply["text"]
    assert clinic_profile().emergency_number in reply["text"]
    with sqlite3.connect(assistant["tracker_store"]) as db:
        slots = dict(db.execute(
            "SELECT json_extract(data, '$.name'), json_extract(data, '$.value') FROM events "
            "WHERE sender_id = 'patient-red-flag' AND type_name = 'slot' "
            "AND json_extract(data, '$.name') = 'red_flag_tier'"))
    assert slots == {"red_flag_tier": "emergency"}


def test_a_denied_symptom_gets_the_answer_not_an_alarm(assistant):
    [reply] = say(assistant["url"], "patient-negation", "I have no bladder or bowel problems. Is dry needling safe?")
    assert "emergency" not in reply["text"]
    assert reply["text"].startswith("Yes. Dry needling is safe")
