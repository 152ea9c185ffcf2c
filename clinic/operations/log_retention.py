"""Retention for the clinic's log files: lines older than the retention period go,
as the conversations they name do (`python -m clinic.staff retention`).

The logs are what supervisord writes for each process in CLINIC_LOG_DIR (the
project folder for `make run`, logs/ for `make prod`): `actions.log`,
`rasa-0.log`, ..., and their rotated copies (`actions.log.1`, ...). A line is
as old as its own time (the JSON lines' "time", nginx's too, or a plain line's
leading date); a line without one (a traceback, a warning) is as old as the
dated line before it, or at a file's start the first one. A file is trimmed in
place: supervisord keeps appending to the file it opened, and a new file in its
place would never see those lines. Under systemd the logs are in the journal,
which keeps them as long as journald.conf says.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from clinic import PROJECT_ROOT

LOG_FILE = re.compile(r".+\.log(\.\d+)?")  # actions.log, actions.log.1, ...
# "2026-12-07 16:10:54,400" (the clinic's JSON lines, local time), "2026-12-07T16:10:54+00:00" (nginx's
# access lines), "2026/12/07 16:10:54" (nginx's errors); a JSON line's "time" comes first.
LINE_TIME = re.compile(
    rb'^(?:\{"time": ?")?(\d{4})[-/](\d\d)[-/](\d\d)[ T](\d\d):(\d\d):(\d\d)(?:[.,]\d+)?'
    rb"(Z|[+-]\d\d:?\d\d)?"
)


def log_directories(environ=None) -> list[Path]:
    """Where the clinic's processes write their logs, of those that exist."""
    environ = os.environ if environ is None else environ
    if environ.get("CLINIC_LOG_DIR"):
        candidates = [Path(environ["CLINIC_LOG_DIR"])]
    else:  # the defaults of scripts/run.sh and scripts/prod.sh
        candidates = [PROJECT_ROOT, PROJECT_ROOT / "logs"]
    return [directory for directory in candidates if directory.is_dir()]


def forget_older_than(cutoff: datetime, directories: list[Path]) -> int:
    """Deletes the log lines written before `cutoff` (timezone-aware); returns how many."""
    deleted = 0
    for directory in directories:
        for path in sorted(directory.iterdir()):
            if LOG_FILE.fullmatch(path.name) and path.is_file():
                deleted += _trim(path, cutoff)
    return deleted


def _trim(path: Path, cutoff: datetime) -> int:
    with path.open("r+b") as log:
        lines = log.read().splitlines(keepends=True)
        modified = datetime.fromtimestamp(os.fstat(log.fileno()).st_mtime).astimezone()
        old = len(lines) if modified < cutoff else _old_lines(lines, cutoff)
        if not old:
            return 0
        arrived = log.read()  # what the process wrote while this read the file
        log.seek(0)
        log.writelines(lines[old:])
        log.write(arrived)
        log.truncate()
        emptied = log.tell() == 0
    if emptied and path.suffix != ".log":
        path.unlink()  # a rotated copy nobody writes to any more
    return old


def _old_lines(lines: list[bytes], cutoff: datetime) -> int:
    """How many lines at the start of a file were written before `cutoff` (lines are in time order)."""
    dated = False
    for at, line in enumerate(lines):
        written = _written_at(line)
        if written is None:
            continue
        if written >= cutoff:
            return at if dated else 0  # undated lines before the first date: as recent as it
        dated = True
    return len(lines) if dated else 0


def _written_at(line: bytes) -> datetime | None:
    found = LINE_TIME.match(line)
    if not found:
        return None
    try:
        year, month, day, hour, minute, second = map(int, found.group(1, 2, 3, 4, 5, 6))
        written = datetime(year, month, day, hour, minute, second)
        zone = found[7] and datetime.strptime(found[7].decode(), "%z").tzinfo
    except ValueError:  # digits that only look like a date
        return None
    return written.replace(tzinfo=zone) if zone else written.astimezone()  # else the host's local time
