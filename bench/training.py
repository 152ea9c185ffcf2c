"""Training times: from scratch, after adding one FAQ, after rewording one answer.

Works on a copy of the project's config, domain and data with a cache of its own
(RASA_CACHE_DIRECTORY), so it measures what a developer meets: the first
training, then Rasa reusing whatever the change did not touch. About 30 minutes.

    python bench/training.py
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from clinic.faq.author import add_topic  # noqa: E402
from new_faq import EXERCISE  # noqa: E402


def train(copy: Path, cache: Path) -> float:
    started = time.monotonic()
    subprocess.run([Path(sys.executable).with_name("rasa"), "train", "--config", copy / "config.yml", "--domain",
                    copy / "domain.yml", "--data", copy / "data", "--out", copy / "models"],
                   cwd=ROOT, check=True, capture_output=True, env={**os.environ, "RASA_CACHE_DIRECTORY": str(cache)})
    return time.monotonic() - started


def main() -> None:
    copy = Path(tempfile.mkdtemp(prefix="clinic-train-bench-"))
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "data", copy / "data")
    cache = copy / "cache"
    timings = [("full train, empty cache", train(copy, cache))]
    add_topic(EXERCISE, copy)
    timings.append(("after adding one FAQ topic", train(copy, cache)))
    faq = copy / "data" / "faq" / "dry_needling.yml"
    faq.write_text(faq.read_text().replace("so ask him what exercise suits you", "so ask him which exercise suits you"))
    timings.append(("after rewording one answer", train(copy, cache)))
    print("Training time (2 cores):")
    for what, seconds in timings:
        print(f"  {what:32} {seconds:6.0f} s")
    shutil.rmtree(copy)


if __name__ == "__main__":
    main()
