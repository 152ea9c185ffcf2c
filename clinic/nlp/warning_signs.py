"""The safety net by meaning: a message close to the exemplars of a warning sign
(clinic/nlp/warning_signs.yml) gets that sign's tier, when the rules found nothing.

Each sentence of a message, and the message whole, is compared with every exemplar (cosine of
the sentence encoder's vectors, clinic/nlp/sentence_encoder.py). A sign is raised when its best
exemplar is at least `closeness` close, and closer by `margin` than the best calm exemplar
(idioms, ordinary pain talk and denials, and every example the assistant is trained on: "my back
is killing me" is near "I want to die" to a model of meaning, and nearer still to "this sciatica
is killing me"). The thresholds are set on
data by bench/warning_signs.py and kept in the YAML file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import yaml

from clinic.nlp.red_flags import RedFlag
from clinic.nlp.sentence_encoder import SentenceEncoder

SIGNS_FILE = Path(__file__).with_name("warning_signs.yml")
PART_WORDS = 5  # a shorter clause is read only within the message: "I need to plan." is no plan to die
SENTENCE_END = re.compile(r"(?<=[.!?;,])\s+|\n+|\s+(?:but|and then|and now|so)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Closeness:
    sign: str
    tier: str
    sign_score: float  # cosine to the sign's nearest exemplar
    calm_score: float  # cosine to the nearest calm exemplar
    part: str  # the sentence that came closest

    @property
    def margin(self) -> float:
        return self.sign_score - self.calm_score


def parts_of(text: str) -> list[str]:
    """The message whole, then each sentence or clause of it (a warning sign inside a long message),
    and each pair of neighbouring clauses (a sign said over a comma: "wrote a note, who gets my things")."""
    clauses = [p.strip() for p in SENTENCE_END.split(text) if p and p.strip()]
    pieces = clauses + [f"{a} {b}" for a, b in zip(clauses, clauses[1:])]
    whole = text.strip()
    return [whole] + list(dict.fromkeys(p for p in pieces if p != whole and len(p.split()) >= PART_WORDS))


class WarningSigns:
    def __init__(self, encoder: SentenceEncoder, known_calm: Sequence[str] = (), table: dict | None = None) -> None:
        """`known_calm`: messages known to need no alarm (the knowledge base's training examples)."""
        table = table or yaml.safe_load(SIGNS_FILE.read_text(encoding="utf-8"))
        self.encoder = encoder
        self.thresholds = {
            tier: (float(value["closeness"]), float(value["margin"])) for tier, value in table["thresholds"].items()
        }
        names = [(name, sign["tier"]) for name, sign in table["signs"].items() for _ in sign["exemplars"]]
        self.exemplar_signs = names
        self.exemplars = encoder.encode([e for sign in table["signs"].values() for e in sign["exemplars"]])
        self.calm = encoder.encode(list(table["calm"]) + list(known_calm))
        self.labels = {name: sign.get("label", name.replace("_", " ")) for name, sign in table["signs"].items()}

    def closest(self, text: str) -> Closeness | None:
        """The sign the message comes closest to, over its parts (None for an empty message)."""
        parts = parts_of(text)
        if not parts or not parts[0]:
            return None
        vectors = self.encoder.vectors(parts)
        to_signs, to_calm = vectors @ self.exemplars.T, vectors @ self.calm.T
        margins = to_signs.max(axis=1) - to_calm.max(axis=1)
        best = int(np.argmax(margins))
        exemplar = int(np.argmax(to_signs[best]))
        sign, tier = self.exemplar_signs[exemplar]
        return Closeness(sign, tier, float(to_signs[best, exemplar]), float(to_calm[best].max()), parts[best])

    def flags(self, text: str) -> list[RedFlag]:
        """The sign raised by meaning, as the rules' flags are (empty when none is close enough)."""
        close = self.closest(text)
        if close is None:
            return []
        closeness, margin = self.thresholds[close.tier]
        if close.sign_score < closeness or close.margin < margin:
            return []
        return [
            RedFlag(f"meaning_{close.sign}", close.tier, f"{self.labels[close.sign]} (by meaning)", close.part[:80])
        ]
