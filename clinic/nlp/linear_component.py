"""What the clinic's two learned NLU components share: training the text model
(clinic/nlp/text_model.py) on Rasa's training data, storing it with the Rasa
model without pickle (clinic/nlp/model_files.py), and ranking each message's labels."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.nlp import model_files, text_model

logger = logging.getLogger(__name__)

RANKING_LENGTH = 10


def sample_of(message: Message) -> text_model.Sample:
    """(text, lemmas) as the SpacyTokenizer left them."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return message.get(TEXT) or "", [token.lemma or token.text for token in tokens]


class LinearComponent(GraphComponent):
    """Subclasses say which examples to learn and how to write a ranking into a message."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": text_model.TextModelSettings.C,
            "char_ngrams": list(text_model.TextModelSettings.char_ngrams),
            "calibration_folds": 0,
            "concepts": text_model.TextModelSettings.concepts,
            "meaning_weight": text_model.TextModelSettings.meaning_weight,
            # Part of the config so that a model stored in an older file format is trained again.
            "model_format": model_files.FORMAT,
            # Part of the config so that Rasa's training cache notices a changed thesaurus.
            "thesaurus": text_model.concepts_fingerprint(),
        }

    def __init__(
        self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, trained: Optional[dict] = None
    ) -> None:
        self.config = config
        self.settings = text_model.TextModelSettings.from_config(config)
        self._model_storage = model_storage
        self._resource = resource
        self.trained = trained or {}  # {"model": the fitted pipeline, plus what a subclass keeps}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearComponent:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearComponent:
        try:
            with model_storage.read_from(resource) as directory:
                # Our own files, written by train() into Rasa's model archive: JSON and arrays, never pickle.
                model, extra = model_files.load(directory)
                trained = {"model": model, **extra}
        except model_files.ModelFileRefused as why:
            logger.warning(f"{cls.__name__}: model files refused, it will predict nothing: {why}")
            trained = {}
        except (ValueError, FileNotFoundError):
            logger.warning(f"{cls.__name__}: no trained model found; it will predict nothing.")
            trained = {}
        return cls(config, model_storage, resource, trained)

    def labelled_examples(self, training_data: TrainingData) -> list[tuple[Message, str]]:
        raise NotImplementedError

    def extra_to_keep(self, training_data: TrainingData) -> dict:
        return {}

    def train(self, training_data: TrainingData) -> Resource:
        examples = self.labelled_examples(training_data)
        if examples:
            model = text_model.train(
                [sample_of(m) for m, _ in examples], [label for _, label in examples], self.settings
            )
            extra = self.extra_to_keep(training_data)
            self.trained = {"model": model, **extra}
            with self._model_storage.write_to(self._resource) as directory:
                model_files.save(directory, model, extra)
        return self._resource

    def rankings(self, messages: List[Message]) -> list[list[tuple[str, float]]]:
        if "model" not in self.trained or not messages:
            return [[] for _ in messages]
        return [
            ranking[:RANKING_LENGTH]
            for ranking in text_model.ranking(self.trained["model"], [sample_of(m) for m in messages])
        ]
