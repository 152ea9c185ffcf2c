"""Masks what identifies a patient in a transcript: phone numbers, emails and
the names they gave. Staff see masked text unless they reveal it (audited)."""
from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Seven or more digits, allowing spaces, dots, dashes, brackets and a leading +:
# deliberately wider than valid numbers, since a missed number is the worse error.
PHONE = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")


def mask(text: str, names: set[str] | frozenset[str] = frozenset()) -> str:
    text = EMAIL.sub("[email]", text)
    text = PHONE.sub(lambda m: "[phone]" if sum(c.isdigit() for c in m.group()) >= 7 else m.group(), text)
    for name in sorted(names, key=len, reverse=True):
        for part in [name, *name.split()]:  # the whole name first, then each word of it alone
            if len(part) >= 2:
                text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", "[name]", text, flags=re.IGNORECASE)
    return text
