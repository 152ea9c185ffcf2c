"""The text model on disk without pickle: JSON and plain numpy arrays.

Loading a pickle runs whatever code the file names, so a model archive from the wrong hands
would run code in every Rasa replica (Rasa 3.6.21 dropped pickle from its own components for
CVE-2024-49375). What the two linear components learn is written as:

- `text_model.json`: the format, the labels, each feature block's settings and vocabulary
  (word and concept grams, letter grams, the sentence's meaning), and what the component keeps
  beside the model (the FAQ answers' responses);
- `text_model.npz`: the IDF weights of each block, the coefficients and the intercepts, read
  with `allow_pickle=False`, so an array of Python objects is refused.

Nothing else is read: a directory holding any other file of ours (an old `text_model.joblib`)
is refused with a warning, and the component predicts nothing until the assistant is trained
again. Loaded, the model scores with text_model.QuickScorer, scikit-learn's own figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from clinic.nlp import text_model
from clinic.nlp.text_model import CharGrams, QuickScorer, SentenceMeaning, WordGrams

FORMAT = 2
JSON_FILE = "text_model.json"
ARRAYS_FILE = "text_model.npz"
KNOWN_FILES = {JSON_FILE, ARRAYS_FILE}


class ModelFileRefused(ValueError):
    """The directory does not hold a model this code wrote; the message says why."""


class SavedModel:
    """What text_model.ranking needs of a fitted pipeline (`classes_`, `predict_proba`), from the files."""

    def __init__(self, labels: list[str], scorer: QuickScorer) -> None:
        self.classes_ = np.asarray(labels)
        self.scorer = scorer

    def predict_proba(self, samples: list[text_model.Sample]) -> np.ndarray:
        return np.array([self.scorer.probabilities(sample) for sample in samples])


def save(directory: Path, model: Pipeline, extra: dict) -> None:
    """Writes `model` (the plain pipeline text_model.build makes) and `extra` (JSON values)."""
    if not QuickScorer.fits(model):
        raise ValueError("only an uncalibrated text model of three labels or more can be saved")
    blocks, arrays = [], {}
    for i, (_, block) in enumerate(model.named_steps["features"].transformer_list):
        if isinstance(block, SentenceMeaning):
            blocks.append({"kind": "meaning", "weight": block.weight})
            continue
        analyzer = block.analyzer
        if isinstance(analyzer, WordGrams):
            blocks.append(
                {
                    "kind": "words",
                    "replace": analyzer.replace,
                    "weight": analyzer.weight,
                    "concepts": {name: [list(p) for p in phrases] for name, phrases in analyzer.concepts.items()},
                }
            )
        elif isinstance(analyzer, CharGrams):
            blocks.append({"kind": "letters", "sizes": list(analyzer.sizes)})
        else:
            raise ValueError(f"no file format for the analyzer {type(analyzer).__name__}")
        blocks[-1]["vocabulary"] = {term: int(column) for term, column in block.vocabulary_.items()}
        arrays[f"idf_{i}"] = block.idf_
    classifier = model.named_steps["classifier"]
    arrays.update(coefficients=classifier.coef_, intercept=classifier.intercept_)
    description = {
        "format": FORMAT,
        "labels": [str(label) for label in classifier.classes_],
        "blocks": blocks,
        "extra": extra,
    }
    (directory / JSON_FILE).write_text(json.dumps(description, ensure_ascii=False), encoding="utf-8")
    np.savez(directory / ARRAYS_FILE, **arrays)


def load(directory: Path) -> tuple[SavedModel, dict]:
    """The model and what was kept beside it, or ModelFileRefused."""
    unknown = sorted(p.name for p in directory.iterdir() if p.name not in KNOWN_FILES)
    if unknown:
        raise ModelFileRefused(f"unexpected files {unknown} (pickles are never loaded): train again")
    try:
        description = json.loads((directory / JSON_FILE).read_text(encoding="utf-8"))
        with np.load(directory / ARRAYS_FILE, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError) as error:
        raise ModelFileRefused(f"unreadable model files ({type(error).__name__}: {error})") from None
    if description.get("format") != FORMAT:
        raise ModelFileRefused(f"model files of format {description.get('format')!r}, not {FORMAT}: train again")
    blocks, meaning, offset = [], None, 0
    for i, block in enumerate(description["blocks"]):
        if block["kind"] == "meaning":
            meaning = (SentenceMeaning(float(block["weight"])), offset)
            offset += text_model.sentence_encoder.DIMENSIONS
            continue
        if block["kind"] == "words":
            concepts = {name: [tuple(p) for p in phrases] for name, phrases in block["concepts"].items()}
            analyzer: WordGrams | CharGrams = WordGrams(concepts, bool(block["replace"]), int(block["weight"]))
        else:
            analyzer = CharGrams(tuple(block["sizes"]))
        vocabulary = {term: int(column) for term, column in block["vocabulary"].items()}
        blocks.append((analyzer, vocabulary, np.asarray(arrays[f"idf_{i}"], dtype=np.float64), offset))
        offset += len(vocabulary)
    weights = np.ascontiguousarray(np.asarray(arrays["coefficients"], dtype=np.float64).T)
    if weights.shape != (offset, len(description["labels"])):
        raise ModelFileRefused(f"coefficients of shape {weights.shape} for {offset} features")
    scorer = QuickScorer.from_parts(blocks, meaning, weights, np.asarray(arrays["intercept"], dtype=np.float64))
    return SavedModel(description["labels"], scorer), description.get("extra") or {}
