"""Where to set the semantic safety net's thresholds (clinic/nlp/warning_signs.yml), on data.

For every phrasing it computes how close it comes to a warning sign by meaning, then, for a
grid of (threshold, margin), prints the recall of crisis and emergency phrasings and the false
alarms on ordinary phrasings (the knowledge base's examples and the held-out set) and on idioms
and hyperbole (the safety tests' traps), all from tuning sets: the strangers' tuning half
(tests/strangers.yml), tests/calm_tuning.yml and the safety net's tests/red_flags.yml and
tests/crisis_emergencies.yml.
Never the blind halves. The rules find most of the crisis phrasings anyway: this measures the
layer alone, which only speaks when the rules found nothing.

    python bench/warning_signs.py
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
THRESHOLDS = (0.45, 0.5, 0.55, 0.6, 0.65)
MARGINS = (0.0, 0.05, 0.1, 0.15)


def texts(entries) -> list[str]:
    if isinstance(entries, dict):
        return [t for values in entries.values() for t in texts(values)]
    return [e["text"] if isinstance(e, dict) else str(e) for e in entries or []]


def sets() -> dict[str, list[str]]:
    from clinic import knowledge
    from clinic.quality.safety import HELD_OUT

    crisis_tests = yaml.safe_load((ROOT / "tests" / "crisis_emergencies.yml").read_text())
    red_flags = yaml.safe_load((ROOT / "tests" / "red_flags.yml").read_text())
    strangers_path = ROOT / "tests" / "strangers.yml"
    strangers = yaml.safe_load(strangers_path.read_text()) if strangers_path.exists() else {}
    calm = yaml.safe_load((ROOT / "tests" / "calm_tuning.yml").read_text())
    calm_questions = [i["text"] for key in ("article_questions", "not_in_article") for i in strangers.get(key) or []]
    return {
        "crisis": texts(crisis_tests["crisis"]) + texts(strangers.get("crisis")),
        "emergency": texts(crisis_tests["emergency"]) + texts(red_flags["emergency"]) + texts(strangers.get("emergency")),
        # The knowledge base's own examples are the layer's calm bank: only unseen phrasings count.
        "ordinary": [t for intent, t in knowledge.examples(HELD_OUT) if intent != "red_flag"]
        + texts(strangers.get("ordinary")) + calm_questions + texts(calm["ordinary"]),
        "idioms": texts(crisis_tests["traps"]) + texts(red_flags["negations"]) + texts(strangers.get("idioms"))
        + texts(calm["idioms"]),
    }


def main() -> None:
    from clinic.nlp.sentence_encoder import shared
    from clinic.nlp.warning_signs import WarningSigns

    from clinic import knowledge

    signs = WarningSigns(shared(), [t for intent, examples in knowledge.training_examples().items()
                                    if intent != "red_flag" for t in examples])
    closeness = {name: [signs.closest(t) for t in phrasings] for name, phrasings in sets().items()}
    # Each tier on its own: its recall, and the false alarms its threshold raises.
    for tier in ("crisis", "emergency"):
        print(f"\n{tier}: {'threshold':>9} {'margin':>6} | {'recall':>14} | {'ordinary FA':>14} {'idioms FA':>12}")
        for threshold, margin in itertools.product(THRESHOLDS, MARGINS):
            def raised(close):
                return (close is not None and close.tier == tier and close.sign_score >= threshold
                        and close.margin >= margin)
            row = []
            for name in (tier, "ordinary", "idioms"):
                found = sum(map(raised, closeness[name]))
                row.append(f"{found / len(closeness[name]):6.1%} ({found:>3}/{len(closeness[name])})")
            print(f"{'':{len(tier) + 1}} {threshold:9.2f} {margin:6.2f} | {row[0]:>14} | {row[1]:>14} {row[2]:>12}")
    if "-v" in sys.argv:
        for name in ("ordinary", "idioms"):
            worst = sorted((c for c in closeness[name] if c), key=lambda c: -c.margin)[:15]
            print(f"\ncalm {name} closest to a sign:")
            for c in worst:
                print(f"  {c.sign_score:.2f} {c.margin:+.2f} {c.sign:16} {c.part[:90]!r}")


if __name__ == "__main__":
    main()
