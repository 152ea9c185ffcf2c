"""The red-flag safety net as a Rasa NLU component.

Runs on every message after the intent classifiers. When the detector finds
crisis language or a red flag, the message's intent becomes `red_flag`
whatever the classifier thought ("never mind, I want to end it all" is a
crisis, not a cancel), and the flags (tier, flag, label) go into the parse result under
`red_flags` for the escalation action and for staff. The detector decides
alone: the intent classifier's `red_flag` guess is not calibrated (it fired
on "how should I look after myself after the session") and cannot read
negation, so without a detected flag its next intent is used if that is
confident, else the patient is asked to rephrase.

When the rules find nothing, the warning signs by meaning (clinic/nlp/warning_signs.py) may:
"my kids would be better off without me" names no rule's words. Their calm bank holds every
example the assistant is trained on (kept with the model as JSON), so a question the
knowledge base knows is never taken for a warning sign.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text

import spacy
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
)
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.nlp import sentence_encoder
from clinic.nlp.intents import set_intent
from clinic.nlp.pipeline import pipeline_dir
from clinic.nlp.red_flags import RedFlagDetector
from clinic.nlp.warning_signs import WarningSigns

logger = logging.getLogger(__name__)

RED_FLAG_INTENT = "red_flag"
RED_FLAGS_KEY = "red_flags"
CONFIDENT_KEY = "confident"  # config.yml sets it to the fallback classifier's threshold (a YAML alias)
CALM_FILE = "calm_examples.json"  # the training examples no alarm is due for: the semantic layer's calm bank


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RedFlagClassifier(GraphComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> List[type]:
        # It must run after the intent classifiers, which config.yml's order ensures. (Declaring them
        # here would fail Rasa's check of the training graph, where classifiers train, not run.)
        return []

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagClassifier:
        # Its own copy of the clinic pipeline: the detector must not depend on
        # what other components did to the message.
        return cls(spacy.load(pipeline_dir()), config[CONFIDENT_KEY], model_storage=model_storage, resource=resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> RedFlagClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                calm = json.loads((directory / CALM_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("RedFlagClassifier: no calm examples in the model; warning signs by meaning are off.")
            calm = None
        return cls(spacy.load(pipeline_dir()), config[CONFIDENT_KEY], calm)

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {CONFIDENT_KEY: 0.6}

    def __init__(
        self,
        nlp: spacy.language.Language,
        confident: float = 0.6,
        calm: Optional[List[str]] = None,
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
    ) -> None:
        self.detector = RedFlagDetector(nlp)
        self.confident = confident
        self._model_storage, self._resource = model_storage, resource
        encoder = sentence_encoder.shared() if calm is not None else None
        self.signs = WarningSigns(encoder, calm) if encoder and calm is not None else None  # encoder only with calm

    def train(self, training_data: TrainingData) -> Resource:
        calm = sorted(
            {m.get(TEXT) for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT) != RED_FLAG_INTENT}
        )
        assert self._model_storage is not None  # Rasa trains only what create() made, with its storage
        with self._model_storage.write_to(self._resource) as directory:
            (directory / CALM_FILE).write_text(json.dumps(calm, ensure_ascii=False), encoding="utf-8")
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            flags = list(self.detector.read(text).flags)
            if not flags and self.signs:
                flags = self.signs.flags(text)
            message.set(RED_FLAGS_KEY, [flag.as_dict() for flag in flags], add_to_output=True)
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if flags:
                logger.debug(f"Red flags {[f.flag for f in flags]} override intent {intent}.")
                set_intent(message, RED_FLAG_INTENT, 1.0)
            elif RED_FLAG_INTENT in (intent, _classifier_guess(message)):
                # Also when the fallback already took an unsure red_flag guess ("sitting at
                # my desk kills my back"): the question behind it may still be clear.
                set_intent(message, *_next_confident_intent(message, self.confident))
        return messages


def _classifier_guess(message: Message) -> str | None:
    """The intent classifier's first choice, before the fallback classifier's verdict."""
    return next(
        (
            r[INTENT_NAME_KEY]
            for r in message.get(INTENT_RANKING_KEY) or []
            if r.get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME
        ),
        None,
    )


def _next_confident_intent(message: Message, confident: float) -> tuple[str, float]:
    for candidate in message.get(INTENT_RANKING_KEY) or []:
        if candidate.get(INTENT_NAME_KEY) not in (RED_FLAG_INTENT, DEFAULT_NLU_FALLBACK_INTENT_NAME):
            # For a question, the chosen answer's confidence is the better evidence.
            confidence = max(candidate["confidence"], _answer_confidence(message, candidate[INTENT_NAME_KEY]))
            if confidence >= confident:
                return candidate[INTENT_NAME_KEY], confidence
            break
    return DEFAULT_NLU_FALLBACK_INTENT_NAME, confident


def _answer_confidence(message: Message, intent: str) -> float:
    selected = (message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}).get(RESPONSE_SELECTOR_DEFAULT_INTENT) or {}
    answer = selected.get(RESPONSE_SELECTOR_PREDICTION_KEY) or {}
    same_intent = answer.get(INTENT_RESPONSE_KEY, "").split("/")[0] == intent
    return answer.get("confidence", 0.0) if same_intent else 0.0
