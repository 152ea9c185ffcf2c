"""LinearAnswerSelector (clinic/nlp/answer_selector.py) as a Rasa graph component, in Rasa's own
test style: created on a LocalModelStorage, trained on a few hand-written FAQ answers (retrieval
intents with their responses) after the spaCy front and the intent classifier config.yml runs before
it, loaded afresh from the same storage, and reading whole messages: several questions, a story, a
follow-up read with the conversation's topic (clinic/nlp/questions.py, clinic/nlp/follow_ups.py)."""
import json

import pytest
from rasa.engine.storage.resource import Resource

from clinic.nlp import model_files
from clinic.nlp.answer_selector import LinearAnswerSelector
from clinic.nlp.follow_ups import QUESTION_METADATA_KEY, TOPIC_METADATA_KEY
from clinic.nlp.intent_classifier import LinearIntentClassifier
from components_support import (SpacyFront, context, model_storage, outputs, served_config, through_a_model_archive,
                                training_data)

NLU = """
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
- intent: faq/does_it_hurt
  examples: |
    - does dry needling hurt
    - is needling painful
    - will the needles hurt
    - how much does dry needling hurt
    - is it sore when the needle goes in
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
- intent: faq/what_is_sciatica
  examples: |
    - what is sciatica
    - what does sciatica mean
    - explain sciatica to me
    - is sciatica a nerve problem
- intent: faq/ask_clinic_price
  examples: |
    - how much does a session cost
    - what are your prices
    - how much do you charge for dry needling
    - is it expensive
- intent: faq/ask_clinic_other_conditions
  examples: |
    - can you treat my shoulder
    - do you help with knee pain
    - does needling work for a neck problem
    - can you do anything for tennis elbow
responses:
  utter_faq/does_it_hurt:
  - text: Most people feel a brief prick and a twitch.
  utter_faq/needle_time:
  - text: The needles stay in for a few seconds to fifteen minutes.
  utter_faq/aftercare_soreness:
  - text: Soreness usually fades in a day or two.
  utter_faq/what_is_sciatica:
  - text: Sciatica is pain along the sciatic nerve.
  utter_faq/ask_clinic_price:
  - text: Please ask the clinic about prices.
  utter_faq/ask_clinic_other_conditions:
  - text: Please ask the clinic about other conditions.
"""
KEYS = ["intent", "intent_ranking", "response_selector", "questions", "read_with_topic"]
SELECTOR = Resource("answer_selector")
STORY = ("I have had sciatica for years and my physio keeps talking about needles. I am a nurse so I am on "
         "my feet all day and it gets worse by the evening. What is sciatica exactly?")


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    return SpacyFront(tmp_path_factory.mktemp("spacy"))


@pytest.fixture(scope="module")
def trained(front, tmp_path_factory):
    """The intent classifier and the answer selector, trained as config.yml orders them, and their storage."""
    storage = model_storage(tmp_path_factory.mktemp("trained"))
    data = front.prepare_training(training_data(NLU))
    intents = LinearIntentClassifier.create(served_config(LinearIntentClassifier), storage,
                                            Resource("intent_classifier"), context())
    intents.train(data)
    selector = LinearAnswerSelector.create(served_config(LinearAnswerSelector), storage, SELECTOR, context())
    selector.train(data)
    return intents, selector, storage


@pytest.fixture(scope="module")
def loaded(trained):
    _, _, storage = trained
    return LinearAnswerSelector.load(served_config(LinearAnswerSelector), storage, SELECTOR, context())


def parse(front, trained, selector, text, topic=None, question=None):
    metadata = {TOPIC_METADATA_KEY: topic, QUESTION_METADATA_KEY: question} if topic else None
    messages = front.messages(text, metadata=metadata)
    trained[0].process(messages)
    [message] = selector.process(messages)
    return message


def answer(message):
    return message.get("response_selector")["default"]["response"]


def test_the_loaded_selector_reads_every_kind_of_message_exactly_as_the_trained_one(front, trained, loaded):
    cases = [("will it hurt?", None), ("is it painful? and how long do the needles stay in?", None), (STORY, None),
             ("ok and how long does that last", "faq/aftercare_soreness"), ("and the day after?", "faq/does_it_hurt"),
             ("what about my shoulder?", "faq/needle_time"), ("", None), ("qwzx vbnm", None)]
    for text, topic in cases:
        before = outputs([parse(front, trained, trained[1], text, topic)], KEYS)
        after = outputs([parse(front, trained, loaded, text, topic)], KEYS)
        assert after == before, text


def test_unpacked_from_a_model_archive_it_reads_as_the_trained_one(front, trained, tmp_path):
    unpacked = through_a_model_archive(trained[2], tmp_path)
    served = LinearAnswerSelector.load(served_config(LinearAnswerSelector), unpacked, SELECTOR, context())
    for text, topic in [("what do you charge for a session?", None), ("is it painful? and how long do the needles "
                        "stay in?", None), ("ok and how long does that last", "faq/aftercare_soreness")]:
        assert outputs([parse(front, trained, served, text, topic)], KEYS) == \
            outputs([parse(front, trained, trained[1], text, topic)], KEYS)


