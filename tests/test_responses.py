"""Every patient-facing sentence is readable, short, sourced and invents nothing."""
import re

import pytest
import textstat

from clinic import knowledge
from clinic.knowledge import ARTICLE_SECTIONS, OTHER_SOURCES
from clinic.profile import clinic_profile

RESPONSES = knowledge.responses()
# Placeholders stand in for values the clinic will fill in; readability is
# measured with values of a realistic length.
SAMPLE_CONTACT = {
    "clinic_phone": "555 201 7700",
    "clinic_email": "hello@clinic.com",
    "clinic_address": "12 Main Street",
    "clinic_hours": "Monday to Friday, 8 to 6",
    "clinic_website": "clinic.com",
}
# What a patient typed into the booking and callback forms.
SAMPLE_REQUEST = {
    "patient_name": "Ana Ruiz",
    "contact": "+15552017788",
    "preferred_time": "Tuesday morning",
    "visit_reason": "sciatica",
    "patient_status": "new",
    "callback_question": "the price",
    "reference": "MC-7K4Q9P",
}
# Numbers the article states (needles stay in for about 10 to 15 minutes).
ARTICLE_NUMBERS = {"10", "15"}


def as_patient_reads_it(text: str) -> str:
    values = {**clinic_profile().as_slots(), **SAMPLE_CONTACT, **SAMPLE_REQUEST}
    return knowledge.SLOT_PATTERN.sub(lambda m: values[m.group(1)], text)


def sentences(text: str) -> list[str]:
    # "Dr. Hunt" is one sentence, not two.
    return [s for s in re.split(r"(?<=[.!?])(?<!Dr\.)\s+", text.strip()) if s]


def response_id(response):
    return response.name


@pytest.mark.parametrize("response", RESPONSES, ids=response_id)
def test_reads_at_grade_8_or_below(response):
    grade = textstat.flesch_kincaid_grade(as_patient_reads_it(response.text))
    assert grade <= 8, f"{response.name} reads at grade {grade}"


@pytest.mark.parametrize("response", RESPONSES, ids=response_id)
def test_is_two_to_four_short_sentences(response):
    parts = sentences(as_patient_reads_it(response.text))
    assert 2 <= len(parts) <= 4, f"{response.name} has {len(parts)} sentences"
    longest = max(len(s.split()) for s in parts)
    assert longest <= 25, f"{response.name} has a sentence of {longest} words"


@pytest.mark.parametrize("response", RESPONSES, ids=response_id)
def test_names_its_source(response):
    if response.name.startswith("utter_faq/ask_clinic_"):
        assert response.source == "not in the article"
    elif response.name.startswith("utter_faq/"):
        assert response.source in ARTICLE_SECTIONS, f"{response.name}: source {response.source!r}"
    else:
        assert response.source in ARTICLE_SECTIONS + OTHER_SOURCES


@pytest.mark.parametrize("response", RESPONSES, ids=response_id)
def test_uses_only_known_slots(response):
    unknown = set(response.slots) - set(clinic_profile().as_slots()) - set(SAMPLE_REQUEST)
    assert not unknown, f"{response.name} uses unknown slots {unknown}"


@pytest.mark.parametrize("response", RESPONSES, ids=response_id)
def test_states_no_number_the_article_does_not(response):
    numbers = set(re.findall(r"\d+", response.text))
    assert numbers <= ARTICLE_NUMBERS, f"{response.name} states {numbers - ARTICLE_NUMBERS}"


def test_questions_the_article_does_not_answer_admit_it_and_say_how_to_reach_the_clinic():
    answers = [r for r in RESPONSES if r.name.startswith("utter_faq/ask_clinic_")]
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
