"""Reading a patient's booking details from what they type.

Plain functions, no Rasa: the booking form's validation action
(actions/booking_form.py) calls them on each message.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# The region used for phone numbers written without a country code.
DEFAULT_REGION = os.environ.get("CLINIC_PHONE_REGION", "US")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
NAME_INTRO = re.compile(
    r"\b(?:i'?m|i am|my name is|my name's|name is|this is|it's|call me)\s+"
    r"([a-z][a-z'-]+(?:\s+[a-z][a-z'-]+)?)",
    re.IGNORECASE,
)
NOT_NAMES = {
    "a",
    "an",
    "the",
    "new",
    "returning",
    "not",
    "in",
    "looking",
    "interested",
    "having",
    "free",
    "available",
    "after",
    "on",
    "at",
    "here",
    "back",
    "sure",
    "ok",
    "okay",
    "fine",
    "scared",
    "worried",
    "booking",
    "trying",
    "wondering",
    "calling",
    "going",
    "just",
}
PART_OF_DAY = re.compile(r"\b(morning|afternoon|evening|lunch ?time|noon|after work|before work)\b", re.I)
NEW_PATIENT = re.compile(r"\b(new|first (time|visit)|never been|haven't been)\b", re.I)
RETURNING_PATIENT = re.compile(r"\b(returning|been (there|here|before)|existing|came before|old patient|again)\b", re.I)
# Only a message that talks about being a patient says new or returning up front.
MENTIONS_PATIENT_STATUS = re.compile(r"\bpatient\b|been (there|here|before)|first (time|visit)", re.I)
SKIP = re.compile(r"^\s*(skip|no|none|nothing|n/?a|rather not( say)?|prefer not( to say)?|-)\s*[.!]?\s*$", re.I)
MAX_REASON_LENGTH = 200


@dataclass(frozen=True)
class Contact:
    kind: str  # "phone" or "email"
    value: str  # E.164 phone or normalised email


def find_contact(text: str, region: str = DEFAULT_REGION) -> Contact | None:
    """A valid phone number or email address anywhere in the text."""
    email = EMAIL.search(text)
    if email:
        try:
            checked = validate_email(email.group(0), check_deliverability=False)
            return Contact("email", checked.normalized)
        except EmailNotValidError:
            pass
    # "Possible" (right length and shape for the region), not "valid": the
    # library cannot know every live number, and rejecting a real one is worse.
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
        if phonenumbers.is_possible_number(match.number):
            return Contact("phone", phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164))
    return None


def find_name(text: str) -> str | None:
    """A name the patient introduced ("I'm Ana", "my name is Ana Ruiz")."""
    for match in NAME_INTRO.finditer(text):
        words = [w for w in match.group(1).split() if w.lower() not in NOT_NAMES]
        if words and words[0].lower() == match.group(1).split()[0].lower():
            return " ".join(w.capitalize() for w in words)
    return None


# "ok" or "sure" typed while the form asks is a reply to the assistant, not a name or a question.
ACKNOWLEDGEMENTS = {
    "ok",
    "okay",
    "k",
    "yes",
    "yeah",
    "yep",
    "no",
    "nope",
    "nah",
    "sure",
    "great",
    "fine",
    "cool",
    "thanks",
    "thank you",
    "alright",
    "got it",
    "hi",
    "hello",
    "hey",
}


def is_acknowledgement(text: str) -> bool:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split()) in ACKNOWLEDGEMENTS


def name_from_answer(text: str) -> str | None:
    """The answer to "what is your name?": the introduced name or the text itself."""
    if is_acknowledgement(text):
        return None
    introduced = find_name(text)
    if introduced:
        return introduced
    words = re.sub(r"[^\w\s'-]", " ", text).split()
    if 1 <= len(words) <= 4 and not any(ch.isdigit() for ch in text):
        return " ".join(w if w[:1].isupper() else w.capitalize() for w in words)
    return None


def find_preferred_time(text: str, now: datetime | None = None) -> tuple[str, str | None] | None:
    """(the words the patient used, the date they point to as YYYY-MM-DD or None)."""
    from dateparser.search import search_dates

    now = now or datetime.now()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = (
            search_dates(text, languages=["en"], settings={"PREFER_DATES_FROM": "future", "RELATIVE_BASE": now}) or []
        )
    # Phone digits can read as a year ("7788"): keep dates within a year.
    found = [(words, when) for words, when in found if 0 <= (when - now).days <= 366 and not words.isdigit()]
    part_of_day = PART_OF_DAY.search(text)
    if not found and not part_of_day:
        return None
    words = " ".join([w for w, _ in found[:1]] + ([part_of_day.group(0)] if part_of_day else []))
    return words, (found[0][1].date().isoformat() if found else None)


def patient_status(text: str) -> str | None:
    if RETURNING_PATIENT.search(text):
        return "returning"
    if NEW_PATIENT.search(text):
        return "new"
    return None


def visit_reason(text: str) -> str:
    """The reason in the patient's words, short; "not given" when they skip."""
    # No closing full stop or question mark: the summary adds its own ("about: the price.").
    return "not given" if SKIP.match(text) else text.strip()[:MAX_REASON_LENGTH].rstrip(" .?!")
