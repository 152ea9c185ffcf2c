"""What the channel passes on from a patient's message: clean text, and a "/"
command only when it is a quick reply the assistant offered.

Rasa reads any message starting with "/" as an intent with entities
("/restart", "/inform{...}"): a patient typing one would steer the
conversation, or silence it. So a "/..." message is a command only if it is
one of the payloads of the buttons last shown (or always allowed, like the
widget's hidden greeting); otherwise the slashes are dropped and it is read
as the words it contains.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

COMMAND_PREFIX = "/"
# Control characters other than tab and newline; lone UTF-16 surrogates (half an
# emoji cut by a length limit) crash spaCy; both carry no meaning for a reply.
UNREADABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    return UNREADABLE.sub("", unicodedata.normalize("NFC", text)).strip()


def as_sent(text: str, offered: Iterable[str]) -> str:
    """The text to hand to Rasa: an offered payload as it is, any other "/..." as plain words."""
    if not text.startswith(COMMAND_PREFIX) or text in set(offered):
        return text
    return text.lstrip(COMMAND_PREFIX).strip()


def offered_payloads(latest_first: Iterable[dict]) -> list[str]:
    """The payloads of the quick replies in the assistant's messages since the patient last spoke."""
    payloads: list[str] = []
    for event in latest_first:
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            payloads += [str(b.get("payload")) for b in (event.get("data") or {}).get("buttons") or []]
    return payloads
