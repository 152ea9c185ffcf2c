"""A knowledge base that does not train never stops the assistant: `make run` (and `make prod`)
keep serving the last good model and say so loudly; `make test` and `make train` still fail."""
import os
import shutil
import signal
import subprocess
import time

import pytest

from clinic import PROJECT_ROOT
from local_servers import BIN, free_port, wait_for
from patient_channel import chat, new_session

UNREADABLE = "    - is it sore \uffff afterwards\n"  # what the review's taught message left in a data file


@pytest.fixture
def project(tmp_path, trained_model):
    """A copy of the project as a clinic runs it (its own data, models, databases and secrets), with the
    last good model, and one data file broken by a character Rasa's reader refuses."""
    copy = tmp_path / "clinic"
    for name in ("data", "scripts", "deploy"):
        shutil.copytree(PROJECT_ROOT / name, copy / name)
    for file in PROJECT_ROOT.iterdir():  # the settings, locks and project files (no databases, secrets or logs)
        if file.is_file() and file.suffix in (".yml", ".lock", ".toml"):
            shutil.copy(file, copy / file.name)
    for shared in (".venv", "spacy_pipeline", "clinic", "actions"):
        (copy / shared).symlink_to(PROJECT_ROOT / shared)
    (copy / "models").mkdir()
    shutil.copy(trained_model, copy / "models" / "clinic.tar.gz")
    broken = copy / "data" / "faq" / "session.yml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("  examples: |\n", "  examples: |\n" + UNREADABLE, 1),
                      encoding="utf-8")
    return copy


def train(project, *flags):
    return subprocess.run(["bash", "scripts/train.sh", *flags], cwd=project, capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}, timeout=300)


def test_training_on_a_broken_file_keeps_the_last_good_model_and_says_why(project):
    model = (project / "models" / "clinic.tar.gz").read_bytes()
    kept = train(project, "--keep-last-good")
    assert kept.returncode == 0, kept.stderr[-2000:]
    assert "the assistant was NOT retrained" in kept.stderr
    assert "data/faq/session.yml cannot be read" in kept.stderr  # the file and why, from clinic faq check
    assert (project / "models" / "clinic.tar.gz").read_bytes() == model
    assert (project / "models" / "training-failed.txt").is_file()  # repeated once the assistant is up
    refused = train(project)  # make train and make test: a failure, as before
    assert refused.returncode == 1 and "NOT retrained" not in refused.stderr


def test_make_run_after_a_broken_data_file_still_answers_patients(project):
    ports = {name: free_port() for name in ("RASA", "ACTIONS", "SITE", "STAFF", "WORKER")}
    # This run's action server, as endpoints.yml names it for make run's default port.
    (project / "endpoints.yml").write_text(
        (PROJECT_ROOT / "endpoints.yml").read_text().replace("127.0.0.1:5055", f"127.0.0.1:{ports['ACTIONS']}"))
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "CLINIC_WEB_LIMIT_PER_IP": "100/minute",
           **{f"CLINIC_{name}_PORT": str(port) for name, port in ports.items()}}
    with open(project / "make-run.log", "w") as log:
        run = subprocess.Popen(["bash", "scripts/run.sh"], cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    channel = f"http://127.0.0.1:{ports['RASA']}/webhooks/clinic_web"
    try:
        wait_for(f"{channel}/", run, seconds=240)
        session = new_session(channel)
        status, _, reply = chat(channel, session, "does dry needling hurt?")
        assert status == 200
        assert "needle" in " ".join(m.get("text") or "" for m in reply["messages"]).lower()
        status, _, reply = chat(channel, session, "I want to kill myself")  # the safety net, on the same model
        assert "988" in " ".join(m.get("text") or "" for m in reply["messages"])
        log = project / "make-run.log"
        deadline = time.time() + 60  # supervise.sh repeats the warning once it sees the channel answer
        while "serving the last good model" not in log.read_text() and time.time() < deadline:
            time.sleep(1)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGTERM)  # supervisord stops what it started
            run.wait(60)
    said = (project / "make-run.log").read_text()
    assert "the assistant was NOT retrained" in said and "serving the last good model" in said
