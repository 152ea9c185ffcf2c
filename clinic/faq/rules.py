"""What every answer patients read must be: plain, short, sourced, and adding
no number the article does not state. Used by `clinic faq check` and the tests."""

from __future__ import annotations

import re

import textstat

from clinic import knowledge
from clinic.knowledge import ARTICLE_SECTIONS, OTHER_SOURCES, Response
from clinic.profile import clinic_profile

MAX_GRADE = 8
SAFETY_MAX_GRADE = 6  # what a patient in crisis or in danger reads must be plainer still
SAFETY_SOURCE = "red flag safety rules"
# Spanish replies are measured with Fernández-Huerta's reading ease (80+: easy,
# about grade 6), since Flesch-Kincaid grades are for English.
MIN_SPANISH_EASE = 80
SENTENCES = (2, 4)
MAX_SENTENCE_WORDS = 25
MIN_EXAMPLES = 10
ARTICLE_NUMBERS = {"10", "15"}  # needles stay in for about 10 to 15 minutes
NOT_IN_ARTICLE = "not in the article"
PROFILE = "clinic profile"  # an answer that gives one of the clinic's own facts (clinic/profile.py FACTS)
FACT_SLOT = re.compile(r"\{clinic_fact_[a-z_]+\}")
# Placeholders are measured with values of a realistic length.
SAMPLE_VALUES = {
    "clinic_phone": "555 201 7700",
    "clinic_email": "hello@clinic.com",
    "clinic_address": "12 Main Street",
    "clinic_hours": "Monday to Friday, 8 to 6",
    "clinic_website": "clinic.com",
    "clinic_fact_parking": "free parking behind the building",
    "clinic_fact_insurance": "most major plans",
    "clinic_fact_prices": "a first visit is $90",
    "clinic_fact_referral": "you do not need one",
    "clinic_fact_languages": "English and Spanish",
    "patient_name": "Ana Ruiz",
    "contact": "+15552017788",
    "preferred_time": "Tuesday morning",
    "visit_reason": "sciatica",
    "patient_status": "new",
    "callback_question": "the price",
    "reference": "MC-7K4Q9P",
}


def as_patient_reads_it(text: str) -> str:
    values = {**clinic_profile().as_slots(), **SAMPLE_VALUES}
    return knowledge.SLOT_PATTERN.sub(lambda m: values.get(m.group(1), m.group(0)) or "", text)


def sentences(text: str) -> list[str]:
    # "Dr. Hunt" is one sentence, not two.
    return [s for s in re.split(r"(?<=[.!?])(?<!Dr\.)\s+", text.strip()) if s]


def grade(text: str) -> float:
    return textstat.flesch_kincaid_grade(as_patient_reads_it(text))


def answer_problems(response: Response) -> list[str]:
    """Why an answer is not ready for patients (empty when it is)."""
    text = response.text.strip()
    if not text:
        return [f"{response.name}: has no answer text"]
    problems = reading_problems(response, text) + source_problems(response, text)
    if response.draft:
        problems.append(f"{response.name}: is an unreviewed draft (rewrite it, then delete `draft: true`)")
    return problems


def reading_problems(response: Response, text: str) -> list[str]:
    """Too hard to read, too many or too long sentences."""
    problems = []
    if response.language == "es":
        ease = textstat.fernandez_huerta(as_patient_reads_it(text))
        if ease < MIN_SPANISH_EASE:
            problems.append(f"{response.name} (es): reading ease {ease:.0f} (at least {MIN_SPANISH_EASE})")
    else:
        most = SAFETY_MAX_GRADE if response.source == SAFETY_SOURCE else MAX_GRADE
        if grade(text) > most:
            problems.append(f"{response.name}: reads at grade {grade(text):.1f} (at most {most})")
    parts = sentences(as_patient_reads_it(text))
    if not SENTENCES[0] <= len(parts) <= SENTENCES[1]:
        problems.append(f"{response.name}: {len(parts)} sentences (write {SENTENCES[0]} to {SENTENCES[1]})")
    elif max(len(s.split()) for s in parts) > MAX_SENTENCE_WORDS:
        problems.append(f"{response.name}: a sentence is longer than {MAX_SENTENCE_WORDS} words")
    return problems


def source_problems(response: Response, text: str) -> list[str]:
    """A source the answer may not have, or a number the article does not state."""
    problems = []
    if response.name.startswith("utter_faq/") and response.source == PROFILE:
        if not FACT_SLOT.search(text):
            problems.append(f"{response.name}: a '{PROFILE}' answer gives a clinic fact ({{clinic_fact_...}})")
    elif response.name.startswith("utter_faq/ask_clinic_"):
        if response.source != NOT_IN_ARTICLE:
            problems.append(f"{response.name}: source must be '{NOT_IN_ARTICLE}'")
    elif response.name.startswith("utter_faq/"):
        if response.source not in ARTICLE_SECTIONS and response.source != NOT_IN_ARTICLE:
            problems.append(f"{response.name}: source {response.source!r} is not a section of the article")
    elif response.source not in ARTICLE_SECTIONS + OTHER_SOURCES:
        problems.append(f"{response.name}: source {response.source!r} is unknown")
    unstated = set(re.findall(r"\d+", text)) - ARTICLE_NUMBERS
    if unstated:
        problems.append(f"{response.name}: states numbers the article does not ({', '.join(sorted(unstated))})")
    return problems
