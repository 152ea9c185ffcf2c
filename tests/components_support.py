"""What the component tests (tests/test_component_*.py) share: Rasa's own way of testing a graph
component (create it on a LocalModelStorage, train, load a fresh one from the same storage,
process), with the clinic's spaCy pipeline in front of it as config.yml runs it, and the settings
config.yml gives each component. No trained assistant, no download: the spaCy pipeline is built
from code (clinic/nlp/pipeline.py) and the training data is written in the tests."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Iterable

import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.nlp import pipeline

CONFIG_YML = Path(__file__).resolve().parent.parent / "config.yml"


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def model_storage(tmp_path: Path) -> LocalModelStorage:
    folder = tmp_path / "model_storage"
    folder.mkdir(exist_ok=True)
    return LocalModelStorage(folder)


def settings_in_config_yml(component: type) -> dict:
    """The component's entry in config.yml (YAML aliases resolved), without its name."""
    entries = yaml.safe_load(CONFIG_YML.read_text(encoding="utf-8"))["pipeline"]
    name = f"{component.__module__}.{component.__name__}"
    [entry] = [e for e in entries if e["name"] == name]
    return {key: value for key, value in entry.items() if key != "name"}


def served_config(component: type, **overrides) -> dict:
    """The config Rasa gives the component in the served assistant: its defaults, config.yml's settings."""
    return {**component.get_default_config(), **settings_in_config_yml(component), **overrides}


def training_data(nlu_yaml: str) -> TrainingData:
    """Training data as a Rasa YAML file writes it (`nlu:` and `responses:`), retrieval intents included."""
    return RasaYAMLReader().reads(nlu_yaml)


class SpacyFront:
    """SpacyNLP and SpacyTokenizer as config.yml runs them before the clinic's components."""

    def __init__(self, tmp_path: Path) -> None:
        storage = model_storage(tmp_path)
        nlp_config = {**SpacyNLP.get_default_config(), "model": str(pipeline.ensure_built())}
        self.nlp = SpacyNLP.create(nlp_config, storage, Resource("spacy_nlp"), context())
        self.model = self.nlp.provide()
        self.tokenizer = SpacyTokenizer.create(SpacyTokenizer.get_default_config(), storage,
                                               Resource("spacy_tokenizer"), context())

    def prepare_training(self, data: TrainingData) -> TrainingData:
        self.nlp.process_training_data(data, self.model)
        self.tokenizer.process_training_data(data)
        return data

    def messages(self, *texts: str, metadata: dict | None = None) -> list[Message]:
        found = [Message(data={"text": text, **({"metadata": metadata} if metadata else {})}) for text in texts]
        self.nlp.process(found, self.model)
        self.tokenizer.process(found)
        return found


def outputs(messages: Iterable[Message], keys: Iterable[str]) -> list[dict]:
    """What the components wrote into each message under `keys` (deep copies, comparable)."""
    return [{key: copy.deepcopy(m.get(key)) for key in keys} for m in messages]
