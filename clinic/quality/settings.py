"""Settings the gates read from config.yml, so no threshold is copied by hand."""

from __future__ import annotations

from functools import lru_cache

import yaml

from clinic import PROJECT_ROOT
from clinic.nlp import text_model

COMPONENTS = {
    "intent": "clinic.nlp.intent_classifier.LinearIntentClassifier",
    "answer": "clinic.nlp.answer_selector.LinearAnswerSelector",
}


@lru_cache(maxsize=1)
def pipeline() -> dict[str, dict]:
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    return {step["name"]: step for step in config["pipeline"]}


def component_settings(what: str) -> text_model.TextModelSettings:
    """The text model settings of the "intent" or "answer" component in config.yml."""
    return text_model.TextModelSettings.from_config(pipeline().get(COMPONENTS[what], {}))
