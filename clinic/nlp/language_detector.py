"""Patients who write in another language, as a Rasa NLU component.

Runs after the intent classifiers and the fallback: a message read as another
language (clinic/nlp/language.py) gets the intent `other_language`, whatever
the English classifiers made of it (a Spanish price question must not start
the callback form), and its language under `language` in the parse result.
The red-flag classifier runs after this one: crisis and emergencies in
Spanish still win.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from clinic.nlp.intents import set_intent
from clinic.nlp.language import LanguageReader, language_reader

OTHER_LANGUAGE_INTENT = "other_language"
LANGUAGE_KEY = "language"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LanguageDetector(GraphComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> List[type]:
        return [IntentClassifier]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls(language_reader())

    def __init__(self, reader: LanguageReader) -> None:
        self.reader = reader

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or text.startswith("/"):
                continue
            guess = self.reader.read(text)
            message.set(
                LANGUAGE_KEY, {"code": guess.code, "confidence": round(guess.confidence, 3)}, add_to_output=True
            )
            if not guess.english:
                set_intent(message, OTHER_LANGUAGE_INTENT, guess.confidence)
        return messages
