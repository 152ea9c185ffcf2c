"""The speed-only Rasa patches change nothing a patient or the clinic could see: the same
conversations (the never-silent matrix and every conversation test's patient turns), sent
through the widget's channel to an assistant with them and one without
(CLINIC_RASA_SPEEDUPS=off), store the same events, in the same order, with the same content.

(`make test` also runs the conversation tests through `rasa test` both ways.)"""
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from local_servers import running_assistant
from patient_channel import chat, new_session
from test_never_silent import CASES, HELP_CASES, RED_FLAG, STATES

TESTS = Path(__file__).resolve().parent
# What differs between two runs of one conversation: when, under which ids, from which model file.
VARYING = {"timestamp", "message_id", "model_id", "assistant_id"}
REFERENCE = re.compile(r"\bMC-[A-Z0-9]{6}\b")  # a new random reference for each request


def conversation_test_turns() -> list[list[str]]:
    """The patient's messages of each story in tests/test_conversations*.yml."""
    turns = []
    for path in sorted(TESTS.glob("test_conversations*.yml")):
        for story in yaml.safe_load(path.read_text()).get("stories") or []:
            said = [step["user"] for step in story["steps"] if "user" in step]
            if said:
                turns.append(said)
    return turns


def conversations() -> list[list[str]]:
    matrix = [[*STATES[state], message, RED_FLAG] for state, (_, message) in CASES]
    help_at_once = [[*STATES[state], message] for state, message in HELP_CASES]
    return matrix + help_at_once + conversation_test_turns()


def stored_events(tracker_store: Path, sender_id: str) -> list[dict]:
    engine = sa.create_engine(f"sqlite:///{tracker_store}")
    with engine.connect() as db:
        rows = db.execute(sa.text("select data from events where sender_id = :id order by id"), {"id": sender_id})
        events = [without_varying(json.loads(data)) for (data,) in rows]
    engine.dispose()
    return events


def without_varying(value):
    if isinstance(value, dict):
        return {key: without_varying(item) for key, item in value.items() if key not in VARYING}
    if isinstance(value, list):
        return [without_varying(item) for item in value]
    if isinstance(value, float):
        return round(value, 9)  # the language detector's confidences differ in the 16th digit from run to run
    if isinstance(value, str):
        return REFERENCE.sub("MC-······", value)
    return value


def run_all(servers: dict, scripts: list[list[str]], first_address: int) -> list[str]:
    """Every conversation, a few at a time, each from its own loopback address; their session ids."""
    def run(n: int) -> str:
        source = f"127.2.{(first_address + n) // 250}.{(first_address + n) % 250 + 2}"
        session = new_session(servers["channel"], source=source)
        for message in scripts[n]:
            status, _, answer = chat(servers["channel"], session, message, source=source)
            assert status == 200, (message, answer)
        return session["session_id"]

    with ThreadPoolExecutor(3) as pool:
        return list(pool.map(run, range(len(scripts))))


def private_assistant(model, tmp_path_factory, name: str, speedups: str):
    """An assistant of this test's own: its hundreds of conversations stay out of the shared one's lists."""
    workdir = tmp_path_factory.mktemp(name)
    clinic_env = {"CLINIC_DB_URL": f"sqlite:///{workdir / 'clinic.db'}", "CLINIC_SMTP_HOST": "127.0.0.1",
                  "CLINIC_SMTP_PORT": "9", "CLINIC_NOTIFY": "none"}
    return running_assistant(model, workdir, clinic_env, {"CLINIC_RASA_SPEEDUPS": speedups})


@pytest.fixture(scope="module")
def with_speedups(trained_model, tmp_path_factory):
    with private_assistant(trained_model, tmp_path_factory, "speedups-on", "on") as servers:
        yield servers


@pytest.fixture(scope="module")
def without_speedups(trained_model, tmp_path_factory):
    with private_assistant(trained_model, tmp_path_factory, "speedups-off", "off") as servers:
        yield servers


def test_the_same_conversations_store_the_same_events_with_and_without_the_speed_patches(with_speedups,
                                                                                         without_speedups):
    scripts = conversations()
    assert len(scripts) > 350  # the matrix, the help cases and the conversation tests
    with ThreadPoolExecutor(2) as both:
        patched, plain = both.map(run_all, (with_speedups, without_speedups), (scripts, scripts), (0, 0))
    log = (without_speedups["logs"] / "rasa.log").read_text()
    assert "Rasa's speed patches are off" in log  # really without them
    differences = []
    for script, mine, theirs in zip(scripts, patched, plain):
        with_them = stored_events(with_speedups["tracker_store"], mine)
        without_them = stored_events(without_speedups["tracker_store"], theirs)
        if with_them != without_them:
            at = next((i for i, (a, b) in enumerate(zip(with_them, without_them)) if a != b),
                      min(len(with_them), len(without_them)))
            differences.append(f"{script}: event {at} of {len(with_them)}/{len(without_them)}: "
                               f"{with_them[at:at + 1]} != {without_them[at:at + 1]}")
    assert not differences, f"{len(differences)} of {len(scripts)} conversations differ:\n" + "\n".join(
        differences[:10])