def test_a_new_question_gets_its_answer_with_the_response_kept_beside_the_model(front, trained, loaded):
    message = parse(front, trained, loaded, "what do you charge for a session?")
    chosen = answer(message)
    assert chosen["intent_response_key"] == "faq/ask_clinic_price" and chosen["confidence"] > 0.6
    assert chosen["utter_action"] == "utter_faq/ask_clinic_price"
    assert chosen["responses"] == [{"text": "Please ask the clinic about prices."}]
    assert message.get("response_selector")["all_retrieval_intents"] == ["faq"]
    ranking = message.get("response_selector")["default"]["ranking"]
    assert ranking[0] == {"confidence": chosen["confidence"], "intent_response_key": "faq/ask_clinic_price"}
    assert len(ranking) == 6 and sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_two_questions_in_one_message_are_both_listed_in_the_order_asked(front, trained, loaded):
    message = parse(front, trained, loaded, "is it painful? and how long do the needles stay in?")
    assert [q["topic"] for q in message.get("questions")] == ["faq/does_it_hurt", "faq/needle_time"]
    assert answer(message)["intent_response_key"] == "faq/does_it_hurt"  # the first one asked is answered


def test_the_question_at_the_end_of_a_long_story_is_the_one_answered(front, trained, loaded):
    message = parse(front, trained, loaded, STORY)
    assert [q["topic"] for q in message.get("questions")] == ["faq/what_is_sciatica"]
    assert answer(message)["intent_response_key"] == "faq/what_is_sciatica"


def test_a_follow_up_is_read_with_the_conversations_topic_and_becomes_a_question(front, trained, loaded):
    alone = parse(front, trained, loaded, "ok and how long does that last")
    assert alone.get("intent")["name"] == "unclear" and answer(alone)["confidence"] < 0.6
    after_soreness = parse(front, trained, loaded, "ok and how long does that last", "faq/aftercare_soreness",
                           "will i be sore tomorrow")
    assert after_soreness.get("read_with_topic") == "faq/aftercare_soreness"
    assert answer(after_soreness)["intent_response_key"] == "faq/aftercare_soreness"
    assert answer(after_soreness)["confidence"] >= 0.6
    # The intent classifier's "unclear" gives way to the question, and leaves the ranking with it.
    assert after_soreness.get("intent")["name"] == "faq"
    assert "unclear" not in [r["name"] for r in after_soreness.get("intent_ranking")]


def test_a_follow_up_about_another_body_part_is_about_another_condition(front, trained, loaded):
    message = parse(front, trained, loaded, "what about my shoulder?", "faq/needle_time", "how long are they in")
    assert answer(message)["intent_response_key"] == "faq/ask_clinic_other_conditions"
    assert message.get("read_with_topic") == "faq/needle_time"


def test_without_a_topic_nothing_is_read_as_a_follow_up(front, trained, loaded):
    message = parse(front, trained, loaded, "how long are the needles left in for")
    assert message.get("read_with_topic") is None and message.get("questions") is None
    assert answer(message)["intent_response_key"] == "faq/needle_time"


@pytest.mark.parametrize("text", ["", "qwzx vbnm"])
def test_empty_or_unknown_words_get_no_confident_answer(front, trained, loaded, text):
    message = parse(front, trained, loaded, text)
    assert answer(message)["confidence"] < 0.6
    assert message.get("questions") is None and message.get("read_with_topic") is None


def test_without_a_stored_model_it_selects_nothing(front, trained, tmp_path, caplog):
    empty = LinearAnswerSelector.load(served_config(LinearAnswerSelector), model_storage(tmp_path), SELECTOR,
                                      context())
    message = parse(front, trained, empty, "does dry needling hurt")
    assert message.get("response_selector") is None and message.get("intent")["name"] == "faq"
    assert "no trained model found" in caplog.text


def write_and_load(storage, change):
    with storage.write_to(SELECTOR) as directory:
        change(directory)
    return LinearAnswerSelector.load(served_config(LinearAnswerSelector), storage, SELECTOR, context())


def retrained(front, tmp_path):
    storage = model_storage(tmp_path)
    selector = LinearAnswerSelector.create(served_config(LinearAnswerSelector), storage, SELECTOR, context())
    selector.train(front.prepare_training(training_data(NLU)))
    return storage


def test_model_files_of_an_older_format_are_refused(front, tmp_path, caplog):
    storage = retrained(front, tmp_path)

    def older(directory):
        described = json.loads((directory / model_files.JSON_FILE).read_text())
        (directory / model_files.JSON_FILE).write_text(json.dumps({**described, "format": model_files.FORMAT - 1}))
    assert write_and_load(storage, older).trained == {}
    assert "format" in caplog.text and "refused" in caplog.text


def test_a_missing_arrays_file_or_a_pickle_beside_the_model_is_refused(front, tmp_path, caplog):
    storage = retrained(front, tmp_path)
    assert write_and_load(storage, lambda d: (d / model_files.ARRAYS_FILE).unlink()).trained == {}
    (tmp_path / "again").mkdir()
    storage = retrained(front, tmp_path / "again")
    assert write_and_load(storage, lambda d: (d / "model.pkl").write_bytes(b"never unpickled")).trained == {}
    assert "model.pkl" in caplog.text
