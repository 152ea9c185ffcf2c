"""The console in the staff's words: what the assistant understood and said, without Rasa's
names (`nlu_fallback`, `utter_red_flag_emergency`, `faq/does_it_hurt`) on screen.

FAQ topics are named by their first example, the patient's own words; other intents
and responses by the table below, else by their name with the underscores gone.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import yaml

from clinic.faq.topics import faq_topics

logger = logging.getLogger(__name__)
TIERS = {
    "crisis": "Crisis language",
    "emergency": "Emergency",
    "urgent": "Urgent: see a doctor soon",
    "check": "Check with the clinician",
}
INTENTS = {
    "faq": "a question",
    "greet": "hello",
    "goodbye": "goodbye",
    "thank": "thanks",
    "bot_challenge": "are you a bot?",
    "help": "asks for help",
    "clinic_contact": "how to reach the clinic",
    "book_appointment": "wants to book",
    "out_of_scope": "outside the clinic's field",
    "unclear": "unclear",
    "red_flag": "red flag",
    "defer_care": "asks to wait",
    "affirm": "yes / ok",
    "deny": "no",
    "cancel_booking": "cancels the request",
    "change_booking_detail": "changes a detail",
    "request_callback": "wants a call back",
    "other_language": "another language",
    "nlu_fallback": "not understood",
}
RESPONSES = {
    "rephrase": "asked to say it another way",
    "default": "asked to say it another way",
    "not_in_article": "told the article does not cover it",
    "out_of_scope": "outside the clinic's field",
    "crisis": "crisis help given",
    "red_flag_emergency": "emergency advice given",
    "red_flag_urgent": "urgent advice given",
}


def topic_titles(root: Path) -> dict[str, str]:
    """faq key -> its plain title, sorted by title (read afresh: a correction may have just added a topic).
    Empty when a knowledge-base file cannot be read: the pages still open, and teaching says why it cannot."""
    try:
        topics = faq_topics(root)
    except (yaml.YAMLError, UnicodeError) as error:
        logger.warning("the knowledge base cannot be read: %s", " ".join(str(error).split())[:200])
        return {}
    titles = {
        key: topic.examples[0][:1].upper() + topic.examples[0][1:] if topic.examples else key.replace("_", " ")
        for key, topic in topics.items()
    }
    return dict(sorted(titles.items(), key=lambda item: item[1].lower()))


@lru_cache(maxsize=4)
def _topic_titles(root: str) -> dict[str, str]:
    return topic_titles(Path(root))


class PlainWords:
    def __init__(self, root: Path):
        self.root = str(root)

    def topic(self, key: str | None) -> str:
        """ "faq/does_it_hurt" or "does_it_hurt" -> "Does dry needling hurt\""""
        if not key:
            return "—"
        key = key.split("/", 1)[1] if key.startswith("faq/") else key
        return _topic_titles(self.root).get(key, key.replace("_", " "))

    def intent(self, name: str | None) -> str:
        if not name:
            return "—"
        return self.topic(name) if name.startswith("faq/") else INTENTS.get(name, name.replace("_", " "))

    def response(self, name: str | None) -> str:
        if not name:
            return "—"
        if name.startswith("utter_faq/"):
            return f"answered “{self.topic(name[len('utter_faq/') :])}”"
        bare = name.removeprefix("utter_").removeprefix("action_")
        return RESPONSES.get(bare, bare.replace("_", " "))

    @staticmethod
    def tier(name: str | None) -> str:
        return TIERS.get(name or "", (name or "—").replace("_", " "))
