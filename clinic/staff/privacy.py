"""Masks what identifies a patient in a transcript or a request: phone numbers,
emails and the names they gave. Staff see masked text unless they reveal it (audited)."""

from __future__ import annotations

import re

# An email starts where a run of local-part characters starts: without the
# look-behind, text with no "@" is rescanned from every character (quadratic).
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Seven or more digits, allowing spaces, dots, dashes, brackets and a leading +:
# deliberately wider than valid numbers, since a missed number is the worse error.
PHONE = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
# Request details that say who the patient is: masked whole, whatever their form.
IDENTIFYING_DETAILS = {"patient_name": "[name]", "phone": "[phone]", "email": "[email]", "contact": "[contact]"}


def mask(text: str, names: set[str] | frozenset[str] = frozenset()) -> str:
    text = EMAIL.sub("[email]", text)
    text = PHONE.sub(lambda m: "[phone]" if sum(c.isdigit() for c in m.group()) >= 7 else m.group(), text)
    for name in sorted(names, key=len, reverse=True):
        for part in [name, *name.split()]:  # the whole name first, then each word of it alone
            if len(part) >= 2:
                text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", "[name]", text, flags=re.IGNORECASE)
    return text


def mask_details(details: dict) -> dict:
    """A request's details as staff first see them: who the patient is hidden,
    free text (a reason, a question) masked as in a transcript."""
    names = {str(details["patient_name"])} if details.get("patient_name") else set()
    return {key: _masked_detail(key, value, names) for key, value in details.items()}


def _masked_detail(key: str, value, names: set[str]):
    if not isinstance(value, str) or not value:
        return value
    return IDENTIFYING_DETAILS.get(key) or mask(value, names)
