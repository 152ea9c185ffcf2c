"""Corrections from the staff console: a patient's words as a new training example of the
topic that should have answered them, or as a phrasing the safety net must escalate.

The same checks as `clinic faq add`: the words must be new to the knowledge base
(an example owned by another intent is refused, naming it), hold no personal
details (masked words are refused), and the file must read back. Safety
phrasings go to the tests, never to training data: the test set is what the
safety net is held to, and a developer decides how the net learns it.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from clinic import PROJECT_ROOT
from clinic.faq.topics import example_owners, faq_topics, normalise, owners_of
from clinic.faq.writing import (
    WriteRefused,
    cleaned,
    quoted,
    read_yaml,
    readings,
    reason,
    replace_file,
    trained_examples,
)
from clinic.nlp.intent_classifier import ANSWERS_ONLY

MASKED = re.compile(r"\[(name|phone|email)\]")
LONGEST = 300
CONSOLE_KIND = "from_the_console"  # where staff-reported phrasings sit in the red-flag test set
SAFETY_SETS = {  # what staff can say a message was -> (test file, tier)
    "crisis": ("tests/crisis_emergencies.yml", "crisis"),
    "emergency": ("tests/red_flags.yml", "emergency"),
    "urgent": ("tests/red_flags.yml", "urgent"),
}


class CorrectionRefused(WriteRefused):
    """The correction would break the knowledge base or the tests; the message says why."""


def checked_words(text: str) -> str:
    """The patient's words as they may be stored (`writing.cleaned`), or CorrectionRefused saying why not."""
    try:
        words = cleaned(text)
    except WriteRefused as why:
        raise CorrectionRefused(str(why)) from None
    if not words:
        raise CorrectionRefused("there are no words to learn from")
    if len(words) > LONGEST:
        raise CorrectionRefused(f"the message is longer than {LONGEST} characters: add a shorter question by hand")
    if MASKED.search(words):
        raise CorrectionRefused(
            "the message holds personal details (a name, phone or email): "
            "add the question without them with `clinic faq add`"
        )
    return words


def readable_topics(root: Path) -> dict:
    """The FAQ topics, or CorrectionRefused when a knowledge-base file cannot be read (mended by hand)."""
    try:
        return faq_topics(root)
    except (yaml.YAMLError, UnicodeError) as error:
        raise CorrectionRefused(
            f"the knowledge base cannot be read just now ({reason(error)}); "
            "a developer must mend it before more is taught"
        ) from None


def write_checked(path: Path, text: str, read_back) -> None:
    """`writing.replace_file`, its refusal as a CorrectionRefused."""
    try:
        replace_file(path, text, read_back)
    except WriteRefused as why:
        raise CorrectionRefused(str(why)) from None


def add_example(topic: str, text: str, root: Path = PROJECT_ROOT) -> Path:
    """Adds `text` to the examples of faq/`topic`; the file it went into."""
    words = checked_words(text)
    topics = readable_topics(root)
    if topic not in topics:
        raise CorrectionRefused(f"there is no topic faq/{topic}")
    owners = owners_of(text, example_owners(root))
    if f"faq/{topic}" in owners:
        raise CorrectionRefused(f"faq/{topic} already has this example")
    if owners:
        raise CorrectionRefused(f"this example already belongs to {', '.join(sorted(owners))}")
    marker = f"- intent: faq/{topic}\n"
    # The topic's own block, never the persona writers' phrasings (answers_only: for the answer selector alone).
    path = next(
        (
            p
            for p in sorted(topics[topic].files)
            if marker in p.read_text(encoding="utf-8") and ANSWERS_ONLY not in p.read_text(encoding="utf-8")
        ),
        None,
    )
    if path is None:
        raise CorrectionRefused(f"faq/{topic} has no examples block to add to")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = lines.index(marker) + 2  # the topic line, then "  examples: |"
    while at < len(lines) and lines[at].startswith("    - "):
        at += 1
    lines.insert(at, f"    - {words}\n")

    def read_back(written: Path) -> None:
        if words not in trained_examples(written, f"faq/{topic}"):
            raise CorrectionRefused(f"could not write the example into {path.name}; nothing was changed")

    write_checked(path, "".join(lines), read_back)
    return path


def phrasings_of(entries) -> list:
    """A tier's phrasings: a list, or lists by kind."""
    return entries if isinstance(entries, list) else [t for texts in (entries or {}).values() for t in texts]


def add_safety_phrasing(kind: str, text: str, root: Path = PROJECT_ROOT) -> Path:
    """Adds `text` to the safety test set as a `kind` ("crisis", "emergency", "urgent") to escalate."""
    if kind not in SAFETY_SETS:
        raise CorrectionRefused(f"'{kind}' is not one of {', '.join(SAFETY_SETS)}")
    words = checked_words(text)
    relative, tier = SAFETY_SETS[kind]
    path = root / relative
    before = path.read_text(encoding="utf-8")
    entries = yaml.safe_load(before).get(tier)
    known = phrasings_of(entries)
    if {normalise(r) for r in readings(text)} & {normalise(str(t)) for t in known}:
        raise CorrectionRefused(f"the {tier} test set already has this phrasing")
    # A line added by hand, as a developer would: the file's comments and layout stay as they are.
    lines = before.splitlines(keepends=True)
    top = lines.index(f"{tier}:\n")
    end = next((i for i in range(top + 1, len(lines)) if re.match(r"[A-Za-z_]", lines[i])), len(lines))
    while end > top + 1 and not lines[end - 1].strip():
        end -= 1
    if isinstance(entries, list):
        lines.insert(end, f"- {quoted(words)}\n")
    elif f"  {CONSOLE_KIND}:\n" in lines[top:end]:
        at = lines.index(f"  {CONSOLE_KIND}:\n", top) + 1
        while at < end and lines[at].startswith("    - "):
            at += 1
        lines.insert(at, f"    - {quoted(words)}\n")
    else:
        lines[end:end] = [f"  {CONSOLE_KIND}:\n", f"    - {quoted(words)}\n"]

    def read_back(written_path: Path) -> None:
        flat = phrasings_of(read_yaml(written_path).get(tier))
        if words not in flat or len(flat) != len(known) + 1:
            raise CorrectionRefused(f"could not write the phrasing into {path.name}; nothing was changed")

    write_checked(path, "".join(lines), read_back)
    return path
