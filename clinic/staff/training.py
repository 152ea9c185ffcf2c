""" "Train and load" from the console: `clinic model train-and-load` (scripts/train.sh with
its gates, then the reload, one replica at a time under make prod), in the background.

One run at a time. What it printed goes to the run directory, with the exit
code on its last line, so the state survives a restart of the console.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from clinic.requests.store import now

DEVELOPERS_COMMAND = "clinic model train-and-load"  # output and all
SHOWN_LINES = 40


@dataclass(frozen=True)
class TrainingState:
    state: str  # "never", "running", "succeeded", "failed"
    started_by: str | None = None
    started_at: datetime | None = None
    output: str = ""


class TrainAndLoad:
    def __init__(self, project: Path, run_dir: Path):
        self.project, self.run_dir = project, run_dir
        self.log, self.status = run_dir / "train-and-load.log", run_dir / "train-and-load.json"

    def state(self) -> TrainingState:
        if not self.status.exists():
            return TrainingState("never")
        started = json.loads(self.status.read_text())
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        ended = next((line for line in reversed(lines) if line.startswith("EXIT ")), None)
        if ended is None:
            state = "running" if _alive(started["pid"]) else "failed"  # a run cut off (the console restarted)
        else:
            state = "succeeded" if ended == "EXIT 0" else "failed"
        shown = [line for line in lines if not line.startswith("EXIT ")][-SHOWN_LINES:]
        return TrainingState(state, started["by"], datetime.fromisoformat(started["at"]), "\n".join(shown))

    def start(self, username: str) -> bool:
        """Starts a run unless one is running; whether it started."""
        if self.state().state == "running":
            return False
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("w") as log:
            process = subprocess.Popen(
                ["bash", "-c", f'{command()}; echo "EXIT $?"'],
                cwd=self.project,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.status.write_text(json.dumps({"pid": process.pid, "by": username, "at": now().isoformat()}))
        return True


def command() -> str:
    """What a run runs: the developers' command here; under systemd the trainer's own unit
    (CLINIC_TRAIN_COMMAND="systemctl start --wait clinic-train.service"), the one service that may
    write models/ (deploy/systemd/README.md)."""
    return os.environ.get("CLINIC_TRAIN_COMMAND") or DEVELOPERS_COMMAND


def _alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)  # our own child: reap it if it ended
        return finished == 0
    except ChildProcessError:  # not our child (the console restarted): is it still there?
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
