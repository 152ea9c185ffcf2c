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
    """What the components wrote into each message under `keys` (deep copies, comparable; floats to 9
    decimals: the language detector's confidences differ in the 16th digit from one run to the next)."""
    return [{key: rounded(copy.deepcopy(m.get(key))) for key in keys} for m in messages]


def rounded(value):
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(rounded(item) for item in value)
    return value


# A small knowledge base in patients' words, for the components that run after the two linear
# ones (the risk guard, the fallback, the language detector, the red-flag classifier).
SMALL_CLINIC_NLU = """
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
    - hiya
- intent: book_appointment
  examples: |
    - i want to book an appointment
    - can i make a booking for next week
    - i'd like to schedule a session
    - please book me in
- intent: unclear
  examples: |
    - hmm
    - what
    - ok and
    - huh?
- intent: red_flag
  examples: |
    - i can't control my bladder and my legs are numb
    - i want to end it all
    - i have chest pain and can't breathe
    - my legs gave way and i can't feel my bum
- intent: faq/does_it_hurt
  examples: |
    - does dry needling hurt
    - is needling painful
    - will the needles hurt
    - how much does dry needling hurt
- intent: faq/needle_time
  examples: |
    - how long do the needles stay in
    - how many minutes are the needles left in
    - how long are the needles in for
    - do the needles stay in long
- intent: faq/aftercare_soreness
  examples: |
    - how long does the soreness last after needling
    - will i be sore the next day
    - what should i do about soreness after a session
    - is it normal to ache after dry needling
- intent: faq/how_it_helps
  examples: |
    - how can dry needling help sciatica
    - will needling help my sciatica
    - does dry needling work for sciatica
    - can needling relieve my leg pain
- intent: faq/ask_clinic_pregnancy
  examples: |
    - can i have dry needling while pregnant
    - is needling safe in pregnancy
    - i am expecting a baby, can i still come
- intent: faq/ask_clinic_medications
  examples: |
    - can i have needling if i take blood thinners
    - is it ok with my medication
    - i'm on warfarin, is needling safe
- intent: faq/ask_clinic_price
  examples: |
    - how much does a session cost
    - what are your prices
    - how much do you charge for dry needling
responses:
  utter_faq/does_it_hurt:
  - text: Most people feel a brief prick and a twitch.
  utter_faq/needle_time:
  - text: The needles stay in for a few seconds to fifteen minutes.
  utter_faq/aftercare_soreness:
  - text: Soreness usually fades in a day or two.
  utter_faq/how_it_helps:
  - text: Needling relaxes the tight muscles around the nerve.
  utter_faq/ask_clinic_pregnancy:
  - text: Please ask the clinic before treatment in pregnancy.
  utter_faq/ask_clinic_medications:
  - text: Please ask the clinic about your medication.
  utter_faq/ask_clinic_price:
  - text: Please ask the clinic about prices.
"""


class TrainedFront(SpacyFront):
    """The spaCy front, the intent classifier and the answer selector, trained on `nlu` as config.yml
    orders them: what the components after them find in a message."""

    def __init__(self, tmp_path: Path, nlu: str = SMALL_CLINIC_NLU) -> None:
        from clinic.nlp.answer_selector import LinearAnswerSelector
        from clinic.nlp.intent_classifier import LinearIntentClassifier

        super().__init__(tmp_path)
        storage = model_storage(tmp_path)
        self.data = self.prepare_training(training_data(nlu))
        self.classifiers = []
        for component in (LinearIntentClassifier, LinearAnswerSelector):
            classifier = component.create(served_config(component), storage, Resource(component.__name__), context())
            classifier.train(self.data)
            self.classifiers.append(classifier)

    def parsed(self, *texts: str, metadata: dict | None = None) -> list[Message]:
        found = self.messages(*texts, metadata=metadata)
        for classifier in self.classifiers:
            classifier.process(found)
        return found


def through_a_model_archive(storage: LocalModelStorage, tmp_path: Path) -> LocalModelStorage:
    """The storage packed into a model archive (.tar.gz) as `rasa train` packs it, and unpacked into a
    new storage as the served assistant unpacks it (Rasa's own round trip, test_local_model_storage.py)."""
    from rasa.engine.graph import GraphModelConfiguration
    from rasa.shared.core.domain import Domain
    from rasa.shared.data import TrainingType

    archive = tmp_path / "model.tar.gz"
    configuration = GraphModelConfiguration(train_schema=GraphSchema({}), predict_schema=GraphSchema({}),
                                            training_type=TrainingType.NLU, assistant_id="test", language="en",
                                            core_target=None, nlu_target="nlu")
    storage.create_model_package(archive, configuration, Domain.empty())
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    return LocalModelStorage.from_model_archive(unpacked, archive)[0]
