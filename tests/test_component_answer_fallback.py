"""AnswerFallbackClassifier (clinic/nlp/answer_fallback.py) as a Rasa graph component, in Rasa's own
test style. It learns and stores nothing (is_trainable=False): the served assistant builds it with
`load`, Rasa's GraphComponent.load calling `create`, on a model storage holding nothing of its own.
Configured as config.yml configures it, it reads messages the spaCy front, the intent classifier, the
answer selector and the risk guard have read first. (tests/test_answer_fallback.py checks its rules
on hand-made parse results; this one checks it as a component of the pipeline.)"""
import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from clinic.nlp.answer_fallback import AnswerFallbackClassifier
from clinic.nlp.risk_guard import RiskGuard
from components_support import TrainedFront, context, model_storage, outputs, served_config

KEYS = ["intent", "intent_ranking"]
FALLBACK = Resource("answer_fallback")


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    return TrainedFront(tmp_path_factory.mktemp("front"))


@pytest.fixture(scope="module")
def fallback(tmp_path_factory):
    storage = model_storage(tmp_path_factory.mktemp("fallback"))
    return AnswerFallbackClassifier.load(served_config(AnswerFallbackClassifier), storage, FALLBACK, context())


def read(front, component, *texts):
    return component.process(RiskGuard().process(front.parsed(*texts)))


def intent_of(front, fallback, text):
    [message] = read(front, fallback, text)
    return message.get("intent")["name"]


def test_config_yml_settings_reach_the_loaded_component(fallback):
    assert fallback.component_config["threshold"] == 0.6
    assert fallback.component_config["ambiguity_threshold"] == 0.1
    assert fallback.component_config["answer_threshold"] == 0.3


def test_loaded_from_an_empty_model_storage_it_decides_as_created(front, fallback, tmp_path):
    created = AnswerFallbackClassifier.create(served_config(AnswerFallbackClassifier), model_storage(tmp_path),
                                              FALLBACK, context())
    texts = ["is it painful?", "is parking free", "what's the weather like", "can you needle my 12 year old?", ""]
    assert outputs(read(front, fallback, *texts), KEYS) == outputs(read(front, created, *texts), KEYS)
    assert not any((tmp_path / "model_storage").iterdir())


def test_a_clear_question_with_a_sure_answer_is_answered(front, fallback):
    assert intent_of(front, fallback, "is it painful?") == "faq"


def test_a_sure_faq_intent_with_an_unsure_answer_asks_to_rephrase(front, fallback):
    [before] = RiskGuard().process(front.parsed("is parking free"))
    assert before.get("intent")["confidence"] > 0.9  # the intent alone would pass Rasa's own fallback
    assert before.get("response_selector")["default"]["response"]["confidence"] < 0.3
    assert intent_of(front, fallback, "is parking free") == "nlu_fallback"


def test_an_unsure_intent_asks_to_rephrase(front, fallback):
    assert intent_of(front, fallback, "what's the weather like") == "nlu_fallback"


def test_the_risk_guards_question_about_a_child_stays_a_fallback(front, fallback):
    assert intent_of(front, fallback, "can you needle my 12 year old?") == "nlu_fallback"


@pytest.mark.parametrize("text", ["", "qwzx vbnm"])
def test_empty_or_unknown_words_ask_to_rephrase(front, fallback, text):
    assert intent_of(front, fallback, text) == "nlu_fallback"


def test_an_answer_of_another_retrieval_intent_falls_back_and_plain_intents_pass(fallback):
    def decided(intent, answer_key):
        message = Message(data={"text": "a patient's message"})
        message.set("intent", {"name": intent, "confidence": 0.95})
        message.set("intent_ranking", [{"name": intent, "confidence": 0.95}])
        message.set("response_selector", {"all_retrieval_intents": ["faq", "chitchat"], "default": {
            "response": {"intent_response_key": answer_key, "confidence": 0.9}, "ranking": []}})
        [message] = fallback.process([message])
        return message.get("intent")["name"]

    assert decided("faq", "chitchat/weather") == "nlu_fallback"
    assert decided("faq", "faq/does_it_hurt") == "faq"
    assert decided("book_appointment", "faq/does_it_hurt") == "book_appointment"
