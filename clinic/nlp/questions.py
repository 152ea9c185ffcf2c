"""Every question in a message: clauses, and which of them ask something the
assistant can answer confidently.

A message is cut into sentences (., ?, !, ;, line breaks, list markers such
as "1)" or "-") and a question into clauses where a joiner ("and", "also", a
comma) is followed by a question word ("how long do they stay in, and is it
safe?"). A statement before a comma stays with its question ("I'm pregnant,
can I still have it?"). Each clause is classified on its own; an unsure one
is read again with the topic of the clause before it ("how can needling help
with it?"). The confident ones, in the order asked, distinct, at most three,
are the questions; clauses that ask something come first, so the story
around a question does not pull the answer to another topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from clinic.nlp.follow_ups import with_topic
from clinic.nlp.whole_message import settings

SENTENCE_ENDS = {".", "?", "!", ";", "…"}
LIST_MARKS = {"-", "–", "—", "•", "*"}
WH_WORDS = {"what", "whats", "how", "hows", "why", "when", "where", "which", "who"}
TAIL_WORDS = 3  # a clause's last part is read alone only when it has more words than this
WH_REACH = 6  # "hi, quick one - what is ...": a question word this early makes it a question

Classify = Callable[[list[tuple[str, Sequence[str]]]], list[tuple[str, float]]]


@dataclass(frozen=True)
class Word:
    text: str
    lemma: str
    start: int
    end: int


@dataclass(frozen=True)
class Clause:
    text: str
    words: list[str]
    lemmas: list[str]
    asks: bool  # ends with "?" or starts (nearly) with a question word


@dataclass(frozen=True)
class Question:
    topic: str
    confidence: float
    clause: str


def _bare(word: str) -> str:
    return word.lower().replace("'", "").replace("’", "")


def _asks(piece: Sequence[Word], text: str) -> bool:
    joiners = set(settings()["joiners"])
    bare = [_bare(w.text) for w in piece if any(c.isalnum() for c in w.text)]
    while bare and bare[0] in joiners:  # "and does it ...", "also how long ..."
        bare = bare[1:]
    plain = " ".join(bare)
    return bool(
        text.rstrip().endswith("?")
        or (bare and bare[0] in settings()["question_starts"])
        or any(w in WH_WORDS for w in bare[:WH_REACH])
        or any(phrase in plain for phrase in settings()["asking_phrases"])
    )


def _list_mark(words: Sequence[Word], i: int) -> bool:
    """'1)' or '2.' or a dash standing alone: a new item of a list."""
    word = words[i]
    if word.text in LIST_MARKS:
        return True
    following = words[i + 1].text if i + 1 < len(words) else ""
    return (
        word.text.isdigit()
        and len(word.text) <= 2
        and following in (")", ".")
        and (i == 0 or words[i - 1].text not in ("$", "#"))
    )


def clauses(text: str, words: Sequence[Word]) -> list[Clause]:
    starts, joiners = set(settings()["question_starts"]), set(settings()["joiners"])
    pieces: list[list[Word]] = [[]]
    skip = 0
    for i, word in enumerate(words):
        if skip:
            skip -= 1
            continue
        following = [_bare(w.text) for w in words[i + 1 : i + 3]]
        if _list_mark(words, i):
            pieces.append([])
            skip = 1 if word.text.isdigit() else 0  # the ")" after "1"
            continue
        current = pieces[-1]
        asking = bool(current) and _asks(current, text[current[0].start : current[-1].end])
        new_question = bool(current) and (
            (_bare(word.text) in joiners and following[:1] and following[0] in starts and asking)
            or (
                word.text == ","
                and asking
                and following
                and (following[0] in starts or (following[0] in joiners and following[1:2] and following[1] in starts))
            )
        )
        if new_question:
            pieces.append([])
            continue  # the joiner or comma belongs to neither clause
        current.append(word)
        if word.text in SENTENCE_ENDS or "\n" in text[word.end : word.end + 1]:
            pieces.append([])
    found = []
    for piece in pieces:
        if not any(any(c.isalnum() for c in w.text) for w in piece):
            continue
        clause_text = text[piece[0].start : piece[-1].end].strip(" ,")
        found.append(Clause(clause_text, [w.text for w in piece], [w.lemma for w in piece], _asks(piece, clause_text)))
    return found


def questions(found: list[Clause], classify: Classify, confident: float) -> list[Question]:
    """The confident questions in the order asked (asking clauses first), distinct, at most a few."""
    if len(found) < 2:
        return []
    sure: list[Question] = []
    for i, (clause, (topic, confidence)) in enumerate(zip(found, classify([(c.text, c.lemmas) for c in found]))):
        if confidence < confident and clause.asks:
            topic, confidence = _in_context(found, i, sure, classify) or (topic, confidence)
        if confidence >= confident:
            sure.append(Question(topic, confidence, clause.text))
    asking = {c.text for c in found if c.asks}
    chosen = [q for q in sure if q.clause in asking] or sure
    distinct: list[Question] = []
    for question in chosen:
        if question.topic not in {q.topic for q in distinct}:
            distinct.append(question)
    return distinct[: settings()["most_questions"]]


def _in_context(found: list[Clause], i: int, sure: list[Question], classify: Classify) -> tuple[str, float] | None:
    """An unsure question read again: its last part alone ("I get that it's the nerve, but how does
    a needle fix that?"), its pronoun as the topic before it ("how can needling help with it?"),
    or together with the sentence before it (the story it asks about); the surest reading wins."""
    clause = found[i]
    readings: list[tuple[str, Sequence[str]]] = []
    tail = _tail(clause)
    if tail:
        readings.append(tail)
    if sure:
        texts, lemmas = with_topic(clause.words, sure[-1].topic, True), with_topic(clause.lemmas, sure[-1].topic, True)
        if texts and lemmas:  # lemmas None: its pronoun's lemma is no listed pronoun
            readings.append((" ".join(texts), lemmas))
    if i > 0:
        before = found[i - 1]
        readings.append((f"{before.text} {clause.text}", [*before.lemmas, *clause.lemmas]))
    return max(classify(readings), key=lambda reading: reading[1]) if readings else None


def _tail(clause: Clause) -> tuple[str, list[str]] | None:
    """What follows the clause's last comma or "but", when a few words follow."""
    cuts = [i for i, word in enumerate(clause.words) if word == "," or _bare(word) == "but"]
    if not cuts or len(clause.words) - cuts[-1] <= TAIL_WORDS:
        return None
    start = cuts[-1] + 1
    return " ".join(clause.words[start:]), clause.lemmas[start:]


def asks_something(text: str) -> bool:
    """Whether a message reads as a question about something: a question mark, or a sentence or
    clause that opens with a question word, and at least two words ("do you open on sundays",
    "my son hurt his back, does it hurt"), not "what?" or "hmm"."""
    words = [_bare(w) for w in text.split() if any(c.isalnum() for c in w)]
    if len(words) < 2:
        return False
    pieces = [p for p in re.split(r"[,.;!?\n]+", text) if p.strip()] or [text]
    return any(_asks([Word(w, w, 0, 0) for w in piece.split()], piece) for piece in pieces) or text.rstrip().endswith(
        "?"
    )


def elliptical(words: list[str]) -> bool:
    """A short follow-up naming only a new aspect ("and the day after?", "what about my shoulder")."""
    bare = [_bare(w) for w in words if any(c.isalnum() for c in w)]
    if not bare or len(bare) > settings()["elliptical_most_words"]:
        return False
    plain = " ".join(bare) + " "
    return any(plain.startswith(opener + " ") for opener in settings()["elliptical_openers"])
