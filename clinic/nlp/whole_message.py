"""Settings for reading a whole message (whole_message.yml), shared by
clinic/nlp/questions.py and clinic/nlp/follow_ups.py."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

SETTINGS_FILE = Path(__file__).with_name("whole_message.yml")


@lru_cache(maxsize=1)
def settings() -> dict:
    return yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8"))
