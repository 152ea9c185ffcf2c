"""The red-flag detector's rules, and the escalation action (no model needed).

The full recall / false-alarm gate over tests/red_flags.yml runs through the
trained assistant: python -m clinic.quality.safety (part of `make test`).
"""
import asyncio

import pytest
import spacy
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.safety import ActionEscalateRedFlag
from clinic.nlp.pipeline import ensure_built
from clinic.nlp.red_flags import RedFlagDetector
from databases import migrated_store


@pytest.fixture(scope="module")
def detector():
    return RedFlagDetector(spacy.load(ensure_built()))


@pytest.fixture(scope="module")
def flags(detector):
    return detector.read


def test_an_emergency_buried_in_a_question_is_found(flags):
    found = flags("Quick question about dry needling. Also I've started leaking urine, is that related?")
    assert found.tier == "emergency"
    assert [f.flag for f in found.flags] == ["bladder_bowel_control"]


def test_a_denied_symptom_is_not_a_flag(flags):
    found = flags("I have no bladder or bowel problems")
    assert found.flags == () and found.negated == ("bladder_bowel_control",)


def test_negation_does_not_reach_into_the_next_clause(flags):
    assert flags("no fever, and my legs are numb").tier == "emergency"
    assert flags("my bladder is fine but I can't feel my groin").tier == "emergency"


def test_a_symptom_that_is_itself_a_negation_is_found(flags):
    assert flags("I can't control my bladder").tier == "emergency"
    assert flags("I haven't been able to pee all day").tier == "emergency"


def test_phone_apostrophes_count_like_plain_ones(flags):
    assert flags("I can’t control my bowels").tier == "emergency"
    assert flags("my legs aren’t numb").flags == ()


def test_the_more_serious_tier_wins(flags):
    assert flags("I have a fever and both my legs are weak").tier == "emergency"


def test_a_plan_to_lose_weight_is_not_weight_loss(flags):
    assert flags("I want to lose weight").flags == ()
    assert flags("I've been losing weight without trying").tier == "urgent"


def test_first_episode_needs_both_age_and_first_time(flags):
    assert flags("I'm 62 and this is the first time my back has hurt").tier == "urgent"
    assert flags("I'm 62 and my back has hurt for years").flags == ()
    assert flags("I'm 35 and this is the first time my back has hurt").flags == ()


def test_ordinary_questions_are_not_flags(flags):
    for text in ["does dry needling hurt?", "can sciatica cause numbness in the leg",
                 "how long does soreness last after dry needling", "what is the phone number"]:
        assert flags(text).flags == (), text


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    """The clinic database the escalation action alerts, on SQLite in a temporary folder."""
    from actions import booking_handoff

    store = migrated_store(f"sqlite:///{tmp_path / 'clinic.db'}")
    monkeypatch.setattr(booking_handoff, "clinic_store", lambda: store)
    return store


def escalate(red_flags, conversation="patient-7"):
    tracker = Tracker(conversation, {}, {"intent": {"name": "red_flag"}, "red_flags": red_flags},
                      [], False, None, {}, "action_listen")
    return {e["name"]: e["value"] for e in asyncio.run(
        ActionEscalateRedFlag().run(CollectingDispatcher(), tracker, {}))}


def test_escalation_records_tier_flags_and_language_for_staff(clinic):
    assert escalate([{"flag": "fever", "tier": "urgent"}, {"flag": "saddle_numbness", "tier": "emergency"}]) == {
        "red_flag_tier": "emergency", "red_flags": ["fever", "saddle_numbness"], "patient_language": "en"}
    assert escalate([{"flag": "fever", "tier": "urgent"}]) == {
        "red_flag_tier": "urgent", "red_flags": ["fever"], "patient_language": "en"}
    assert escalate([{"flag": "crisis_spanish", "tier": "crisis", "language": "es"}])["patient_language"] == "es"


def test_classifier_only_red_flag_gets_a_safety_check_not_an_alarm(clinic):
    assert escalate([]) == {"red_flag_tier": "check", "red_flags": ["classifier_only"], "patient_language": "en"}
    assert clinic.requests() == []


def test_crisis_and_emergencies_alert_the_clinic_once_without_patient_text(clinic):
    escalate([{"flag": "suicide_or_self_harm", "tier": "crisis"}], "patient-8")
    escalate([{"flag": "suicide_or_self_harm", "tier": "crisis"}], "patient-8")  # the same conversation again
    escalate([{"flag": "stroke_signs", "tier": "emergency"}], "patient-9")
    escalate([{"flag": "fever", "tier": "urgent"}], "patient-10")
    alerts = {(r.conversation_id, r.details["tier"]) for r in clinic.requests(kind="alert")}
    assert alerts == {("patient-8", "crisis"), ("patient-9", "emergency")}
    assert len(clinic.requests(kind="alert")) == 2


