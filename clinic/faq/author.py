"""`clinic faq add`: writes a new FAQ topic (examples + answer + source) into
its family's data file, in Rasa's format, after checking it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from clinic import PROJECT_ROOT, knowledge
from clinic.faq.rules import MIN_EXAMPLES, answer_problems
from clinic.faq.topics import FAQ_DIR, example_owners, faq_topics, normalise, owners_of
from clinic.faq.writing import (
    WriteRefused,
    cleaned,
    printable,
    quoted,
    read_training_data,
    replace_file,
    trained_examples,
)

KEY = re.compile(r"^[a-z][a-z0-9_]{2,60}$")
TEMPLATE = """\
# A new FAQ topic. Fill this in, save and close; `clinic faq add --from-file` reads the same fields.
key: exercise_after_needling          # lower_case_with_underscores, unique
family: dry_needling                  # the file in data/faq/ it belongs to (a new name makes a new file)
source: "Aftercare and Recovery"      # the article section the answer comes from, or "not in the article"
answer: >-
  Write 2 to 4 short sentences in plain words (grade 8 or below), with facts from that section only.
examples:                             # at least 10 ways a patient would ask it
  - can I exercise after dry needling
"""


class TopicRefused(WriteRefused):
    """The new topic would break the knowledge base; the message says why."""


@dataclass
class NewTopic:
    key: str
    answer: str
    source: str
    examples: list[str] = field(default_factory=list)
    family: str = "added"

    @classmethod
    def from_yaml(cls, text: str) -> "NewTopic":
        data = yaml.safe_load(text) or {}
        missing = [f for f in ("key", "answer", "source", "examples") if not data.get(f)]
        if missing:
            raise TopicRefused(f"the file lacks {', '.join(missing)}")
        return cls(
            str(data["key"]),
            str(data["answer"]),
            str(data["source"]),
            [str(e) for e in data["examples"]],
            str(data.get("family") or "added"),
        )


def refusals(topic: NewTopic, root: Path = PROJECT_ROOT) -> list[str]:
    problems = []
    if not KEY.match(topic.key):
        problems.append(f"key '{topic.key}' must be lower_case_with_underscores")
    if not re.match(r"^[a-z][a-z0-9_]*$", topic.family):
        problems.append(f"family '{topic.family}' must be lower_case_with_underscores")
    if topic.key in faq_topics(root):
        problems.append(f"faq/{topic.key} already exists")
    typed = [e for e in topic.examples if cleaned(e)]
    examples = [cleaned(e) for e in typed]
    if len({normalise(e) for e in examples}) < MIN_EXAMPLES:
        problems.append(f"{len(set(map(normalise, examples)))} different examples (at least {MIN_EXAMPLES})")
    owners = example_owners(root)
    for example, words in zip(typed, examples):
        if owners_of(example, owners):
            problems.append(f"'{words}' already belongs to {', '.join(sorted(owners_of(example, owners)))}")
    draft = knowledge.Response(f"utter_faq/{topic.key}", " ".join(topic.answer.split()), topic.source, (), Path("new"))
    return problems + answer_problems(draft)


def family_file(family: str, root: Path = PROJECT_ROOT) -> Path:
    return root / FAQ_DIR / f"{family}.yml"


def nlu_block(key: str, examples: list[str]) -> str:
    lines = "".join(f"    - {e}\n" for e in dict.fromkeys(cleaned(e) for e in examples) if e)
    return f"- intent: faq/{key}\n  examples: |\n{lines}"


def response_block(key: str, answer: str, source: str, draft: bool = False) -> str:
    metadata = f"      source: {quoted(printable(source))}\n" + ("      draft: true\n" if draft else "")
    return f"  utter_faq/{key}:\n  - text: {quoted(' '.join(printable(answer).split()))}\n    metadata:\n{metadata}"


def write_topics(
    path: Path, blocks: list[tuple[str, str]], header: str, read_back: Callable[[Path], None] = read_training_data
) -> None:
    """Adds (nlu block, response block) pairs to a knowledge-base file, keeping what is there;
    through the one door (`writing.replace_file`): the file changes only if it reads back."""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        nlu_end = text.index("\nresponses:") if "\nresponses:" in text else len(text)
        nlu, rest = text[:nlu_end].rstrip("\n") + "\n", text[nlu_end:]
        if not rest:
            rest = "\nresponses:\n"
    else:
        nlu, rest = f'{header}version: "3.1"\n\nnlu:\n', "\nresponses:\n"
    for nlu_text, _ in blocks:
        nlu += "\n" + nlu_text
    rest = rest.rstrip("\n") + "\n"
    for _, response_text in blocks:
        rest += "\n" + response_text
    replace_file(path, nlu + rest, read_back)


def add_topic(topic: NewTopic, root: Path = PROJECT_ROOT) -> Path:
    """Writes the topic, or raises TopicRefused listing every reason it cannot be added."""
    try:
        problems = refusals(topic, root)
    except WriteRefused as why:
        raise TopicRefused(str(why)) from None
    if problems:
        raise TopicRefused("\n".join(problems))
    path = family_file(topic.family, root)

    def read_back(written: Path) -> None:
        if len(set(trained_examples(written, f"faq/{topic.key}"))) < MIN_EXAMPLES:
            raise TopicRefused(f"could not write faq/{topic.key} into {path}; nothing was changed")

    try:
        write_topics(
            path,
            [(nlu_block(topic.key, topic.examples), response_block(topic.key, topic.answer, topic.source))],
            f"# Knowledge base: {topic.family.replace('_', ' ')}.\n",
            read_back,
        )
    except WriteRefused as why:
        raise TopicRefused(str(why)) from None
    return path
