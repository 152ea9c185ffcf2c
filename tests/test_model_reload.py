"""A new FAQ goes live without downtime: a model trained with it is loaded into
the running assistant while patients chat, and none of their messages fails.

The assistant here runs in the production topology (deploy/credentials.yml and
deploy/endpoints.yml): conversations in PostgreSQL, a Redis lock store, rate
limits shared in Redis, no plain REST channel."""
import os
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from clinic import PROJECT_ROOT
from clinic.faq.author import add_topic
from clinic.staff.conversations import TrackerStoreReader
from local_servers import API_SECRET, POSTGRES_URL, require_postgres, running_assistant
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
def live_assistant(trained_model, tmp_path_factory, redis_url):
    require_postgres()
    workdir, database = tmp_path_factory.mktemp("live"), f"tracker_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        db.execute(text(f'CREATE DATABASE "{database}"'))
    production = {
        "CLINIC_POSTGRES_HOST": "127.0.0.1:5432", "CLINIC_POSTGRES_DB": database,
        "CLINIC_POSTGRES_USER": "postgres", "CLINIC_POSTGRES_PASSWORD": "",
        "CLINIC_REDIS_HOST": "127.0.0.1", "CLINIC_WEB_LIMITS_STORAGE": redis_url,
        "CLINIC_WEB_LIMIT_PER_IP": "1000/minute", "CLINIC_WEB_LIMIT_PER_SESSION": "1000/minute"}
    try:
        with running_assistant(trained_model, workdir, {"CLINIC_DB_URL": f"sqlite:///{workdir / 'clinic.db'}"},
                               production, credentials="deploy/credentials.yml",
                               endpoints=PROJECT_ROOT / "deploy" / "endpoints.yml") as servers:
            yield {**servers, "tracker_db_url": f"postgresql://postgres@127.0.0.1:5432/{database}"}
    finally:
        with admin.connect() as db:
            db.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


def test_production_has_no_plain_rest_channel_and_keeps_conversations_in_postgresql(live_assistant):
    answer = requests.post(f"{live_assistant['rasa']}/webhooks/rest/webhook",
                           json={"sender": "anyone", "message": "hello"}, timeout=30)
    assert answer.status_code == 404
    session = new_session(live_assistant["channel"], source="127.0.0.52")
    assert chat(live_assistant["channel"], session, "is dry needling safe?", source="127.0.0.52")[0] == 200
    stored = TrackerStoreReader(live_assistant["tracker_db_url"]).conversation(session["session_id"])
    assert [t.text for t in stored.turns if t.speaker == "patient"] == ["is dry needling safe?"]


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