def test_a_broken_clinic_database_never_holds_back_the_escalation(monkeypatch):
    from sqlalchemy.exc import OperationalError

    from actions import booking_handoff

    def broken_store():
        raise OperationalError("insert", {}, Exception("database is down"))

    monkeypatch.setattr(booking_handoff, "clinic_store", broken_store)
    assert escalate([{"flag": "suicide_or_self_harm", "tier": "crisis"}])["red_flag_tier"] == "crisis"


def test_crisis_language_wins_over_everything_else_in_the_message(flags):
    assert flags("never mind the booking, I want to end it all tonight").tier == "crisis"
    assert flags("I have a fever and honestly I just want to die").tier == "crisis"


@pytest.mark.parametrize("text, tier", [
    ("i wnat 2 die", "crisis"),                      # chat spellings
    ("thinkin bout killin myslef", "crisis"),
    ("QUIERO MORIR", "crisis"),                       # Spanish, any case
    ("me desmayé y no puedo respirar", "emergency"),  # with accents
    ("me desmaye y no puedo respirar", "emergency"),  # without
    ("my dad fainted and I can't wake him up", "emergency"),
])
def test_spellings_accents_and_case_do_not_hide_a_crisis_or_an_emergency(detector, text, tier):
    assert detector.read(text).tier == tier


@pytest.mark.parametrize("text", [
    "this back pain is murder, will needling help?", "I'm dying for some relief, how soon does it work?",
    "sitting at my desk kills my back", "no numbness anywhere, just a sore hip",
    "can I breathe normally while the needles are in?", "I passed out once when I saw a needle, years ago",
    "suicide sprints at practice wrecked my back", "would a cortisone shot or needling be better?",
])
def test_hyperbole_and_negation_are_not_alarms(detector, text):
    assert detector.read(text).flags == (), text


def test_a_spanish_rule_makes_the_reply_spanish(detector):
    from clinic.nlp.tiers import reply_language

    found = detector.read("se me duerme la cara y hablo raro")
    assert found.tier == "emergency"
    assert reply_language([f.as_dict() for f in found.flags]) == "es"
    assert reply_language([f.as_dict() for f in detector.read("half my face is numb").flags]) == "en"


def test_a_classifier_red_flag_in_a_denial_is_not_escalated():
    from rasa.shared.nlu.training_data.message import Message

    from clinic.nlp.red_flag_classifier import RedFlagClassifier

    classifier = RedFlagClassifier(spacy.load(ensure_built()))
    message = Message(data={"text": "no loss of bladder control",
                            "intent": {"name": "red_flag", "confidence": 0.99},
                            "intent_ranking": [{"name": "red_flag", "confidence": 0.99},
                                               {"name": "goodbye", "confidence": 0.01}]})
    [result] = classifier.process([message])
    assert result.get("intent")["name"] == "nlu_fallback"
    assert result.get("red_flags") == []


def test_a_denial_with_a_question_gets_the_answer_when_the_answer_is_sure():
    from rasa.shared.nlu.training_data.message import Message

    from clinic.nlp.red_flag_classifier import RedFlagClassifier

    classifier = RedFlagClassifier(spacy.load(ensure_built()))
    message = Message(data={
        "text": "I have no bladder or bowel problems. Is dry needling safe?",
        "intent": {"name": "red_flag", "confidence": 0.9},
        "intent_ranking": [{"name": "red_flag", "confidence": 0.9}, {"name": "faq", "confidence": 0.1}],
        "response_selector": {"default": {"response": {"intent_response_key": "faq/is_it_safe", "confidence": 0.93}}}})
    [result] = classifier.process([message])
    assert result.get("intent") == {"name": "faq", "confidence": 0.93}


def test_a_classifier_only_red_flag_is_not_escalated():
    from rasa.shared.nlu.training_data.message import Message

    from clinic.nlp.red_flag_classifier import RedFlagClassifier

    classifier = RedFlagClassifier(spacy.load(ensure_built()))
    message = Message(data={"text": "how should i look after myself after the session",
                            "intent": {"name": "red_flag", "confidence": 0.99},
                            "intent_ranking": [{"name": "red_flag", "confidence": 0.99},
                                               {"name": "faq", "confidence": 0.01}],
                            "response_selector": {"default": {"response": {
                                "intent_response_key": "faq/aftercare_soreness", "confidence": 0.8}}}})
    [result] = classifier.process([message])
    assert result.get("intent")["name"] == "faq"


def test_an_unsure_red_flag_guess_taken_by_the_fallback_still_gets_a_sure_answer():
    from rasa.shared.nlu.training_data.message import Message

    from clinic.nlp.red_flag_classifier import RedFlagClassifier

    classifier = RedFlagClassifier(spacy.load(ensure_built()))
    message = Message(data={
        "text": "sitting at my desk kills my back",
        "intent": {"name": "nlu_fallback", "confidence": 0.6},
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.6}, {"name": "red_flag", "confidence": 0.59},
                           {"name": "faq", "confidence": 0.33}],
        "response_selector": {"default": {"response": {"intent_response_key": "faq/sciatica_causes",
                                                       "confidence": 0.67}}}})
    [result] = classifier.process([message])
    assert result.get("intent") == {"name": "faq", "confidence": 0.67}
