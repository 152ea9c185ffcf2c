"""What the console's "Teach the assistant" does with a patient's message."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinic.faq.corrections import SAFETY_SETS, CorrectionRefused, add_example, add_safety_phrasing
from clinic.faq.drafts import draft_new_question
from clinic.staff.words import topic_titles

FAQ_KEY = re.compile(r"\bfaq/(\w+)")


@dataclass(frozen=True)
class Correction:
    said: str  # what the page tells the staff member
    refused: bool


def apply_correction(console, choice: str, words: str, username: str) -> str:
    """Carries out `choice` ("topic:<key>", "new", "safety:<kind>", "ignore") for `words`; says what happened.
    A refusal names topics by their titles, as the picker does."""
    try:
        return _apply(console, choice, words, username)
    except OSError as error:  # a server that keeps the knowledge base read-only
        raise CorrectionRefused(
            f"the knowledge base cannot be changed on this server ({error.strerror}); ask whoever runs it"
        ) from None
    except CorrectionRefused as why:
        titles = topic_titles(console.knowledge_root)
        raise CorrectionRefused(FAQ_KEY.sub(lambda m: f"“{titles.get(m.group(1), m.group(1))}”", str(why))) from None


def _apply(console, choice: str, words: str, username: str) -> str:
    kind, _, value = choice.partition(":")
    if kind == "topic":
        path = add_example(value, words, console.knowledge_root)
        title = topic_titles(console.knowledge_root).get(value, value)
        return (
            f"Added to “{title}” as a new way of asking it ({path.relative_to(console.knowledge_root)}). "
            "The assistant answers it after the next training and reload."
        )
    if kind == "safety" and value in SAFETY_SETS:
        path = add_safety_phrasing(value, words, console.knowledge_root)
        return (
            f"Added to the {value} test set ({path.relative_to(console.knowledge_root)}): `make test` now "
            "checks the safety net escalates it, and a developer makes it pass."
        )
    if kind == "new":
        path = draft_new_question(words, console.knowledge_root)
        return (
            f"Drafted as a new question ({path.relative_to(console.knowledge_root)}). A developer writes its "
            "answer from the clinic's article; until then the assistant keeps saying it cannot answer it."
        )
    if kind == "ignore":
        console.ignored.ignore([words], username)
        return "Ignored: this message no longer counts as unanswered."
    raise CorrectionRefused("choose what the right answer was")
