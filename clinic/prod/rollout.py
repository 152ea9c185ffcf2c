"""A new model into every replica, one at a time, without a patient waiting.

Loading a model blocks a Rasa server for several seconds. So each replica in
turn is taken out of nginx's list, given the model (Rasa's `PUT /model`), asked
whether it is ready, and put back before the next one starts. Without a proxy
(make run) there is one replica, loaded in place as before.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path
from typing import Callable

import requests

from clinic.operations.metrics import monitoring_headers
from clinic.operations.model_reload import ReloadFailed, reload_model
from clinic.prod.proxy import Proxy
from clinic.prod.topology import Topology

logger = logging.getLogger(__name__)
DRAIN_SECONDS = 1.0  # calls already with the replica finish; nginx sends it no new ones
METRICS_TOKEN_FILE = "metrics-token"  # scripts/prod.sh


def monitoring_token(run_dir: Path) -> str | None:
    """CLINIC_METRICS_TOKEN, else the one `make prod` keeps in its run directory (`make reload` from
    another shell)."""
    kept = run_dir / METRICS_TOKEN_FILE
    return os.environ.get("CLINIC_METRICS_TOKEN") or (kept.read_text().strip() if kept.exists() else None)


def wait_until_ready(url: str, token: str | None, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status = requests.get(f"{url}/ready", headers=monitoring_headers(token), timeout=5).status_code
        except requests.RequestException:
            status = None
        if status == 200 or (status == 404 and not token):  # 404: no monitoring token, /ready is off
            return
        if status == 401:
            raise ReloadFailed(f"{url} refused the monitoring token (CLINIC_METRICS_TOKEN): the tokens differ")
        time.sleep(0.5)
    raise ReloadFailed(f"{url} is not ready after {seconds:.0f} s; see its log")


def roll_out(
    topology: Topology, model: Path, secret: str, run_dir: Path, say: Callable[[str], None] = print
) -> list[tuple[str, str, str]]:
    """(replica, model before, model after) for each replica, in order."""
    proxy = Proxy(run_dir, topology.replica_ports, topology.host) if topology.behind_proxy else None
    token = monitoring_token(run_dir)
    results: list[tuple[str, str, str]] = []
    if proxy and not token:  # a replica goes back into service only once it says it is ready
        raise ReloadFailed("set CLINIC_METRICS_TOKEN: the rollout asks each replica's /ready with it")
    for port, url in zip(topology.replica_ports, topology.replica_urls):
        others = [u for u in topology.replica_urls if u != url]
        if proxy and others:
            for other in others:  # never take one out while the rest cannot answer
                wait_until_ready(other, token, seconds=60)
        try:
            if proxy and others:
                proxy.serve([p for p in topology.replica_ports if p != port])
                proxy.reload()
                time.sleep(DRAIN_SECONDS)
            say(f"==> {url}: loading {model.name}")
            before, after = reload_model(url, model, secret)
            wait_until_ready(url, token)
        except (OSError, subprocess.CalledProcessError, requests.RequestException) as error:
            loaded = ", ".join(r[0] for r in results) or "none"
            raise ReloadFailed(
                f"{url}: {type(error).__name__} ({error}); replicas with the new model: {loaded}"
            ) from error
        except ReloadFailed as why:
            loaded = ", ".join(r[0] for r in results) or "none"
            raise ReloadFailed(f"{why}; replicas with the new model: {loaded}") from None
        finally:
            if proxy:  # back in service even if the load failed: it still answers with the old model
                proxy.serve(topology.replica_ports)
                proxy.reload()
        results.append((url, before, after))
    return results
