"""The assistant's one text model: a linear classifier over words and letters.

Word unigrams and bigrams of spaCy lemmas ("needles" = "needle"; "how long" is
not "how many"), the clinic's thesaurus (concepts.yml: "cycling" counts like
"exercise") and character n-grams inside words (patients' spelling:
"siatica", "neddling"), TF-IDF weighted, into a logistic regression. It trains
in about a second on the whole knowledge base, so the intent classifier, the
FAQ answer selector (clinic/nlp/intent_classifier.py, answer_selector.py) and
the cross-validation gate (clinic/quality/cross_validation.py) all use it, and
a gate's figures are the served model's figures.

A sample is (text, lemmas): inside Rasa the lemmas come from the
SpacyTokenizer; outside Rasa from the same spaCy pipeline (`lemmas_of`).
"""

from __future__ import annotations

import hashlib
import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import yaml
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from clinic.nlp import sentence_encoder

Sample = tuple[str, Sequence[str]]  # (text as typed, lemmas of its tokens)
CONCEPTS_FILE = Path(__file__).with_name("concepts.yml")
WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class TextModelSettings:
    """Read from the component's entry in config.yml."""

    C: float = 100.0  # inverse regularisation: the knowledge base is small and clean
    char_ngrams: tuple[int, int] = (2, 5)
    calibration_folds: int = (
        0  # >1: sigmoid calibration over that many folds (measured: plain LR is better calibrated here)
    )
    # "add": a thesaurus concept is one more feature next to its words; "replace": its
    # words become the concept, so a topic's few examples share one strong feature
    # ("gym", "run" and "lift weights" all read "concept:exercise").
    concepts: str = "add"
    # How many times a concept counts: 2 lets a new topic's shared idea ("concept:exercise")
    # outweigh the words it shares with an older topic ("after dry needling").
    concept_weight: int = 1
    # How much the sentence's meaning counts (clinic/nlp/sentence_encoder.py): its 512 numbers, times
    # this, beside the words and letters. 0: words and letters alone.
    meaning_weight: float = 0.0

    @classmethod
    def from_config(cls, config: dict) -> TextModelSettings:
        concepts = str(config.get("concepts", cls.concepts))
        if concepts not in ("add", "replace"):
            raise ValueError(f"concepts must be 'add' or 'replace', not {concepts!r}")
        return cls(
            C=float(config.get("C", cls.C)),
            char_ngrams=tuple(config.get("char_ngrams", cls.char_ngrams)),
            calibration_folds=int(config.get("calibration_folds", cls.calibration_folds)),
            concepts=concepts,
            concept_weight=int(config.get("concept_weight", cls.concept_weight)),
            meaning_weight=float(config.get("meaning_weight", cls.meaning_weight)),
        )


def load_concepts(path: Path = CONCEPTS_FILE) -> dict[str, list[tuple[str, ...]]]:
    """The thesaurus (concepts.yml) as word sequences per concept."""
    table = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {name: [tuple(str(entry).lower().split()) for entry in entries] for name, entries in table.items()}


def concepts_fingerprint(path: Path = CONCEPTS_FILE) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


