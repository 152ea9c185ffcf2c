"""A fallback classifier that also refuses to guess an answer.

Rasa's FallbackClassifier only looks at the intent. For a retrieval intent
(`faq`) the ResponseSelector then picks the answer, and
`utter_faq` says whatever it ranked first, however unsure. For a health
assistant a confident-sounding wrong answer is worse than asking again, so
this classifier also predicts `nlu_fallback` when the selected answer's
confidence is below `answer_threshold`, or when the answer belongs to
another retrieval intent than the one recognised.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
)
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

ANSWER_THRESHOLD_KEY = "answer_threshold"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class AnswerFallbackClassifier(FallbackClassifier):
    """Falls back on an unsure intent *or* an unsure answer."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**FallbackClassifier.get_default_config(), ANSWER_THRESHOLD_KEY: 0.5}

    def _should_fallback(self, message: Message) -> bool:
        return super()._should_fallback(message) or self._answer_is_unsure(message)

    def _answer_is_unsure(self, message: Message) -> bool:
        intent = message.data[INTENT].get(INTENT_NAME_KEY)
        selectors = message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}
        if intent not in selectors.get(RESPONSE_SELECTOR_RETRIEVAL_INTENTS, []):
            return False
        selected = selectors.get(intent) or selectors.get(RESPONSE_SELECTOR_DEFAULT_INTENT)
        if not selected:
            return True
        answer = selected[RESPONSE_SELECTOR_PREDICTION_KEY]
        answer_family = answer[INTENT_RESPONSE_KEY].split("/")[0]
        confidence = answer[PREDICTED_CONFIDENCE_KEY]
        if answer_family != intent:
            logger.debug(f"Answer {answer[INTENT_RESPONSE_KEY]} does not fit intent {intent}.")
            return True
        if confidence < self.component_config[ANSWER_THRESHOLD_KEY]:
            logger.debug(f"Answer confidence {confidence:.2f} is below the threshold.")
            return True
        return False
