"""10,000 seeded hostile and odd inputs through the widget's channel of a freshly
started assistant (security finding 12): prints the statuses and every problem
(server error, silence, leaked template or traceback). Numbers, not a gate.

    python bench/fuzz.py [--count 10000] [--seed 2026] [--workers 3]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "security")]  # the tests' helpers start real servers

from clinic.channel.web import channel_messages  # noqa: E402
from hostile_inputs import hostile_cases, send_all  # noqa: E402
from local_servers import running_assistant  # noqa: E402

NO_LIMITS = {"CLINIC_WEB_LIMIT_PER_IP": "100000/minute", "CLINIC_WEB_LIMIT_PER_SESSION": "100000/minute"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="clinic-fuzz-"))
    cases = hostile_cases(args.count, args.seed)
    with running_assistant(ROOT / "models" / "clinic.tar.gz", workdir,
                           {"CLINIC_DB_URL": f"sqlite:///{workdir / 'clinic.db'}"}, NO_LIMITS) as servers:
        started = time.monotonic()
        verdict, statuses = send_all(servers["channel"], cases, {channel_messages()["no_reply"]}, args.workers)
        seconds = time.monotonic() - started
    print(f"{len(cases)} inputs (seed {args.seed}) in {seconds:.0f} s; answers by status: "
          + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items())))
    print(f"problems: {len(verdict.problems)} (server errors, silences, leaks)")
    for problem in verdict.problems[:50]:
        print("  " + problem)


if __name__ == "__main__":
    main()
