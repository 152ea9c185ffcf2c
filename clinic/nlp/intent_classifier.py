"""The intent classifier: the clinic's linear text model as a Rasa component.

Writes `intent` and `intent_ranking` like Rasa's own classifiers, so the
fallback classifier, the rules and `rasa test nlu` work unchanged. An FAQ
question's intent is the retrieval intent `faq`; which answer is the
answer selector's job (clinic/nlp/answer_selector.py).
"""

from __future__ import annotations

from typing import List, Type

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.nlp.linear_component import LinearComponent

ANSWERS_ONLY = "answers_only"  # an intent block's metadata: phrasings for the answer selector alone


def answers_only(message: Message) -> bool:
    return bool(((message.get("metadata") or {}).get("intent") or {}).get(ANSWERS_ONLY))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(LinearComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    def labelled_examples(self, training_data: TrainingData) -> list[tuple[Message, str]]:
        """Every example under its intent, except phrasings marked `answers_only` (data/faq/writers/):
        they teach which answer fits, and hundreds of them let a topic's rare words ("a course of
        treatment") outweigh a short reply ("of course") in telling a question from a "yes"."""
        return [
            (m, m.get(INTENT))
            for m in training_data.intent_examples
            if m.get(INTENT) and m.get(TEXT) and not answers_only(m)
        ]

    def process(self, messages: List[Message]) -> List[Message]:
        for message, ranking in zip(messages, self.rankings(messages)):
            if not ranking:
                continue
            listed = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence} for name, confidence in ranking]
            message.set(INTENT, listed[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, listed, add_to_output=True)
        return messages
