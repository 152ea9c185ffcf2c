"""Shared code of the Movement Chiropractic & Sports Clinic patient assistant."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
