"""The knowledge base as FAQ topics: key, examples, answer and the file that holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from clinic import PROJECT_ROOT, knowledge
from clinic.faq.writing import plain_text, readings

FAQ_DIR = Path("data") / "faq"


@dataclass
class Topic:
    key: str  # e.g. "does_it_hurt" (the retrieval intent is "faq/does_it_hurt")
    examples: list[str] = field(default_factory=list)
    answers: list[knowledge.Response] = field(default_factory=list)
    files: set[Path] = field(default_factory=set)

    @property
    def intent(self) -> str:
        return f"faq/{self.key}"


def normalise(example: str) -> str:
    """How two examples are compared: as Rasa trains them (entity markup read as its words),
    without case, spacing or end punctuation."""
    try:
        example = plain_text(example)
    except ValueError:  # markup Rasa itself refuses: `clinic faq check` reports the file
        pass
    return " ".join(example.lower().split()).rstrip("?!. ")


def faq_topics(root: Path = PROJECT_ROOT) -> dict[str, Topic]:
    topics: dict[str, Topic] = {}
    for path in sorted((root / "data").rglob("*.yml")):
        for intent, example in knowledge.examples(path):
            if intent.startswith("faq/"):
                topic = topics.setdefault(intent[4:], Topic(intent[4:]))
                topic.examples.append(example)
                topic.files.add(path)
    for response in knowledge.responses(root):
        if response.name.startswith("utter_faq/"):
            topic = topics.setdefault(response.name[len("utter_faq/") :], Topic(response.name[len("utter_faq/") :]))
            topic.answers.append(response)
            topic.files.add(response.file)
    return topics


def example_owners(root: Path = PROJECT_ROOT) -> dict[str, set[str]]:
    """Normalised example -> every intent (FAQ or not) that has it."""
    owners: dict[str, set[str]] = {}
    for intent, examples in knowledge.training_examples(root).items():
        for example in examples:
            owners.setdefault(normalise(example), set()).add(intent)
    return owners


def owners_of(text: str, owners: dict[str, set[str]]) -> set[str]:
    """The intents of `owners` (`example_owners`) that already have `text`, under any of its readings:
    "[another topic's example](x)" is that topic's example to Rasa."""
    return {intent for reading in readings(text) for intent in owners.get(normalise(reading), ())}
