"""Stratified k-fold cross-validation per topic over the training examples.

A new FAQ topic is judged on its own examples before any held-out phrasings
exist: each fold trains the served text model (clinic/nlp/text_model.py) on
the other folds and predicts the held-back examples. A topic or intent with no
phrasings in tests/nlu_heldout.yml yet needs F1 >= 0.9, and the report names
what it is confused with; the others are printed for information (their gate
is the held-out set and its baseline). Used by `clinic faq check` and
`make test`.

    python -m clinic.quality.cross_validation
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import spacy
from sklearn.model_selection import StratifiedKFold

from clinic import PROJECT_ROOT, knowledge
from clinic.nlp import text_model
from clinic.nlp.pipeline import ensure_built
from clinic.quality.settings import component_settings

FOLDS = 5
MIN_F1 = 0.9
SEED = 20261126
HELD_OUT = PROJECT_ROOT / "tests" / "nlu_heldout.yml"


@dataclass
class LabelScore:
    label: str
    examples: int
    precision: float
    recall: float
    confused_with: Counter = field(default_factory=Counter)

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def cross_validate(
    samples: list[text_model.Sample], labels: list[str], settings: text_model.TextModelSettings, folds: int = FOLDS
) -> list[LabelScore]:
    """Scores per label, worst F1 first."""
    truth = np.asarray(labels)
    predicted = np.empty(len(labels), dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for train, held in splitter.split(np.zeros(len(labels)), truth):
        model = text_model.train([samples[i] for i in train], [labels[i] for i in train], settings)
        predicted[held] = model.predict([samples[i] for i in held])
    scores = []
    for label in sorted(set(labels)):
        mine, said = truth == label, predicted == label
        hits = int(np.sum(mine & said))
        scores.append(
            LabelScore(
                label,
                int(mine.sum()),
                hits / said.sum() if said.sum() else 0.0,
                hits / mine.sum(),
                Counter(predicted[mine & ~said]),
            )
        )
    return sorted(scores, key=lambda s: (s.f1, s.label))


def training_sets(nlp) -> dict[str, tuple[list[text_model.Sample], list[str]]]:
    """What each component learns: "intent" (faq questions as `faq`) and "answer" (FAQ topics)."""
    by_label = knowledge.training_examples()
    texts = [text for texts in by_label.values() for text in texts]
    samples = dict(zip(texts, text_model.lemmas_of(nlp, texts)))
    intents = [(samples[t], label.split("/")[0]) for label, ts in by_label.items() for t in ts]
    answers = [(samples[t], label) for label, ts in by_label.items() if label.startswith("faq/") for t in ts]
    return {
        "intent": ([s for s, _ in intents], [lab for _, lab in intents]),
        "answer": ([s for s, _ in answers], [lab for _, lab in answers]),
    }


def gated_labels() -> set[str]:
    """Labels with no held-out phrasings yet: judged here, on their own examples."""
    measured = {label for label, _ in knowledge.examples(HELD_OUT)}
    measured |= {label.split("/")[0] for label in measured}
    return (set(knowledge.training_examples()) | {"faq"}) - measured


def report(scores: list[LabelScore], what: str, gated: set[str]) -> list[str]:
    """Prints the new labels' rows and a summary of the others; returns the gated labels under MIN_F1."""
    new = [s for s in scores if s.label in gated]
    known = [s for s in scores if s.label not in gated]
    print(f"{what}: {FOLDS}-fold cross-validation over the training examples")
    for s in new:
        confused = ", ".join(f"{label} ({n})" for label, n in s.confused_with.most_common(3))
        verdict = "ok" if s.f1 >= MIN_F1 else f"needs F1 >= {MIN_F1}"
        print(
            f"  new: {s.label} ({s.examples} examples) precision {s.precision:.2f} recall {s.recall:.2f} "
            f"F1 {s.f1:.2f}, {verdict}{f'; confused with {confused}' if confused else ''}"
        )
    if known:
        f1s = sorted(s.f1 for s in known)
        print(
            f"  {len(known)} labels with held-out phrasings (gated by the held-out set): median F1 "
            f"{f1s[len(f1s) // 2]:.2f}, lowest {known[0].f1:.2f} ({known[0].label})"
        )
    return [
        f"{what} {s.label}: F1 {s.f1:.2f} < {MIN_F1} in cross-validation (confused with "
        f"{', '.join(s.confused_with) or 'nothing'}); reword or add examples, or add held-out "
        f"phrasings to tests/nlu_heldout.yml"
        for s in new
        if s.f1 < MIN_F1
    ]


def problems(nlp) -> list[str]:
    """Runs the cross-validation of both components, prints it, returns the gate's problems."""
    gated, found = gated_labels(), []
    for what, (samples, labels) in training_sets(nlp).items():
        found += report(cross_validate(samples, labels, component_settings(what)), what, gated)
    return found


def main() -> int:
    found = problems(spacy.load(ensure_built()))
    for problem in found:
        print(f"problem: {problem}")
    print("Cross-validation gate " + ("FAILED" if found else "passed") + ".")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
