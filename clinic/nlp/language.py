"""Which language a patient wrote in: English, Spanish or another.

lingua (offline: its models ship inside the wheel; low-accuracy mode, ~25 MB,
loaded the first time a message is not plainly English, so a server that only
ever hears English does without them) names the most likely language of the
recognised ones (languages.yml). A
message counts as another language only when lingua is sure and few of its
words are common English words, and the message is a question or a sentence
(three words or more), or in another script: short English messages ("ok",
"and the sauna?") and names ("José García", typed into the booking form) must
never be taken for Spanish.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

SETTINGS_FILE = Path(__file__).with_name("languages.yml")
WORD = re.compile(r"[^\W\d_]+")
LATIN = re.compile(r"^[\x00-\u024f\s\W\d]*$")
ENGLISH = "en"
SENTENCE_WORDS = 3


@dataclass(frozen=True)
class LanguageGuess:
    code: str  # ISO 639-1, e.g. "es"
    confidence: float

    @property
    def english(self) -> bool:
        return self.code == ENGLISH


class LanguageReader:
    def __init__(self, settings_file: Path = SETTINGS_FILE) -> None:
        settings = yaml.safe_load(settings_file.read_text(encoding="utf-8"))
        languages = [
            Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in settings["recognised"]
        ]
        self._detector = LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()
        self._confident = float(settings["confident"])
        self._most_english = float(settings["most_english"])
        self._english_words = frozenset(settings["english_words"])
        self._common_words = {code: frozenset(words) for code, words in settings["common_words"].items()}

    def read(self, text: str) -> LanguageGuess:
        words = WORD.findall(text.lower())
        sentence_like = len(words) >= SENTENCE_WORDS or "?" in text or "¿" in text or not LATIN.match(text)
        if not words or not sentence_like:
            return LanguageGuess(ENGLISH, 1.0)
        if sum(w in self._english_words for w in words) / len(words) >= self._most_english:
            return LanguageGuess(ENGLISH, 1.0)  # most messages: no need to ask lingua
        values = self._detector.compute_language_confidence_values(text)
        best = values[0] if values else None
        code = best.language.iso_code_639_1.name.lower() if best else ENGLISH
        if best is None or code == ENGLISH or best.value < self._confident:  # no best: code is ENGLISH
            return LanguageGuess(ENGLISH, 1.0)
        if code in self._common_words and not self._common_words[code] & set(words):
            return LanguageGuess(ENGLISH, 1.0)  # letters that look like a language, but none of its words
        return LanguageGuess(code, float(best.value))


@lru_cache(maxsize=1)
def language_reader() -> LanguageReader:
    return LanguageReader()
