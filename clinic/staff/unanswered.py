"""Questions the assistant could not answer, grouped, and exported as Rasa NLU
YAML so developers can turn them into new FAQ topics (`clinic faq from-unanswered`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from clinic.staff.conversations import Conversation
from clinic.staff.privacy import mask

SIMILAR = 0.45  # cosine similarity of character n-grams; tuned by eye on paraphrases and typos


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


def unanswered_questions(conversations: list[Conversation]) -> list[tuple[str, str, str]]:
    """(masked question, why it went unanswered, conversation id) for every such patient message."""
    return [(mask(t.text, c.names_given), t.unanswered, c.conversation_id)
            for c in conversations for t in c.turns if t.speaker == "patient" and t.unanswered and t.text.strip()]


def group_questions(questions: list[tuple[str, str, str]]) -> list[QuestionGroup]:
    """Similar questions together (greedy, against each group's first question), biggest group first."""
    if not questions:
        return []
    texts = [" ".join(q[0].lower().split()) for q in questions]
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(texts)
    similarity = cosine_similarity(vectors)
    groups: list[tuple[int, QuestionGroup]] = []
    for i, (text, reason, conversation_id) in enumerate(questions):
        home = next((g for first, g in groups if similarity[first, i] >= SIMILAR), None)
        if home is None:
            home = QuestionGroup()
            groups.append((i, home))
        home.questions.append(text)
        home.reasons.add(reason)
        home.conversation_ids.append(conversation_id)
    return sorted((g for _, g in groups), key=lambda g: -g.count)


class _Block(str):
    """A string YAML writes as a literal block, as Rasa's `examples: |`."""


class _NluDumper(yaml.SafeDumper):
    pass


_NluDumper.add_representer(_Block, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|"))


def as_nlu_yaml(groups: list[QuestionGroup], exported_on: date) -> str:
    nlu = []
    for number, group in enumerate(groups, start=1):
        examples = list(dict.fromkeys(" ".join(q.split()) for q in group.questions))
        nlu.append({"intent": f"faq/unanswered_{number}",
                    "examples": _Block("".join(f"- {example}\n" for example in examples))})
    header = (f"# Unanswered patient questions, exported from the staff console on {exported_on}.\n"
              "# Each intent is one group of similar questions: a candidate FAQ topic. Rename it, write\n"
              "# an answer from the clinic's article, then add it (README, \"Adding a FAQ\").\n")
    return header + yaml.dump({"version": "3.1", "nlu": nlu}, Dumper=_NluDumper, sort_keys=False,
                              allow_unicode=True, width=1000)
