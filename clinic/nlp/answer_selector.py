"""The FAQ answer selector: the clinic's linear text model as a Rasa component.

Chooses which answer of the retrieval intent (`faq/does_it_hurt`, ...) fits a
message and writes it as Rasa's ResponseSelector does (`response_selector`,
key "default"), so `utter_faq`, the answer fallback, the rules, `rasa test nlu`
and the held-out gate work unchanged.
"""
from __future__ import annotations

from typing import List, Type

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.nlp.linear_component import LinearComponent


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearAnswerSelector(LinearComponent):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    def labelled_examples(self, training_data: TrainingData) -> list[tuple[Message, str]]:
        return [(m, m.get(INTENT_RESPONSE_KEY)) for m in training_data.intent_examples
                if m.get(INTENT_RESPONSE_KEY) and m.get(TEXT)]

    def extra_to_keep(self, training_data: TrainingData) -> dict:
        keys = {m.get(INTENT_RESPONSE_KEY) for m in training_data.intent_examples if m.get(INTENT_RESPONSE_KEY)}
        return {"retrieval_intents": sorted({m.get(INTENT) for m in training_data.intent_examples
                                             if m.get(INTENT_RESPONSE_KEY)}),
                "responses": {key: training_data.responses.get(f"utter_{key}", []) for key in keys}}

    def process(self, messages: List[Message]) -> List[Message]:
        for message, ranking in zip(messages, self.rankings(messages)):
            if not ranking:
                continue
            key, confidence = ranking[0]
            selected = {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    RESPONSE_SELECTOR_RESPONSES_KEY: self.trained["responses"].get(key, []),
                    PREDICTED_CONFIDENCE_KEY: confidence,
                    INTENT_RESPONSE_KEY: key,
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{key}",
                },
                RESPONSE_SELECTOR_RANKING_KEY: [{PREDICTED_CONFIDENCE_KEY: c, INTENT_RESPONSE_KEY: k}
                                                for k, c in ranking],
            }
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, {
                RESPONSE_SELECTOR_RETRIEVAL_INTENTS: self.trained["retrieval_intents"],
                RESPONSE_SELECTOR_DEFAULT_INTENT: selected,
            }, add_to_output=True)
        return messages
