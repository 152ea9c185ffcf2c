"""The console's "Train and load" runs the command the host sets: under systemd the trainer's own
unit (the one service that may write models/), else the developers' `clinic model train-and-load`."""
import time

from clinic.staff.training import DEVELOPERS_COMMAND, TrainAndLoad, command


def finished(runs: TrainAndLoad):
    deadline = time.time() + 30
    while runs.state().state == "running" and time.time() < deadline:
        time.sleep(0.1)
    return runs.state()


def test_a_run_is_the_command_the_host_sets_and_says_how_it_ended(tmp_path, monkeypatch):
    monkeypatch.delenv("CLINIC_TRAIN_COMMAND", raising=False)
    assert command() == DEVELOPERS_COMMAND
    monkeypatch.setenv("CLINIC_TRAIN_COMMAND", "echo started clinic-train.service")
    runs = TrainAndLoad(tmp_path, tmp_path / "run")
    assert runs.start("admin")
    state = finished(runs)
    assert state.state == "succeeded" and state.output == "started clinic-train.service" and state.started_by == "admin"
    monkeypatch.setenv("CLINIC_TRAIN_COMMAND", "echo the unit failed; false")
    assert runs.start("admin") and finished(runs).state == "failed"
