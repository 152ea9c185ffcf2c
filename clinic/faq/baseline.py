"""The NLU baseline: per-topic F1 on the held-out set, committed in
tests/nlu_baseline.json, so that a new FAQ cannot quietly make old ones worse.

`make test` fails when the overall (weighted) F1 drops by more than one point,
or a topic falls below its floor. `clinic faq baseline` writes a new baseline
from the last held-out run: an explicit, reviewed step.
"""

from __future__ import annotations

import json
from pathlib import Path

from clinic import PROJECT_ROOT

BASELINE_FILE = PROJECT_ROOT / "tests" / "nlu_baseline.json"
REPORTS = {"intent": "intent_report.json", "answer": "response_selection_report.json"}
SUMMARY_ROWS = {"accuracy", "micro avg", "macro avg", "weighted avg"}  # rows of a report that are not topics
ALLOWED_DROP = 0.01
FLOOR_MARGIN = 0.15  # a topic's floor: its baseline F1 minus this (7 phrasings: one miss moves F1 ~0.07)
NEW_TOPIC_FLOOR = 0.75
MOVED = 0.02


def scores(results: Path) -> dict:
    """{"intent"|"answer": {"overall_f1": .., "topics": {label: f1}}} from `rasa test nlu` reports."""
    found = {}
    for kind, filename in REPORTS.items():
        report = json.loads((results / filename).read_text())
        found[kind] = {
            "overall_f1": round(report["weighted avg"]["f1-score"], 4),
            "topics": {
                label: round(row["f1-score"], 4)
                for label, row in report.items()
                if label not in SUMMARY_ROWS and row.get("support")
            },
        }
    return found


def write_baseline(results: Path, path: Path = BASELINE_FILE) -> dict:
    current = scores(results)
    baseline = {
        kind: {
            "overall_f1": s["overall_f1"],
            "topics": {
                label: {"f1": f1, "floor": round(max(0.0, f1 - FLOOR_MARGIN), 2)}
                for label, f1 in sorted(s["topics"].items())
            },
        }
        for kind, s in current.items()
    }
    path.write_text(json.dumps(baseline, indent=2) + "\n")
    return baseline


def compare(baseline: dict, current: dict) -> tuple[list[str], list[str]]:
    """(problems, moved topics) of the current scores against the baseline."""
    problems, moved = [], []
    for kind, now in current.items():
        before = baseline.get(kind, {"overall_f1": 0.0, "topics": {}})
        drop = before["overall_f1"] - now["overall_f1"]
        if drop > ALLOWED_DROP:
            problems.append(
                f"{kind} F1 {now['overall_f1']:.3f} dropped {drop:.3f} from the baseline "
                f"{before['overall_f1']:.3f} (at most {ALLOWED_DROP})"
            )
        for label, f1 in sorted(now["topics"].items()):
            known = before["topics"].get(label)
            floor = known["floor"] if known else NEW_TOPIC_FLOOR
            if f1 < floor:
                problems.append(f"{kind} '{label}' F1 {f1:.2f} is below its floor {floor:.2f}")
            if known and abs(f1 - known["f1"]) >= MOVED:
                moved.append(f"{kind} '{label}' F1 {known['f1']:.2f} -> {f1:.2f}")
            elif not known:
                moved.append(f"{kind} '{label}' is new: F1 {f1:.2f}")
    return problems, moved


def gate(results: Path, path: Path = BASELINE_FILE) -> list[str]:
    """Prints what moved against the baseline; returns the problems."""
    if not path.exists():
        return [f"{path.name} is missing: run `clinic faq baseline` after a held-out run"]
    problems, moved = compare(json.loads(path.read_text()), scores(results))
    if moved:
        print("\nMoved against the baseline (tests/nlu_baseline.json):\n  " + "\n  ".join(moved))
    return problems
