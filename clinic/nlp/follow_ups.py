"""Follow-ups: "does that hurt?" read with the topic of the previous answer.

The channel passes the conversation's topic (the slot `faq_topic`) and the patient's question
that got it in the message's metadata. A short message that is unsure alone, or names only an
aspect ("and a week later?"), is read with that topic's subject (whole_message.yml) in place of
its first pronoun, or after it when it has none; when that is unsure too, after the question
before it ("how soon will I feel better?" + "and a week later?"). A confident reading is used
when it is surer than the message alone. A follow-up that names only a body part outside sciatica's
reach ("what about my shoulder?") is about another condition, whatever the topic before.
Inside one message, a clause such as "how can dry needling help with it?" is read the same way
with the topic of the clause before it.
"""

from __future__ import annotations

from clinic.nlp.whole_message import settings

TOPIC_METADATA_KEY = "conversation_topic"
QUESTION_METADATA_KEY = "topic_question"  # the patient's words that got the topic's answer


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
            return [*words[:i], *subject, *words[i + 1 :]]
    return None if pronoun_only else [*words, "about", *subject]


def names_elsewhere(words: list[str]) -> bool:
    """Whether a follow-up names a body part outside sciatica's reach and none within it."""
    bare = " " + " ".join(w.lower() for w in words) + " "
    found = lambda key: any(f" {part} " in bare for part in settings()[key])  # noqa: E731
    return found("elsewhere_body_parts") and not found("sciatica_body_parts")
