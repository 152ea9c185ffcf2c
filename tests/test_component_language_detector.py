"""LanguageDetector (clinic/nlp/language_detector.py) as a Rasa graph component, in Rasa's own test
style. It learns and stores nothing (is_trainable=False): the served assistant builds it with `load`,
Rasa's GraphComponent.load calling `create`, on a model storage holding nothing of its own. It reads
messages the components before it in config.yml have read (the spaCy front, the intent classifier,
the answer selector, the risk guard and the fallback), and the red-flag classifier after it still wins."""
import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from clinic.nlp.answer_fallback import AnswerFallbackClassifier
from clinic.nlp.language_detector import LanguageDetector
from clinic.nlp.red_flag_classifier import RedFlagClassifier
from clinic.nlp.risk_guard import RiskGuard
from components_support import TrainedFront, context, model_storage, outputs, served_config

KEYS = ["intent", "intent_ranking", "language"]
DETECTOR = Resource("language_detector")
SPANISH = "¿cuánto cuesta una sesión de punción seca?"


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    return TrainedFront(tmp_path_factory.mktemp("front"))


@pytest.fixture(scope="module")
def before_it(tmp_path_factory):
    """The components config.yml runs between the answer selector and the language detector."""
    storage = model_storage(tmp_path_factory.mktemp("before"))
    return [RiskGuard(), AnswerFallbackClassifier.load(served_config(AnswerFallbackClassifier), storage,
                                                       Resource("fallback"), context())]


@pytest.fixture(scope="module")
def detector(tmp_path_factory):
    storage = model_storage(tmp_path_factory.mktemp("detector"))
    return LanguageDetector.load(LanguageDetector.get_default_config(), storage, DETECTOR, context())


def read(front, before_it, component, *texts):
    """The messages as the component leaves them (component None: as it would find them)."""
    messages = front.parsed(*texts)
    for earlier in before_it:
        earlier.process(messages)
    return component.process(messages) if component else messages


def test_loaded_from_an_empty_model_storage_it_reads_as_created(front, before_it, detector, tmp_path):
    created = LanguageDetector.create(LanguageDetector.get_default_config(), model_storage(tmp_path), DETECTOR,
                                      context())
    texts = [SPANISH, "does dry needling hurt", "ok", "José García", ""]
    assert outputs(read(front, before_it, detector, *texts), KEYS) == \
        outputs(read(front, before_it, created, *texts), KEYS)
    assert not any((tmp_path / "model_storage").iterdir())


@pytest.mark.parametrize("text, code", [
    (SPANISH, "es"),
    ("Bonjour, est-ce que la séance fait mal?", "fr"),
    ("Wie viele Sitzungen brauche ich für meinen Ischias?", "de"),
])
def test_a_question_in_another_language_gets_other_language_whatever_the_classifiers_said(
        front, before_it, detector, text, code):
    [english_reading] = read(front, before_it, None, text)
    [message] = read(front, before_it, detector, text)
    assert message.get("language")["code"] == code and message.get("language")["confidence"] >= 0.9
    assert message.get("intent")["name"] == "other_language"
    # The English classifiers' guesses are kept behind it, for staff.
    assert [r["name"] for r in message.get("intent_ranking")][1:] == \
        [r["name"] for r in english_reading.get("intent_ranking") if r["name"] != "other_language"]
    assert "language" in message.as_dict(only_output_properties=True)


@pytest.mark.parametrize("text", ["does dry needling hurt", "ok", "and the sauna?", "José García",
                                  "sdfgh jklñ poiuy"])
def test_english_short_replies_names_and_keyboard_mash_stay_english(front, before_it, detector, text):
    [english_reading] = read(front, before_it, None, text)
    [message] = read(front, before_it, detector, text)
    assert message.get("language") == {"code": "en", "confidence": 1.0}
    assert message.get("intent") == english_reading.get("intent")


@pytest.mark.parametrize("text", ["", "/greet"])
def test_empty_text_and_commands_are_left_alone(detector, text):
    [message] = detector.process([Message(data={"text": text})])
    assert message.get("language") is None and message.get("intent") is None


def test_a_crisis_in_spanish_is_still_a_red_flag_after_it(front, before_it, detector, tmp_path):
    red_flags = RedFlagClassifier.create(served_config(RedFlagClassifier), model_storage(tmp_path),
                                         Resource("red_flags"), context())
    [message] = red_flags.process(read(front, before_it, detector, "quiero morir, ya no aguanto más el dolor"))
    assert message.get("language")["code"] == "es"
    assert message.get("intent")["name"] == "red_flag" and message.get("red_flags")[0]["tier"] == "crisis"
