"""A new FAQ goes live without downtime: a model trained with it is loaded into
the running assistant while patients chat, and none of their messages fails."""
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from clinic import PROJECT_ROOT
from clinic.faq.author import add_topic
from local_servers import API_SECRET, running_assistant
from new_faq import EXERCISE
from patient_channel import chat, new_session

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def model_with_new_faq(tmp_path_factory):
    """The knowledge base plus the new FAQ, trained with fewer epochs so the test stays quick."""
    root = tmp_path_factory.mktemp("retrained")
    shutil.copy(PROJECT_ROOT / "domain.yml", root / "domain.yml")
    shutil.copytree(PROJECT_ROOT / "data", root / "data")
    add_topic(EXERCISE, root)
    (root / "config.yml").write_text((PROJECT_ROOT / "config.yml").read_text().replace("epochs: 200", "epochs: 40"))
    subprocess.run([BIN / "rasa", "train", "--config", root / "config.yml", "--domain", root / "domain.yml",
                    "--data", root / "data", "--out", root / "models", "--fixed-model-name", "with_new_faq"],
                   cwd=PROJECT_ROOT, check=True, capture_output=True)
    return root / "models" / "with_new_faq.tar.gz"


@pytest.fixture(scope="module")
def live_assistant(trained_model, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("live")
    with running_assistant(trained_model, workdir, {"CLINIC_DB_URL": f"sqlite:///{workdir / 'clinic.db'}"},
                           {"CLINIC_WEB_LIMIT_PER_IP": "1000/minute", "CLINIC_WEB_LIMIT_PER_SESSION": "1000/minute"}) as servers:
        yield servers


def reload(url, model, secret=API_SECRET):
    return subprocess.run([BIN / "clinic", "model", "reload", "--url", url, "--model", str(model)],
                          env={**os.environ, "CLINIC_API_JWT_SECRET": secret}, capture_output=True, text=True)


def test_a_new_faq_is_answered_after_a_reload_and_no_message_fails_meanwhile(live_assistant, model_with_new_faq):
    channel = live_assistant["channel"]
    session = new_session(channel, source="127.0.0.50")
    question = "can I exercise after dry needling?"
    [before] = chat(channel, session, question, source="127.0.0.50")[2]["messages"][:1]
    assert not before["text"].startswith("Some soreness")

    outcomes, stop = [], threading.Event()

    def patients_keep_chatting():
        talker = new_session(channel, source="127.0.0.51")
        while not stop.is_set():
            status, _, reply = chat(channel, talker, "does dry needling hurt?", source="127.0.0.51")
            outcomes.append(status == 200 and "quick pinch" in reply["messages"][0]["text"])

    chatting = threading.Thread(target=patients_keep_chatting)
    chatting.start()
    try:
        while len(outcomes) < 5:
            threading.Event().wait(0.1)
        done = reload(live_assistant["rasa"], model_with_new_faq)
        answered_before = len(outcomes)
        while len(outcomes) < answered_before + 5:
            threading.Event().wait(0.1)
    finally:
        stop.set()
        chatting.join(120)
    assert done.returncode == 0, done.stderr
    assert "Conversations carried on" in done.stdout
    assert len(outcomes) >= 10 and all(outcomes), f"{outcomes.count(False)} of {len(outcomes)} messages failed"

    [after] = chat(channel, session, question, source="127.0.0.50")[2]["messages"][:1]
    assert after["text"].startswith("Some soreness")


def test_a_reload_with_the_wrong_secret_is_refused(live_assistant, trained_model):
    refused = reload(live_assistant["rasa"], trained_model, secret="not-the-secret-of-this-assistant-000000")
    assert refused.returncode == 1 and "refused the API token" in refused.stderr


def test_a_reload_of_a_missing_model_says_so(live_assistant, tmp_path):
    missing = reload(live_assistant["rasa"], tmp_path / "nothing.tar.gz")
    assert missing.returncode == 1 and "does not exist" in missing.stderr
