"""Runs a command (make prod's Rasa replicas) with models/ read-only, though it runs as root.

    python -m clinic.prod.read_only_models python -m clinic.servers.assistant --replica 0 ...

File modes bind no root process. So the command gets a mount namespace of its
own in which models/ is bound read-only, and loses the capabilities that would
undo it: CAP_SYS_ADMIN (remount, unmount) and CAP_SYS_PTRACE (reaching models/
through another process's /proc/<pid>/root). Rasa still reads every model the
trainer writes there: a bind shows the same directory. Each step `exec`s the
next, so supervisord's process is the replica itself.

Where the machine allows no mount namespace (not root), the command runs as it
is, with a warning: then only the systemd units' users keep models/ read-only.
"""

from __future__ import annotations

import os
import subprocess
import sys

from clinic import PROJECT_ROOT

DROPPED = "-sys_admin,-sys_ptrace"
BIND_READ_ONLY = f'mount --bind -o ro "$0" "$0" && exec setpriv --bounding-set={DROPPED} --inh-caps={DROPPED} -- "$@"'


def can_isolate() -> bool:
    try:
        return subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


def main(command: list[str]) -> None:
    models = str(PROJECT_ROOT / "models")
    if not can_isolate():
        print(
            f"warning: no mount namespace on this machine: {models} stays writable for {command[:3]}", file=sys.stderr
        )
        os.execvp(command[0], command)
    os.execvp(
        "unshare",
        ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", BIND_READ_ONLY, models, *command],
    )


if __name__ == "__main__":
    main(sys.argv[1:])
