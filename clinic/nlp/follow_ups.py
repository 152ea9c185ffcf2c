"""Follow-ups: "does that hurt?" read with the topic of the previous answer.

The channel passes the conversation's topic (the slot `faq_topic`) in the
message's metadata. A short message that is unsure on its own is rewritten
with that topic's subject (whole_message.yml) in place of its first pronoun,
or after it when it has none, and classified again; the answer selector uses
the rewrite only if it is confident. Inside one message, a clause such as
"how can dry needling help with it?" is read the same way with the topic of
the clause before it.
"""
from __future__ import annotations

from clinic.nlp.whole_message import settings

TOPIC_METADATA_KEY = "conversation_topic"


def subject_of(topic: str) -> str:
    table = settings()
    return table["subjects"].get(topic.split("/")[-1], table["default_subject"])


def with_topic(words: list[str], topic: str | None, pronoun_only: bool = False) -> list[str] | None:
    """The words with the topic's subject put in, or None when they are no follow-up."""
    if not topic or not words or len(words) > settings()["follow_up_most_words"]:
        return None
    subject = subject_of(topic).split()
    pronouns = set(settings()["pronouns"])
    for i, word in enumerate(words):
        if word.lower() in pronouns:
            return [*words[:i], *subject, *words[i + 1:]]
    return None if pronoun_only else [*words, "about", *subject]