class WordGrams:
    """Lemma unigrams and bigrams, plus "concept:<name>" for each thesaurus concept present
    (with `replace`, instead of the lemmas that name it), each concept `weight` times."""

    def __init__(self, concepts: dict[str, list[tuple[str, ...]]], replace: bool = False, weight: int = 1) -> None:
        self.concepts = concepts
        self.replace = replace
        self.weight = weight
        self._index()

    def _index(self) -> None:
        # Phrases by their first word, longest first, and one lookup for any phrase:
        # every message and every training example goes through here.
        self._by_first_word: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self._concept_of: dict[tuple[str, ...], list[str]] = {}
        for name, phrases in self.concepts.items():
            for phrase in phrases:
                self._by_first_word.setdefault(phrase[0], []).append((phrase, name))
                self._concept_of.setdefault(phrase, []).append(name)
        for entries in self._by_first_word.values():
            entries.sort(key=lambda entry: -len(entry[0]))
        self._longest = max((len(phrase) for phrase in self._concept_of), default=0)
        self._order = {name: i for i, name in enumerate(self.concepts)}

    def __getstate__(self) -> dict:
        return {"concepts": self.concepts, "replace": self.replace, "weight": self.weight}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update({"weight": 1, **state})
        self._index()

    def _named_by_concepts(self, lemmas: list[str]) -> list[str]:
        units, i = [], 0
        while i < len(lemmas):
            found = next(
                (
                    (phrase, name)
                    for phrase, name in self._by_first_word.get(lemmas[i], ())
                    if tuple(lemmas[i : i + len(phrase)]) == phrase
                ),
                None,
            )
            units.append(f"concept:{found[1]}" if found else lemmas[i])
            i += len(found[0]) if found else 1
        return units

    def _concepts_in(self, *texts: Sequence[str]) -> list[str]:
        found: set[str] = set()
        for words in texts:
            for n in range(1, self._longest + 1):
                for i in range(len(words) - n + 1):
                    found.update(self._concept_of.get(tuple(words[i : i + n]), ()))
        return sorted(found, key=self._order.__getitem__)

    def __call__(self, sample: Sample) -> list[str]:
        lemmas = [lemma.lower() for lemma in sample[1] if any(c.isalnum() for c in lemma)]
        words = WORD.findall(sample[0].lower())
        units = self._named_by_concepts(lemmas) if self.replace else lemmas
        grams = units + [f"{first} {second}" for first, second in zip(units, units[1:])]
        present = [f"concept:{name}" for name in self._concepts_in(words, lemmas)]
        return grams + [concept for concept in present if concept not in units] + present * (self.weight - 1)


def char_grams(sample: Sample, sizes: tuple[int, int] = (2, 5)) -> list[str]:
    grams = []
    for word in sample[0].lower().split():
        padded = f" {word} "
        for n in range(sizes[0], sizes[1] + 1):
            grams += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
    return grams


class CharGrams:
    """char_grams with the configured sizes, as a picklable callable."""

    def __init__(self, sizes: tuple[int, int]) -> None:
        self.sizes = sizes

    def __call__(self, sample: Sample) -> list[str]:
        return char_grams(sample, self.sizes)


