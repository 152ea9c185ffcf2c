"""One line of training progress from Rasa's training log, instead of a wall of
tqdm bars: `python -m clinic.operations.train_progress models/train.log`."""

from __future__ import annotations

import re
import sys
from pathlib import Path

COMPONENT = re.compile(r"(Starting to train|Finished training) component '([^']+)'")
EPOCH = re.compile(r"Epochs:\s+\d+%\|[^|]*\|\s*(\d+)/(\d+)")


def progress(log: str) -> str:
    components = COMPONENT.findall(log)
    if not components:
        return "preparing the training data"
    state, name = components[-1]
    finished = sum(1 for done, _ in components if done == "Finished training")
    if state == "Finished training":
        return f"{finished} components trained, last {name}"
    epochs = EPOCH.findall(log.rsplit(name, 1)[-1].replace("\r", "\n"))
    where = f", epoch {epochs[-1][0]}/{epochs[-1][1]}" if epochs else ""
    return f"training {name}{where} ({finished} components done)"


if __name__ == "__main__":
    print("    " + progress(Path(sys.argv[1]).read_text(errors="replace")), flush=True)
