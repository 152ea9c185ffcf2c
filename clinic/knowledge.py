"""The assistant's knowledge base as data: every response and training example.

Reads the project's Rasa YAML files directly (domain.yml and data/**) so tests
and authoring tools can check the knowledge base without loading Rasa.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import yaml

from clinic import PROJECT_ROOT

# The clinic article's sections, by heading: the only sources of medical facts.
ARTICLE_SECTIONS = (
    "What is Sciatica?",
    "How Can Dry Needling Help with Sciatica?",
    "Releases Muscle Tension Around the Sciatic Nerve",
    "Reduces Trigger Points and Painful Knots",
    "Improves Mobility and Range of Motion",
    "Supports Natural Healing and Recovery",
    "What to Expect During a Dry Needling Session for Sciatica",
    "Assessment and Targeting Trigger Points",
    "Needle Insertion",
    "Muscle Release and Pain Relief",
    "Aftercare and Recovery",
    "How Many Dry Needling Sessions Are Needed for Sciatica?",
    "Combining Dry Needling with Other Therapies for Sciatica Relief",
    "Chiropractic Adjustments",
    "Infrared Sauna Therapy",
    "Compression Therapy",
    "FAQ 1: Does Dry Needling Hurt?",
    "FAQ 2: How Long Does It Take to Feel Relief?",
    "FAQ 3: Is Dry Needling Safe?",
    "FAQ 4: Can Dry Needling Treat Chronic Sciatica?",
)
# Sources of sentences that state no medical fact.
OTHER_SOURCES = ("clinic profile", "assistant", "not in the article", "red flag safety rules")
SLOT_PATTERN = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Response:
    name: str  # e.g. "utter_faq/does_it_hurt"
    text: str
    source: str | None
    buttons: tuple[dict, ...]
    file: Path
    draft: bool = False  # drafted by `clinic faq import`/`from-unanswered`, not yet reviewed by a person
    language: str = "en"  # "es" for a variation chosen when the patient wrote in Spanish

    @property
    def slots(self) -> list[str]:
        return SLOT_PATTERN.findall(self.text)


def rasa_yaml_files(root: Path = PROJECT_ROOT) -> list[Path]:
    return [root / "domain.yml", *sorted((root / "data").rglob("*.yml"))]


def _read(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def responses(root: Path = PROJECT_ROOT) -> list[Response]:
    """Every variation of every response, wherever it is defined."""
    found = []
    for path in rasa_yaml_files(root):
        for name, variations in (_read(path).get("responses") or {}).items():
            for variation in variations:
                found.append(
                    Response(
                        name=name,
                        text=variation.get("text", ""),
                        source=(variation.get("metadata") or {}).get("source"),
                        buttons=tuple(variation.get("buttons") or ()),
                        file=path,
                        draft=bool((variation.get("metadata") or {}).get("draft")),
                        language=_language(variation),
                    )
                )
    return found


def _language(variation: dict) -> str:
    """The language a conditional variation is for (slot patient_language), else English."""
    for condition in variation.get("condition") or []:
        if condition.get("name") == "patient_language":
            return condition.get("value") or "en"
    return "en"


def examples(path: Path) -> Iterator[tuple[str, str]]:
    """(intent, example) pairs of one NLU file; retrieval intents keep their key."""
    for block in _read(path).get("nlu") or []:
        if "intent" not in block:
            continue
        for line in block.get("examples", "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield block["intent"], line[2:].strip()


def training_examples(root: Path = PROJECT_ROOT) -> dict[str, list[str]]:
    """Training examples by intent (e.g. "faq/does_it_hurt", "greet")."""
    by_intent: dict[str, list[str]] = {}
    for path in sorted((root / "data").rglob("*.yml")):
        for intent, text in examples(path):
            by_intent.setdefault(intent, []).append(text)
    return by_intent


def topic_of(utter_name: str) -> str:
    """ "utter_faq/does_it_hurt" -> "faq/does_it_hurt"."""
    return utter_name.removeprefix("utter_")
