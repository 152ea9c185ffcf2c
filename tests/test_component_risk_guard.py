"""RiskGuard (clinic/nlp/risk_guard.py) as a Rasa graph component, in Rasa's own test style. It learns
nothing and stores nothing (is_trainable=False): the served assistant builds it with `load`, which for
such a component is Rasa's GraphComponent.load calling `create`, on a model storage that holds nothing
of its own. So: created, and loaded from an empty LocalModelStorage, it reads alike; it processes
messages the spaCy front, the intent classifier and the answer selector have read first (config.yml)."""
import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from clinic.nlp.risk_guard import RiskGuard
from components_support import TrainedFront, context, model_storage, outputs

KEYS = ["intent", "intent_ranking", "response_selector", "questions", "risk"]
STORY = ("I coach my son's football team every weekend and I am on my feet for hours on the sidelines in the "
         "cold, and by Sunday evening my lower back is stiff and sore and I can hardly bend. "
         "How long do the needles stay in during a session?")


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    return TrainedFront(tmp_path_factory.mktemp("front"))


@pytest.fixture(scope="module")
def guard(tmp_path_factory):
    storage = model_storage(tmp_path_factory.mktemp("guard"))
    return RiskGuard.load(RiskGuard.get_default_config(), storage, Resource("risk_guard"), context())


def read(front, guard, text):
    [message] = guard.process(front.parsed(text))
    return message


def answer(message):
    return message.get("response_selector")["default"]["response"]


def test_loaded_from_an_empty_model_storage_it_reads_as_created(front, guard, tmp_path):
    created = RiskGuard.create(RiskGuard.get_default_config(), model_storage(tmp_path), Resource("risk_guard"),
                               context())
    texts = ["i take aspirin every day, how long do the needles stay in?", "can you needle my 12 year old?",
             "does it hurt?", STORY, ""]
    assert outputs(guard.process(front.parsed(*texts)), KEYS) == outputs(created.process(front.parsed(*texts)), KEYS)
    assert not any((tmp_path / "model_storage").iterdir())  # nothing of its own was stored


def test_a_medicine_named_in_a_question_gets_ask_the_clinic_first_then_the_question(front, guard):
    before = front.parsed("i take aspirin every day, how long do the needles stay in?")[0]
    assert answer(before)["intent_response_key"] == "faq/needle_time"  # the closest article answer
    message = read(front, guard, "i take aspirin every day, how long do the needles stay in?")
    assert message.get("risk") == "medicine"
    assert answer(message)["intent_response_key"] == "faq/ask_clinic_medications"
    assert answer(message)["confidence"] == 1.0
    assert answer(message)["utter_action"] == "utter_faq/ask_clinic_medications"
    assert [q["topic"] for q in message.get("questions")] == ["faq/ask_clinic_medications", "faq/needle_time"]
    assert "risk" in message.as_dict(only_output_properties=True)  # for staff


def test_a_denied_risk_changes_nothing(front, guard):
    message = read(front, guard, "i'm not pregnant, how long do the needles stay in?")
    assert message.get("risk") is None and answer(message)["intent_response_key"] == "faq/needle_time"


def test_a_question_about_a_child_is_not_answered_from_the_article(front, guard):
    message = read(front, guard, "can you needle my 12 year old?")
    assert message.get("risk") == "child"
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 1.0}  # the honest "ask the clinic"
    assert message.get("questions") == []


def test_a_child_mentioned_in_a_long_story_does_not_stop_the_answer(front, guard):
    message = read(front, guard, STORY)
    assert message.get("risk") is None and message.get("intent")["name"] == "faq"
    assert answer(message)["intent_response_key"] == "faq/needle_time"


def test_an_ask_the_clinic_answer_or_another_intent_is_left_alone(front, guard):
    already = read(front, guard, "i'm pregnant, is needling safe for me?")
    assert answer(already)["intent_response_key"] == "faq/ask_clinic_pregnancy" and already.get("risk") is None
    booking = Message(data={"text": "i'm pregnant and would like to book in"})
    booking.set("intent", {"name": "book_appointment", "confidence": 0.9})
    [booking] = guard.process([booking])
    assert booking.get("intent")["name"] == "book_appointment" and booking.get("risk") is None


@pytest.mark.parametrize("text", ["", "qwzx vbnm"])
def test_empty_or_unknown_words_name_no_risk(front, guard, text):
    before = outputs(front.parsed(text), KEYS)
    assert outputs([read(front, guard, text)], KEYS) == before


@pytest.mark.xfail(strict=True, reason=(
    "bug: with no answer selected (the answer selector predicting nothing, e.g. its model files refused) "
    "a named risk puts a question of topic '' in `questions`, which action_answer_other_questions would "
    "utter as `utter_`: risk_guard.py falls back to [{'topic': answer}] with answer == ''"))
def test_without_an_answer_selected_a_risk_lists_no_question_without_a_topic(guard):
    bare = Message(data={"text": "i take warfarin, does it hurt?"})
    bare.set("intent", {"name": "faq", "confidence": 0.9})
    [bare] = guard.process([bare])
    assert bare.get("risk") == "medicine"
    assert all(question["topic"] for question in bare.get("questions") or [])