class SentenceMeaning(BaseEstimator, TransformerMixin):
    """Each sample's sentence vector, times `weight`: the meaning beside the words. Without the
    encoder (it failed to load, with a warning), zeros: the words and letters decide alone."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def fit(self, samples, labels=None) -> SentenceMeaning:
        return self

    def transform(self, samples) -> np.ndarray:
        encoder = sentence_encoder.shared()
        if encoder is None:
            return np.zeros((len(samples), sentence_encoder.DIMENSIONS))
        return encoder.vectors([text for text, _ in samples]).astype(np.float64) * self.weight


def build(settings: TextModelSettings, smallest_class: int) -> Pipeline:
    """An untrained model; calibrated when every class has enough examples for its folds."""
    classifier = LogisticRegression(C=settings.C, max_iter=5000, class_weight="balanced")
    if settings.calibration_folds > 1 and smallest_class >= settings.calibration_folds:
        classifier = CalibratedClassifierCV(classifier, method="sigmoid", cv=settings.calibration_folds)
    blocks = [
        (
            "words",
            TfidfVectorizer(
                analyzer=WordGrams(load_concepts(), settings.concepts == "replace", settings.concept_weight),
                sublinear_tf=True,
            ),
        ),
        ("letters", TfidfVectorizer(analyzer=CharGrams(settings.char_ngrams), sublinear_tf=True)),
    ]
    if settings.meaning_weight > 0:
        blocks.append(("meaning", SentenceMeaning(settings.meaning_weight)))
    features = FeatureUnion(blocks)
    return Pipeline([("features", features), ("classifier", classifier)])


def train(samples: list[Sample], labels: list[str], settings: TextModelSettings) -> Pipeline:
    smallest = min(labels.count(label) for label in set(labels))
    return build(settings, smallest).fit(samples, np.asarray(labels))


class QuickScorer:
    """The fitted pipeline's predict_proba for one message at a time, in plain numpy.

    scikit-learn builds and multiplies sparse matrices for every call: about
    1.2 ms a message for each of the two models, against about 0.1 ms here, on
    every patient's turn. Same figures (tests/test_text_model.py): counts of the
    terms the vectorisers know, 1 + log(count), times idf, L2-normalised per
    vectoriser, then the multinomial logistic regression's softmax."""

    def __init__(self, model: Pipeline) -> None:
        blocks, meaning, offset = [], None, 0
        for _, block in model.named_steps["features"].transformer_list:
            if isinstance(block, SentenceMeaning):
                meaning = (block, offset)
                offset += sentence_encoder.DIMENSIONS
                continue
            blocks.append((block.analyzer, block.vocabulary_, block.idf_, offset))
            offset += len(block.vocabulary_)
        classifier = model.named_steps["classifier"]
        self._set(blocks, meaning, np.ascontiguousarray(classifier.coef_.T), classifier.intercept_)

    @classmethod
    def from_parts(cls, blocks: list, meaning, weights: np.ndarray, intercept: np.ndarray) -> QuickScorer:
        """A scorer from what clinic/nlp/model_files.py read: (analyzer, vocabulary, idf, first
        column) per block, the meaning block and its first column or None, one weight row per feature."""
        scorer = cls.__new__(cls)
        scorer._set(blocks, meaning, weights, intercept)
        return scorer

    def _set(self, blocks: list, meaning, weights: np.ndarray, intercept: np.ndarray) -> None:
        self.blocks, self.meaning, self.weights, self.intercept = blocks, meaning, weights, intercept

    @staticmethod
    def fits(model: Pipeline) -> bool:
        """True for the pipeline build() makes, uncalibrated, with more than two labels."""
        classifier = model.named_steps.get("classifier")
        union = model.named_steps.get("features")
        return (
            len(model.steps) == 2
            and isinstance(classifier, LogisticRegression)
            and isinstance(union, FeatureUnion)
            and len(classifier.classes_) > 2
            and classifier.multi_class in ("auto", "multinomial")
            and classifier.solver != "liblinear"
            and union.transformer_weights is None
            and all(
                isinstance(v, SentenceMeaning)
                or (
                    isinstance(v, TfidfVectorizer)
                    and v.sublinear_tf
                    and v.use_idf
                    and v.norm == "l2"
                    and not v.binary
                    and v.dtype == np.float64
                    and callable(v.analyzer)
                )
                for _, v in union.transformer_list
            )
        )

    def probabilities(self, sample: Sample) -> np.ndarray:
        features, values = [], []
        for analyzer, vocabulary, idf, offset in self.blocks:
            counts: dict[int, int] = {}
            for term in analyzer(sample):
                column = vocabulary.get(term)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            columns = np.fromiter(counts, dtype=np.intp, count=len(counts))
            weight = (1 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * idf[columns]
            features.append(columns + offset)
            values.append(weight / np.sqrt(weight @ weight))
        scores = self.intercept.copy()
        if features:
            scores += np.concatenate(values) @ self.weights[np.concatenate(features)]
        if self.meaning:
            block, offset = self.meaning
            scores += block.transform([sample])[0] @ self.weights[offset : offset + sentence_encoder.DIMENSIONS]
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()


_scorers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def ranking(model: Pipeline, samples: list[Sample]) -> list[list[tuple[str, float]]]:
    """Per sample, (label, probability) from most to least likely."""
    labels = model.classes_
    if model not in _scorers:
        _scorers[model] = QuickScorer(model) if isinstance(model, Pipeline) and QuickScorer.fits(model) else None
    scorer = _scorers[model]
    rows = [scorer.probabilities(sample) for sample in samples] if scorer else model.predict_proba(samples)
    return [sorted(zip(labels, map(float, row)), key=lambda pair: -pair[1]) for row in rows]


def lemmas_of(nlp, texts: list[str]) -> list[Sample]:
    """Samples as Rasa's SpacyNLP + SpacyTokenizer see them (lower-cased, no blank tokens)."""
    return [
        (text, [t.lemma_ for t in doc if t.text.strip()])
        for text, doc in zip(texts, nlp.pipe(t.lower() for t in texts))
    ]
