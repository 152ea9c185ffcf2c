"""Corrections from the staff console: a patient's words as a new training example of the
topic that should have answered them, or as a phrasing the safety net must escalate.

The same checks as `clinic faq add`: the words must be new to the knowledge base
(an example owned by another intent is refused, naming it), hold no personal
details (masked words are refused), and the file must read back. Safety
phrasings go to the tests, never to training data: the test set is what the
safety net is held to, and a developer decides how the net learns it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from clinic import PROJECT_ROOT
from clinic.faq.topics import example_owners, faq_topics, normalise

MASKED = re.compile(r"\[(name|phone|email)\]")
LONGEST = 300
CONSOLE_KIND = "from_the_console"  # where staff-reported phrasings sit in the red-flag test set
SAFETY_SETS = {  # what staff can say a message was -> (test file, tier)
    "crisis": ("tests/crisis_emergencies.yml", "crisis"),
    "emergency": ("tests/red_flags.yml", "emergency"),
    "urgent": ("tests/red_flags.yml", "urgent"),
}


class CorrectionRefused(ValueError):
    """The correction would break the knowledge base or the tests; the message says why."""


def checked_words(text: str) -> str:
    words = " ".join((text or "").split())
    if not words:
        raise CorrectionRefused("there are no words to learn from")
    if len(words) > LONGEST:
        raise CorrectionRefused(f"the message is longer than {LONGEST} characters: add a shorter question by hand")
    if MASKED.search(words):
        raise CorrectionRefused("the message holds personal details (a name, phone or email): "
                                "add the question without them with `clinic faq add`")
    return words


def add_example(topic: str, text: str, root: Path = PROJECT_ROOT) -> Path:
    """Adds `text` to the examples of faq/`topic`; the file it went into."""
    words = checked_words(text)
    topics = faq_topics(root)
    if topic not in topics:
        raise CorrectionRefused(f"there is no topic faq/{topic}")
    owners = example_owners(root).get(normalise(words), set())
    if f"faq/{topic}" in owners:
        raise CorrectionRefused(f"faq/{topic} already has this example")
    if owners:
        raise CorrectionRefused(f"this example already belongs to {', '.join(sorted(owners))}")
    marker = f"- intent: faq/{topic}\n"
    path = next((p for p in sorted(topics[topic].files) if marker in p.read_text(encoding="utf-8")), None)
    if path is None:
        raise CorrectionRefused(f"faq/{topic} has no examples block to add to")
    before = path.read_text(encoding="utf-8")
    lines = before.splitlines(keepends=True)
    at = lines.index(marker) + 2  # the topic line, then "  examples: |"
    while at < len(lines) and lines[at].startswith("    - "):
        at += 1
    lines.insert(at, f"    - {words}\n")
    path.write_text("".join(lines), encoding="utf-8")
    if words not in faq_topics(root)[topic].examples:  # read back as Rasa will; never leave a broken file
        path.write_text(before, encoding="utf-8")
        raise CorrectionRefused(f"could not write the example into {path}")
    return path


def add_safety_phrasing(kind: str, text: str, root: Path = PROJECT_ROOT) -> Path:
    """Adds `text` to the safety test set as a `kind` ("crisis", "emergency", "urgent") to escalate."""
    if kind not in SAFETY_SETS:
        raise CorrectionRefused(f"'{kind}' is not one of {', '.join(SAFETY_SETS)}")
    words = checked_words(text)
    relative, tier = SAFETY_SETS[kind]
    path = root / relative
    before = path.read_text(encoding="utf-8")
    entries = yaml.safe_load(before).get(tier)
    known = entries if isinstance(entries, list) else [t for texts in (entries or {}).values() for t in texts]
    if normalise(words) in {normalise(str(t)) for t in known}:
        raise CorrectionRefused(f"the {tier} test set already has this phrasing")
    # A line added by hand, as a developer would: the file's comments and layout stay as they are.
    lines = before.splitlines(keepends=True)
    top = lines.index(f"{tier}:\n")
    end = next((i for i in range(top + 1, len(lines)) if re.match(r"[A-Za-z_]", lines[i])), len(lines))
    while end > top + 1 and not lines[end - 1].strip():
        end -= 1
    quoted = json.dumps(words, ensure_ascii=False)  # a double-quoted YAML scalar
    if isinstance(entries, list):
        lines.insert(end, f"- {quoted}\n")
    elif f"  {CONSOLE_KIND}:\n" in lines[top:end]:
        at = lines.index(f"  {CONSOLE_KIND}:\n", top) + 1
        while at < end and lines[at].startswith("    - "):
            at += 1
        lines.insert(at, f"    - {quoted}\n")
    else:
        lines[end:end] = [f"  {CONSOLE_KIND}:\n", f"    - {quoted}\n"]
    path.write_text("".join(lines), encoding="utf-8")
    written = yaml.safe_load(path.read_text(encoding="utf-8")).get(tier)
    flat = written if isinstance(written, list) else [t for texts in (written or {}).values() for t in texts]
    if words not in flat or len(flat) != len(known) + 1:
        path.write_text(before, encoding="utf-8")
        raise CorrectionRefused(f"could not write the phrasing into {path}")
    return path
