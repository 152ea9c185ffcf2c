"""Gates the assistant's understanding on the held-out patient phrasings.

Reads the reports `rasa test nlu` writes (intent_report.json,
response_selection_report.json), prints a per-topic table and the confused
pairs, and exits non-zero when accuracy is below the gates or F1 fell against
the committed baseline (clinic/faq/baseline.py).

    python -m clinic.quality.heldout results/heldout
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from clinic.faq import baseline

OVERALL_GATE = 0.95
PER_TOPIC_GATE = 0.85
REPORTS, SUMMARY_ROWS = baseline.REPORTS, baseline.SUMMARY_ROWS


def topic_rows(report: dict) -> dict[str, dict]:
    return {label: row for label, row in report.items() if label not in SUMMARY_ROWS}


def failures(kind: str, report: dict) -> list[str]:
    problems = []
    accuracy = report["accuracy"]
    if accuracy < OVERALL_GATE:
        problems.append(f"{kind} accuracy {accuracy:.3f} < {OVERALL_GATE}")
    for label, row in topic_rows(report).items():
        # A topic's accuracy is the share of its phrasings answered right: recall.
        if row["support"] and row["recall"] < PER_TOPIC_GATE:
            problems.append(f"{kind} '{label}' accuracy {row['recall']:.2f} < {PER_TOPIC_GATE}")
    return problems


def print_table(kind: str, report: dict) -> None:
    print(f"\n{kind} accuracy on held-out phrasings: {report['accuracy']:.3f}")
    print(f"  {'label':40} {'n':>3} {'accuracy':>8} {'precision':>9} {'F1':>5}  confused with")
    for label, row in sorted(topic_rows(report).items()):
        confused = ", ".join(f"{k} ({v})" for k, v in (row.get("confused_with") or {}).items())
        print(
            f"  {label:40} {row['support']:>3} {row['recall']:>8.2f} "
            f"{row['precision']:>9.2f} {row['f1-score']:>5.2f}  {confused}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="the --out folder of `rasa test nlu`")
    args = parser.parse_args(argv)
    problems, confused = [], []
    for kind, filename in REPORTS.items():
        report = json.loads((args.results / filename).read_text())
        print_table(kind, report)
        problems += failures(kind, report)
        confused += [
            f"{kind}: {label} -> {other} ({n})"
            for label, row in sorted(topic_rows(report).items())
            for other, n in (row.get("confused_with") or {}).items()
        ]
    if confused:
        print("\nConfused pairs (expected -> predicted, count):\n  " + "\n  ".join(confused))
    problems += baseline.gate(args.results)
    if problems:
        print("\nNLU gate FAILED:\n  " + "\n  ".join(problems))
        return 1
    print(
        f"\nNLU gate passed (accuracy overall >= {OVERALL_GATE}, every topic >= {PER_TOPIC_GATE}; "
        f"F1 within {baseline.ALLOWED_DROP} of the baseline, every topic above its floor)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
