#!/usr/local/bin/python3 -IS
"""The image's health and readiness probe (standard library only, starts in milliseconds).

    clinic-probe health [ROLE]   GET /health of the process (anyone may ask)
    clinic-probe ready  [ROLE]   GET /ready with `Authorization: Bearer $CLINIC_METRICS_TOKEN`

/ready answers only the monitoring token (clinic/operations/metrics.py: 404 without a token set, 401 with
another), which Kubernetes' httpGet probe cannot take from a Secret: an exec probe reads it from
the container's environment. ROLE (rasa, actions, console, worker) defaults to the argument the
entry point was started with (PID 1's command line); its port comes from the same settings the
processes read. Exit 0: healthy or ready; 1: not.
"""
import os
import sys
import urllib.error
import urllib.request

PORTS = {  # role: (setting, default), as each process reads it
    "rasa": ("CLINIC_RASA_FIRST_PORT", 5005),  # replica 0 of its pod
    "actions": ("CLINIC_ACTIONS_PORT", 5055),
    "console": ("CLINIC_STAFF_PORT", 8001),
    "worker": ("CLINIC_WORKER_PORT", 9105),
}


def started_role() -> str:
    try:
        with open("/proc/1/cmdline", "rb") as cmdline:
            words = [w.decode(errors="replace") for w in cmdline.read().split(b"\0") if w]
    except OSError:
        words = []
    roles = [w for w in words if w in PORTS or w == "migrate"]
    return roles[0] if roles else "rasa"


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "health"
    role = argv[2] if len(argv) > 2 else started_role()
    if what not in ("health", "ready") or role not in (*PORTS, "migrate"):
        print(__doc__, file=sys.stderr)
        return 2
    if role == "migrate":  # a Job: nothing listens
        return 0
    setting, default = PORTS[role]
    port = int(os.environ.get(setting) or default)
    request = urllib.request.Request(f"http://127.0.0.1:{port}/{what}")
    token = os.environ.get("CLINIC_METRICS_TOKEN")
    if what == "ready" and token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=4) as answer:  # nosec B310: a fixed http URL
            return 0 if answer.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"{role} /{what}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
