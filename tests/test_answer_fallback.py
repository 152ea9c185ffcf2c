"""The assistant asks to rephrase rather than guess an answer."""
from rasa.shared.nlu.training_data.message import Message

from clinic.nlp.answer_fallback import AnswerFallbackClassifier

CONFIG = {**AnswerFallbackClassifier.get_default_config(), "threshold": 0.6, "answer_threshold": 0.5}


def parsed(intent, intent_confidence, answer_key=None, answer_confidence=0.0):
    message = Message(data={"text": "a patient question"})
    message.data["intent"] = {"name": intent, "confidence": intent_confidence}
    message.data["intent_ranking"] = [{"name": intent, "confidence": intent_confidence}]
    if answer_key:
        message.data["response_selector"] = {
            "all_retrieval_intents": ["faq", "other_family"],
            "default": {"response": {"intent_response_key": answer_key,
                                     "confidence": answer_confidence}, "ranking": []},
        }
    return message


def predicted_intent(message):
    [result] = AnswerFallbackClassifier(CONFIG).process([message])
    return result.data["intent"]["name"]


def test_sure_intent_and_sure_answer_is_answered():
    assert predicted_intent(parsed("faq", 0.98, "faq/does_it_hurt", 0.9)) == "faq"


def test_unsure_answer_falls_back_even_when_the_intent_is_sure():
    assert predicted_intent(parsed("faq", 0.98, "faq/does_it_hurt", 0.3)) == "nlu_fallback"


def test_answer_from_another_retrieval_intent_falls_back():
    assert predicted_intent(parsed("faq", 0.98, "other_family/price", 0.9)) == "nlu_fallback"


def test_unsure_intent_still_falls_back_as_rasa_does():
    assert predicted_intent(parsed("greet", 0.4)) == "nlu_fallback"


def test_plain_intents_ignore_the_answer_selector():
    assert predicted_intent(parsed("greet", 0.95, "faq/does_it_hurt", 0.1)) == "greet"
