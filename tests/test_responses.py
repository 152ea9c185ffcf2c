"""Every patient-facing sentence is readable, short, sourced and invents nothing."""
from pathlib import Path

import pytest

from clinic import knowledge
from clinic.faq.rules import SAMPLE_VALUES, answer_problems
from clinic.profile import clinic_profile

RESPONSES = knowledge.responses()


def response_id(response):
    return response.name


@pytest.mark.parametrize("response", RESPONSES, ids=response_id)
def test_is_plain_short_sourced_and_states_no_new_number(response):
    assert answer_problems(response) == []


@pytest.mark.parametrize("text, source, problem", [
    ("Sciatica is a neuropathic manifestation characterised by radiculopathic symptomatology. "
     "Consequently, multidisciplinary interventions are frequently recommended.", "What is Sciatica?", "grade"),
    ("Sciatica is nerve pain.", "What is Sciatica?", "1 sentences"),
    ("Most people need 6 sessions. It depends on you.", "How Many Dry Needling Sessions Are Needed for Sciatica?",
     "numbers"),
    ("Sciatica is nerve pain. It runs down the leg.", "Some blog", "not a section"),
])
def test_the_rules_catch_answers_that_are_not_ready(text, source, problem):
    response = knowledge.Response("utter_faq/x", text, source, (), Path("x.yml"))
    assert any(problem in p for p in answer_problems(response))


def test_an_unreviewed_draft_is_never_ready():
    draft = knowledge.Response("utter_faq/x", "Sciatica is nerve pain. It runs down the leg.", "What is Sciatica?",
                               (), Path("x.yml"), draft=True)
    assert any("draft" in p for p in answer_problems(draft))


@pytest.mark.parametrize("response", RESPONSES, ids=response_id)
def test_uses_only_known_slots(response):
    unknown = set(response.slots) - set(clinic_profile().as_slots()) - set(SAMPLE_VALUES)
    assert not unknown, f"{response.name} uses unknown slots {unknown}"


def test_questions_the_article_does_not_answer_admit_it_and_say_how_to_reach_the_clinic():
    answers = [r for r in RESPONSES if r.name.startswith("utter_faq/ask_clinic_") and r.source == "not in the article"]
    assert len(answers) >= 6
    for answer in answers:
        assert answer.text.startswith("I don't have information") or answer.text.startswith(
            "I only have information"
        )
        assert "{clinic_phone}" in answer.text


def test_greeting_says_virtual_assistant_no_medical_advice_and_emergency_number():
    greeting = next(r for r in RESPONSES if r.name == "utter_greet").text
    assert "virtual assistant" in greeting
    assert "can't give medical advice" in greeting
    assert "{clinic_emergency_number}" in greeting


SAFETY_REPLIES = ("utter_crisis", "utter_crisis_reminder", "utter_red_flag_emergency", "utter_dont_wait",
                  "utter_red_flag_urgent")


def test_crisis_replies_give_the_crisis_line_and_the_emergency_number_and_no_buttons():
    for reply in (r for r in RESPONSES if r.name in ("utter_crisis", "utter_crisis_reminder")):
        assert not reply.buttons, reply.name
        assert "{clinic_emergency_number}" in reply.text
        assert "{clinic_crisis_line" in reply.text  # {clinic_crisis_line} or, in Spanish, {clinic_crisis_line_es}


def test_the_safety_replies_answer_in_spanish_too():
    for name in SAFETY_REPLIES:
        assert {r.language for r in RESPONSES if r.name == name} == {"en", "es"}, name


def test_a_safety_reply_must_read_at_grade_six():
    wordy = knowledge.Response("utter_x", "What you describe can be a manifestation of a considerably serious "
                               "complication. Immediately telephone emergency services.", "red flag safety rules",
                               (), Path("x.yml"))
    assert any("at most 6" in p for p in answer_problems(wordy))


def test_the_clinics_own_facts_are_told_once_filled_in_and_admitted_until_then():
    """Parking, insurance, prices, referral, languages: the honest reply while the profile's field is a
    placeholder (slot empty), the clinic's words once it is filled in, chosen by Rasa's own NLG."""
    import asyncio

    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    from clinic import PROJECT_ROOT
    from clinic.profile import FACTS, load_profile

    domain = Domain.load([str(PROJECT_ROOT / "domain.yml"), str(PROJECT_ROOT / "data")])
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    topics = {"parking": "clinic_parking", "insurance": "ask_clinic_insurance", "prices": "ask_clinic_price",
              "referral": "clinic_referral", "languages": "clinic_languages"}
    assert set(topics) == set(FACTS)
    empty = load_profile(environ={})
    filled = load_profile(environ={f"CLINIC_{name.upper()}": f"the {name} words" for name in FACTS})
    for name, topic in topics.items():
        for profile, expected in ((empty, "The clinic can tell you" if name not in ("insurance", "prices")
                                   else "I don't have information"), (filled, f"the {name} words")):
            tracker = DialogueStateTracker.from_events("fact", [SlotSet(k, v) for k, v in profile.as_slots().items()],
                                                       slots=domain.slots)
            reply = asyncio.run(nlg.generate(f"utter_faq/{topic}", tracker, "rest"))
            assert expected in reply["text"], (topic, reply["text"])
            assert getattr(empty, name) not in reply["text"]  # never a placeholder shown as a fact
