"""Builds the clinic's English spaCy pipeline from code, with no model download.

blank English + lookup lemmatizer (tables from `spacy-lookups-data`) + an entity
ruler for the clinic's vocabulary. Rasa's `SpacyNLP` loads it from
`spacy_pipeline/clinic_en_v<version>` (see config.yml).

    python -m clinic.nlp.pipeline    # builds it if it is missing or stale
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import cast

import spacy
import yaml
from spacy.language import Language
from spacy.pipeline import EntityRuler

from clinic import PROJECT_ROOT

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yml")
ENTITY_LABELS = ("body_part", "symptom", "therapy")


def load_vocabulary() -> dict:
    return yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))


def pipeline_dir(vocabulary: dict | None = None) -> Path:
    version = (vocabulary or load_vocabulary())["version"]
    return PROJECT_ROOT / "spacy_pipeline" / f"clinic_en_v{version}"


def build(vocabulary: dict | None = None) -> Language:
    vocabulary = vocabulary or load_vocabulary()
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # add_pipe is typed as returning any Pipe; this one is an EntityRuler.
    ruler = cast(EntityRuler, nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LEMMA"}))
    nlp.initialize()
    # Patterns go in after initialize(): initialize() clears the ruler.
    # Rasa lower-cases text before spaCy sees it, so patterns are lower case too.
    ruler.add_patterns([_pattern(label, phrase.lower()) for label in ENTITY_LABELS for phrase in vocabulary[label]])
    nlp.meta["name"] = f"clinic_en_v{vocabulary['version']}"
    nlp.meta["version"] = f"{vocabulary['version']}.0.0"
    nlp.meta["description"] = "Movement Clinic English: lookup lemmas + clinic entity ruler"
    nlp.meta["vocabulary_sha256"] = _fingerprint(vocabulary)
    return nlp


def _pattern(label: str, phrase: str) -> dict:
    if phrase.startswith("="):  # exact words, not lemmas
        return {"label": label, "pattern": [{"LOWER": word} for word in phrase[1:].split()]}
    return {"label": label, "pattern": phrase}


def _fingerprint(vocabulary: dict) -> str:
    return hashlib.sha256(json.dumps(vocabulary, sort_keys=True).encode()).hexdigest()


def ensure_built() -> Path:
    """Builds the pipeline unless an identical one is already on disk."""
    vocabulary = load_vocabulary()
    target = pipeline_dir(vocabulary)
    meta_file = target / "meta.json"
    if meta_file.exists():
        meta = json.loads(meta_file.read_text())
        if meta.get("vocabulary_sha256") == _fingerprint(vocabulary) and meta.get("spacy_version", "").startswith(
            f">={spacy.about.__version__}"
        ):
            return target
        print(
            f"warning: {target.name} is being rebuilt with a changed vocabulary; "
            "raise `version` in vocabulary.yml and config.yml so Rasa retrains."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    build(vocabulary).to_disk(target)
    print(f"==> Built spaCy pipeline {target.relative_to(PROJECT_ROOT)}")
    return target


if __name__ == "__main__":
    ensure_built()
