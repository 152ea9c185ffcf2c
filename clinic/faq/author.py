"""`clinic faq add`: writes a new FAQ topic (examples + answer + source) into
its family's data file, in Rasa's format, after checking it."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from clinic import PROJECT_ROOT, knowledge
from clinic.faq.rules import MIN_EXAMPLES, answer_problems
from clinic.faq.topics import FAQ_DIR, example_owners, faq_topics, normalise

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


class TopicRefused(ValueError):
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
        return cls(str(data["key"]), str(data["answer"]), str(data["source"]),
                   [str(e) for e in data["examples"]], str(data.get("family") or "added"))


def refusals(topic: NewTopic, root: Path = PROJECT_ROOT) -> list[str]:
    problems = []
    if not KEY.match(topic.key):
        problems.append(f"key '{topic.key}' must be lower_case_with_underscores")
    if not re.match(r"^[a-z][a-z0-9_]*$", topic.family):
        problems.append(f"family '{topic.family}' must be lower_case_with_underscores")
    if topic.key in faq_topics(root):
        problems.append(f"faq/{topic.key} already exists")
    examples = [" ".join(e.split()) for e in topic.examples if e.strip()]
    if len({normalise(e) for e in examples}) < MIN_EXAMPLES:
        problems.append(f"{len(set(map(normalise, examples)))} different examples (at least {MIN_EXAMPLES})")
    owners = example_owners(root)
    for example in examples:
        if owners.get(normalise(example)):
            problems.append(f"'{example}' already belongs to {', '.join(sorted(owners[normalise(example)]))}")
    draft = knowledge.Response(f"utter_faq/{topic.key}", " ".join(topic.answer.split()), topic.source, (),
                               Path("new"))
    return problems + answer_problems(draft)


def family_file(family: str, root: Path = PROJECT_ROOT) -> Path:
    return root / FAQ_DIR / f"{family}.yml"


def nlu_block(key: str, examples: list[str]) -> str:
    lines = "".join(f"    - {' '.join(e.split())}\n" for e in dict.fromkeys(examples) if e.strip())
    return f"- intent: faq/{key}\n  examples: |\n{lines}"


def response_block(key: str, answer: str, source: str, draft: bool = False) -> str:
    metadata = f"      source: {json.dumps(source)}\n" + ("      draft: true\n" if draft else "")
    return f"  utter_faq/{key}:\n  - text: {json.dumps(' '.join(answer.split()))}\n    metadata:\n{metadata}"


def write_topics(path: Path, blocks: list[tuple[str, str]], header: str) -> None:
    """Adds (nlu block, response block) pairs to a knowledge-base file, keeping what is there."""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        nlu_end = text.index("\nresponses:") if "\nresponses:" in text else len(text)
        nlu, rest = text[:nlu_end].rstrip("\n") + "\n", text[nlu_end:]
        if not rest:
            rest = "\nresponses:\n"
    else:
        nlu, rest = f"{header}version: \"3.1\"\n\nnlu:\n", "\nresponses:\n"
    for nlu_text, _ in blocks:
        nlu += "\n" + nlu_text
    rest = rest.rstrip("\n") + "\n"
    for _, response_text in blocks:
        rest += "\n" + response_text
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nlu + rest, encoding="utf-8")


def add_topic(topic: NewTopic, root: Path = PROJECT_ROOT) -> Path:
    """Writes the topic, or raises TopicRefused listing every reason it cannot be added."""
    problems = refusals(topic, root)
    if problems:
        raise TopicRefused("\n".join(problems))
    path = family_file(topic.family, root)
    before = path.read_text(encoding="utf-8") if path.exists() else None
    write_topics(path, [(nlu_block(topic.key, topic.examples), response_block(topic.key, topic.answer, topic.source))],
                 f"# Knowledge base: {topic.family.replace('_', ' ')}.\n")
    try:
        written = faq_topics(root).get(topic.key)
    except yaml.YAMLError:
        written = None
    if not written or not written.answers or len(written.examples) < MIN_EXAMPLES:
        path.write_text(before, encoding="utf-8") if before is not None else path.unlink()  # never leave a broken file
        raise TopicRefused(f"could not write faq/{topic.key} into {path}")
    return path
