"""Loads a newly trained model into the running assistant without stopping it.

    clinic model reload [--url http://localhost:5005] [--model models/clinic.tar.gz]

Uses Rasa's HTTP API (`PUT /model`), which `make run` enables behind a JWT
signed with CLINIC_API_JWT_SECRET (kept in .api-secret). Rasa loads the new
model next to the old one and swaps them: conversations keep their trackers,
and messages that arrive during the load wait for it instead of failing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import jwt
import requests

from clinic import PROJECT_ROOT

SECRET_FILE = PROJECT_ROOT / ".api-secret"


class ReloadFailed(RuntimeError):
    pass


def api_secret() -> str:
    secret = os.environ.get("CLINIC_API_JWT_SECRET", "")
    if not secret and SECRET_FILE.exists():
        secret = SECRET_FILE.read_text().strip()
    if not secret:
        raise ReloadFailed("no API secret: set CLINIC_API_JWT_SECRET (make run keeps one in .api-secret)")
    return secret


def admin_token(secret: str, minutes: int = 10) -> str:
    """A short-lived JWT in the form Rasa's API checks (role admin)."""
    return jwt.encode(
        {"user": {"username": "clinic-developer", "role": "admin"}, "exp": int(time.time()) + minutes * 60},
        secret,
        algorithm="HS256",
    )


def reload_model(url: str, model: Path, secret: str) -> tuple[str, str]:
    """(model id before, model id after); raises ReloadFailed with the reason."""
    if not model.is_file():
        raise ReloadFailed(f"{model} does not exist: run `make train` first")
    headers = {"Authorization": f"Bearer {admin_token(secret)}"}

    def status() -> dict:
        try:
            answer = requests.get(f"{url}/status", headers=headers, timeout=30)
        except requests.RequestException as error:
            raise ReloadFailed(
                f"the assistant at {url} does not answer ({type(error).__name__}); is it running?"
            ) from error
        if answer.status_code in (401, 403):
            raise ReloadFailed(f"the assistant at {url} refused the API token: the secrets differ")
        answer.raise_for_status()
        return answer.json()

    before = status().get("model_id", "")
    try:
        loaded = requests.put(f"{url}/model", json={"model_file": str(model.resolve())}, headers=headers, timeout=600)
    except requests.RequestException as error:
        raise ReloadFailed(
            f"the assistant at {url} stopped answering while loading ({type(error).__name__})"
        ) from error
    if loaded.status_code != 204:
        raise ReloadFailed(f"the assistant did not load {model}: HTTP {loaded.status_code} {loaded.text[:300]}")
    after = status().get("model_id", "")
    return before, after
