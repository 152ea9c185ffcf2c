"""The intent classifier: the clinic's linear text model as a Rasa component.

Writes `intent` and `intent_ranking` like Rasa's own classifiers, so the
fallback classifier, the rules and `rasa test nlu` work unchanged. An FAQ
question's intent is the retrieval intent `faq`; which answer is the
answer selector's job (clinic/nlp/answer_selector.py).
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Dict, List, Text, Type

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RESPONSE_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.nlp.linear_component import LinearComponent


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(LinearComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LinearComponent.get_default_config(), "most_per_answer": None}

    def labelled_examples(self, training_data: TrainingData) -> list[tuple[Message, str]]:
        """Every example under its intent; with `most_per_answer`, an FAQ answer's first so many only.
        Telling a question from a "yes" needs a few dozen phrasings per answer: hundreds of them let
        one answer's rare words ("a course of treatment") outweigh a short reply ("of course")."""
        most, taken = self.config.get("most_per_answer"), Counter()
        chosen = []
        for message in training_data.intent_examples:
            if not (message.get(INTENT) and message.get(TEXT)):
                continue
            answer = message.get(INTENT_RESPONSE_KEY)
            if most and answer:
                taken[answer] += 1
                if taken[answer] > most:
                    continue
            chosen.append((message, message.get(INTENT)))
        return chosen

    def process(self, messages: List[Message]) -> List[Message]:
        for message, ranking in zip(messages, self.rankings(messages)):
            if not ranking:
                continue
            listed = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence} for name, confidence in ranking]
            message.set(INTENT, listed[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, listed, add_to_output=True)
        return messages
