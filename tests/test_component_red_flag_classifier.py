"""RedFlagClassifier (clinic/nlp/red_flag_classifier.py) as a Rasa graph component, in Rasa's own
test style: created on a LocalModelStorage, trained (it keeps the training examples as the calm bank
of the warning signs by meaning), loaded afresh from the same storage, and processing messages that
the spaCy front, the intent classifier and the answer selector have read first, as in config.yml.

The trained instance keeps no semantic layer (Rasa never processes messages with it: the served one
is loaded), so trained and loaded are compared on what the rules decide; the meaning layer is
checked on the loaded one."""
import json

import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from clinic.nlp.red_flag_classifier import CALM_FILE, RedFlagClassifier
from components_support import SMALL_CLINIC_NLU, TrainedFront, context, model_storage, outputs, served_config

# A calm question the meaning layer alone takes for "I am a burden" (0.59 close, 0.11 clear of its
# own calm list): a clinic that trains on it must not alarm the patient who asks it.
CALM_BUT_CLOSE = "will my family notice a difference after needling"
NLU = SMALL_CLINIC_NLU.replace("    - can needling relieve my leg pain\n",
                               f"    - can needling relieve my leg pain\n    - {CALM_BUT_CLOSE}\n")
RED_FLAGS = Resource("red_flag_classifier")
KEYS = ["intent", "intent_ranking", "red_flags"]


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    return TrainedFront(tmp_path_factory.mktemp("front"), NLU)


@pytest.fixture(scope="module")
def trained(front, tmp_path_factory):
    storage = model_storage(tmp_path_factory.mktemp("red_flags"))
    component = RedFlagClassifier.create(served_config(RedFlagClassifier), storage, RED_FLAGS, context())
    component.train(front.data)
    return component, storage


@pytest.fixture(scope="module")
def loaded(trained):
    return RedFlagClassifier.load(served_config(RedFlagClassifier), trained[1], RED_FLAGS, context())


def read(front, component, text):
    [message] = component.process(front.parsed(text))
    return message


def test_the_loaded_classifier_decides_as_the_trained_one_on_the_rules(front, trained, loaded):
    texts = ["i want to end my life", "i can't control my bladder and both legs are numb",
             "no numbness and no bladder problems, just a sore back, will needling help",
             "does dry needling hurt", "sitting at my desk kills my back", "hello"]
    before = outputs(trained[0].process(front.parsed(*texts)), KEYS)
    after = outputs(loaded.process(front.parsed(*texts)), KEYS)
    assert after == before


def test_the_calm_bank_stored_is_every_training_example_but_the_red_flags(front, trained):
    with trained[1].read_from(RED_FLAGS) as directory:
        assert [p.name for p in directory.iterdir()] == [CALM_FILE]
        calm = json.loads((directory / CALM_FILE).read_text(encoding="utf-8"))
    assert CALM_BUT_CLOSE in calm and "does dry needling hurt" in calm
    assert "i want to end it all" not in calm
    assert calm == sorted(set(calm))


@pytest.mark.parametrize("text, tier", [
    ("i just want to end my life", "crisis"),
    ("since yesterday i can't feel my bum and i've wet myself", "emergency"),
])
def test_a_red_flag_the_classifier_never_saw_overrides_the_intent(front, loaded, text, tier):
    message = read(front, loaded, text)
    assert message.get("intent") == {"name": "red_flag", "confidence": 1.0}
    assert message.get("intent_ranking")[0] == {"name": "red_flag", "confidence": 1.0}
    assert message.get("red_flags")[0]["tier"] == tier
    assert "red_flags" in message.as_dict(only_output_properties=True)  # for the escalation action and staff


def test_a_warning_sign_said_without_the_rules_words_is_found_by_meaning_after_loading(front, loaded):
    message = read(front, loaded, "honestly the kids would have an easier time if i was out of the picture")
    assert message.get("intent")["name"] == "red_flag"
    assert message.get("red_flags")[0]["flag"].startswith("meaning_")


def test_a_training_example_near_a_warning_sign_stays_calm_after_loading(front, loaded):
    message = read(front, loaded, CALM_BUT_CLOSE)
    assert message.get("red_flags") == [] and message.get("intent")["name"] == "faq"


def test_denied_symptoms_raise_nothing_and_leave_the_intent(front, loaded):
    text = "no numbness and no bladder problems, just a sore back, will needling help"
    message = read(front, loaded, text)
    assert message.get("red_flags") == [] and message.get("intent")["name"] == "faq"


def test_the_classifiers_own_red_flag_guess_without_a_flag_gives_way(loaded):
    """The intent classifier's red_flag is not trusted alone: the next intent if confident, else rephrase."""
    def guessed(ranking):
        message = Message(data={"text": "how should i look after myself after the session"})
        message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]})
        message.set("intent_ranking", [{"name": name, "confidence": c} for name, c in ranking])
        [message] = loaded.process([message])
        return message.get("intent")

    assert guessed([("red_flag", 0.5), ("faq", 0.45)])["name"] == "nlu_fallback"
    assert guessed([("red_flag", 0.3), ("book_appointment", 0.65)]) == {"name": "book_appointment",
                                                                        "confidence": 0.65}


def test_an_empty_message_is_left_alone(loaded):
    message = Message(data={"text": ""})
    [message] = loaded.process([message])
    assert message.get("red_flags") is None and message.get("intent") is None


def test_without_its_calm_bank_the_rules_still_work_and_meaning_is_off(front, tmp_path, caplog):
    bare = RedFlagClassifier.load(served_config(RedFlagClassifier), model_storage(tmp_path), RED_FLAGS, context())
    assert "no calm examples" in caplog.text and bare.signs is None
    assert read(front, bare, "i just want to end my life").get("intent")["name"] == "red_flag"
    assert read(front, bare, "does dry needling hurt").get("red_flags") == []


def test_a_corrupt_calm_bank_is_handled_as_a_missing_one(front, tmp_path, caplog):
    storage = model_storage(tmp_path)
    with storage.write_to(RED_FLAGS) as directory:
        (directory / CALM_FILE).write_text("[not json", encoding="utf-8")
    broken = RedFlagClassifier.load(served_config(RedFlagClassifier), storage, RED_FLAGS, context())
    assert broken.signs is None and "no calm examples" in caplog.text
    assert read(front, broken, "i can't control my bladder and both legs are numb").get("red_flags")
