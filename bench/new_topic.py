"""Can a new FAQ topic be learned from 10 examples? The cross-validation gate of
`clinic faq check` (clinic/quality/cross_validation.py), run on the knowledge
base plus one new topic at a time: the walk-through FAQ of docs/authoring-faqs.md
(tests/new_faq.py) and the helper-written sets in tests/new_faq_examples.yml,
tuning and blind halves apart. Numbers, not a gate.

    python bench/new_topic.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import spacy
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from clinic.nlp import text_model  # noqa: E402
from clinic.nlp.pipeline import ensure_built  # noqa: E402
from clinic.quality import cross_validation  # noqa: E402
from clinic.quality.settings import component_settings  # noqa: E402
from new_faq import EXERCISE  # noqa: E402

SETS = ROOT / "tests" / "new_faq_examples.yml"
NEW = "faq/new_topic"


def judge(nlp, examples: list[str]) -> cross_validation.LabelScore:
    samples, labels = cross_validation.training_sets(nlp)["answer"]
    scores = cross_validation.cross_validate(samples + text_model.lemmas_of(nlp, examples),
                                             labels + [NEW] * len(examples), component_settings("answer"))
    return next(score for score in scores if score.label == NEW)


def main() -> None:
    nlp = spacy.load(ensure_built())
    halves = {"README walk-through": {"tests/new_faq.py": EXERCISE.examples},
              **yaml.safe_load(SETS.read_text(encoding="utf-8"))}
    print(f"A new topic from 10 examples, {cross_validation.FOLDS}-fold cross-validation "
          f"(the gate needs F1 >= {cross_validation.MIN_F1}):")
    for half, sets in halves.items():
        passed = 0
        for name, examples in sets.items():
            score = judge(nlp, examples)
            passed += score.f1 >= cross_validation.MIN_F1
            confused = ", ".join(f"{label} ({n})" for label, n in score.confused_with.most_common(3)) or "nothing"
            print(f"  {half:20s} {name:18s} F1 {score.f1:.2f}  precision {score.precision:.2f}  "
                  f"recall {score.recall:.2f}  confused with {confused}")
        print(f"  {half}: {passed} of {len(sets)} sets pass")


if __name__ == "__main__":
    main()
