"""Questions the assistant could not answer, grouped, and exported as Rasa NLU
YAML so developers can turn them into new FAQ topics (`clinic faq from-unanswered`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer

from clinic.staff.conversations import Conversation
from clinic.staff.privacy import mask

SIMILAR = 0.45  # cosine similarity of character n-grams; tuned by eye on paraphrases and typos
MOST_GROUPED = 3000  # the newest questions grouped on a page or in an export: grouping time grows with their square
CHUNK = 256  # questions compared with the groups at a time: memory is CHUNK × groups, not questions²


@dataclass
class QuestionGroup:
    questions: list[str] = field(default_factory=list)
    reasons: set[str] = field(default_factory=set)
    conversation_ids: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def example(self) -> str:
        return self.questions[0]


def unanswered_questions(conversations: Iterable[Conversation]) -> list[tuple[str, str, str]]:
    """(masked question, why it went unanswered, conversation id) for every such patient message."""
    return [
        (mask(t.text, c.names_given), t.unanswered, c.conversation_id)
        for c in conversations
        for t in c.turns
        if t.speaker == "patient" and t.unanswered and t.text.strip()
    ]


def group_questions(questions: list[tuple[str, str, str]]) -> list[QuestionGroup]:
    """Similar questions together (greedy, against each group's first question), biggest group first."""
    if not questions:
        return []
    texts = [" ".join(q[0].lower().split()) for q in questions]
    # Sparse rows of unit length, so a dot product is the cosine similarity.
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(texts).tocsr()
    firsts: list[int] = []  # each group's first question, in the order the groups were made
    home_of: list[int] = []  # each question's group
    for start in range(0, len(questions), CHUNK):
        chunk = vectors[start : start + CHUNK]
        known = len(firsts)  # groups made before this chunk
        with_known = (chunk @ vectors[firsts].T).toarray() if firsts else np.zeros((chunk.shape[0], 0))
        within = (chunk @ chunk.T).toarray()  # for groups made inside this chunk
        for offset in range(chunk.shape[0]):
            home = _first_similar(with_known[offset])
            if home is None:
                made_here = np.array(firsts[known:], dtype=int) - start
                here = _first_similar(within[offset, made_here])
                home = known + here if here is not None else None
            if home is None:
                home = len(firsts)
                firsts.append(start + offset)
            home_of.append(home)
    groups = [QuestionGroup() for _ in firsts]
    for (text, reason, conversation_id), home in zip(questions, home_of):
        groups[home].questions.append(text)
        groups[home].reasons.add(reason)
        groups[home].conversation_ids.append(conversation_id)
    return sorted(groups, key=lambda g: -g.count)


def _first_similar(similarities) -> int | None:
    similar = np.flatnonzero(similarities >= SIMILAR)
    return int(similar[0]) if len(similar) else None


class _Block(str):
    """A string YAML writes as a literal block, as Rasa's `examples: |`."""


class _NluDumper(yaml.SafeDumper):
    pass


_NluDumper.add_representer(
    _Block, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
)


def as_nlu_yaml(groups: list[QuestionGroup], exported_on: date) -> str:
    nlu = []
    for number, group in enumerate(groups, start=1):
        examples = list(dict.fromkeys(" ".join(q.split()) for q in group.questions))
        nlu.append(
            {
                "intent": f"faq/unanswered_{number}",
                "examples": _Block("".join(f"- {example}\n" for example in examples)),
            }
        )
    header = (
        f"# Unanswered patient questions, exported from the staff console on {exported_on}.\n"
        "# Each intent is one group of similar questions: a candidate FAQ topic. Rename it, write\n"
        '# an answer from the clinic\'s article, then add it (docs/authoring-faqs.md, "Adding a FAQ").\n'
    )
    return header + yaml.dump(
        {"version": "3.1", "nlu": nlu}, Dumper=_NluDumper, sort_keys=False, allow_unicode=True, width=1000
    )
