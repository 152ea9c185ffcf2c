"""LinearIntentClassifier (clinic/nlp/intent_classifier.py) as a Rasa graph component, in Rasa's own
test style: created on a LocalModelStorage, trained on a few hand-written intents after the spaCy
pipeline config.yml runs before it, loaded afresh from the same storage, and processing messages."""
import json

import pytest
from rasa.engine.storage.resource import Resource

from clinic.nlp import model_files
from clinic.nlp.intent_classifier import LinearIntentClassifier
from components_support import SpacyFront, context, model_storage, outputs, served_config, training_data

NLU = """
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
    - hey, anyone there?
    - hiya
- intent: book_appointment
  examples: |
    - i want to book an appointment
    - can i make a booking for next week
    - i'd like to schedule a session
    - please book me in
    - can i see someone on tuesday
- intent: clinic_contact
  examples: |
    - what is your phone number
    - how can i call the clinic
    - what's your email address
    - how do i contact you
    - where is the clinic
- intent: faq/does_it_hurt
  examples: |
    - does dry needling hurt
    - is needling painful
    - will the needles hurt
    - how much does it hurt
- intent: faq/needle_time
  examples: |
    - how long do the needles stay in
    - how many minutes are the needles left in
    - how long are the needles in for
    - do the needles stay in long
- intent: writers_phrasings
  metadata:
    answers_only: true
  examples: |
    - a phrasing only the answer selector learns from
    - another writer's phrasing for the answers alone
"""
KEYS = ["intent", "intent_ranking"]


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    return SpacyFront(tmp_path_factory.mktemp("spacy"))


@pytest.fixture
def storage(tmp_path):
    return model_storage(tmp_path)


def trained(front, storage, resource=Resource("intent_classifier"), nlu=NLU):
    classifier = LinearIntentClassifier.create(served_config(LinearIntentClassifier), storage, resource, context())
    classifier.train(front.prepare_training(training_data(nlu)))
    return classifier


def loaded(storage, resource=Resource("intent_classifier")):
    return LinearIntentClassifier.load(served_config(LinearIntentClassifier), storage, resource, context())


def intent_of(classifier, front, text):
    [message] = classifier.process(front.messages(text))
    return message.get("intent")


def test_the_loaded_classifier_ranks_exactly_as_the_trained_one(front, storage):
    classifier = trained(front, storage)
    texts = ["hi", "could i book a session on friday", "does it hurt much", "what is the clinic's number",
             "how long are needles left in", "", "zzxq blorf"]
    before = outputs(classifier.process(front.messages(*texts)), KEYS)
    after = outputs(loaded(storage).process(front.messages(*texts)), KEYS)
    assert after == before
    assert all(out["intent"] for out in before)  # every message got an intent from the trained one


def test_persisted_files_are_the_pickle_free_model_files(front, storage):
    trained(front, storage)
    with storage.read_from(Resource("intent_classifier")) as directory:
        assert {p.name for p in directory.iterdir()} == model_files.KNOWN_FILES
        described = json.loads((directory / model_files.JSON_FILE).read_text())
    # A retrieval intent is learnt as "faq", the answers are the answer selector's business;
    # the phrasings marked answers_only are left out of the intent model.
    assert sorted(described["labels"]) == ["book_appointment", "clinic_contact", "faq", "greet"]


@pytest.mark.parametrize("text, intent", [
    ("hello there", "greet"),
    ("could you book me a session on thursday", "book_appointment"),
    ("what's the phone number of the clinic", "clinic_contact"),
    ("will needling be painful", "faq"),
])
def test_an_unseen_patient_message_gets_the_right_intent_after_loading(front, storage, text, intent):
    trained(front, storage)
    predicted = intent_of(loaded(storage), front, text)
    assert predicted["name"] == intent
    assert predicted["confidence"] > 0.4  # clearly ahead of the 1-in-4 of a guess


def test_the_ranking_is_rasas_shape_sorted_and_a_probability(front, storage):
    trained(front, storage)
    [message] = loaded(storage).process(front.messages("i would like to book please"))
    ranking = message.get("intent_ranking")
    assert message.get("intent") == ranking[0]
    assert [set(r) for r in ranking] == [{"name", "confidence"}] * 4
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)
    assert "intent" in message.as_dict(only_output_properties=True)  # in the parse result


@pytest.mark.parametrize("text", ["", "qwzx vbnm plok"])
def test_empty_or_unknown_words_get_no_confident_intent(front, storage, text):
    trained(front, storage)
    predicted = intent_of(loaded(storage), front, text)
    # Unsure, so config.yml's fallback (threshold 0.6) asks the patient to rephrase.
    assert predicted["confidence"] < 0.6


def test_without_a_stored_model_it_predicts_nothing_and_says_so(front, storage, caplog):
    classifier = loaded(storage)  # nothing was trained into this storage
    [message] = classifier.process(front.messages("hello"))
    assert message.get("intent") is None and message.get("intent_ranking") is None
    assert "no trained model found" in caplog.text


def test_a_corrupt_model_file_is_refused_and_it_predicts_nothing(front, storage, caplog):
    trained(front, storage)
    with storage.write_to(Resource("intent_classifier")) as directory:
        (directory / model_files.JSON_FILE).write_text("{ not json", encoding="utf-8")
    [message] = loaded(storage).process(front.messages("hello"))
    assert message.get("intent") is None
    assert "refused" in caplog.text


def test_a_pickle_left_in_the_resource_is_refused(front, storage, caplog):
    trained(front, storage)
    with storage.write_to(Resource("intent_classifier")) as directory:
        (directory / "text_model.joblib").write_bytes(b"not loaded, whatever it holds")
    assert loaded(storage).trained == {}
    assert "text_model.joblib" in caplog.text


def test_two_intents_are_refused_at_training_rather_than_stored_unreadable(front, storage):
    two = """
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
- intent: goodbye
  examples: |
    - bye
    - see you
"""
    with pytest.raises(ValueError, match="three labels or more"):
        trained(front, storage, nlu=two)
