"""The one door for every write into the knowledge base and its tests.

Console teaching, "a new question", "Save as a test", `clinic faq add` and
`clinic faq import` all write through here, because a patient's words end up in
files that Rasa must read at the next start: one unreadable character there and
the assistant, safety net included, would not train. So:

- text is `cleaned`: YAML's printable characters only, on one line, and Rasa's
  entity markup ("[words](label)", "[words]{...}") broken up so that Rasa reads
  it as the patient's words, not as a label (`escape_markup`);
- values are written `quoted` (double-quoted YAML), so Rasa never expands a
  "${VAR}" the patient typed;
- a file is written to a temporary path beside it, read back with the reader
  that will read it for real (Rasa's, for training data and test stories), and
  only then renamed into place: on any error the original stays byte for byte.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from pathlib import Path
from typing import Callable

import yaml

# Rasa reads "[text](entity)", "[text]{json}" and "[text][{json}, ...]" as an
# annotated entity; a space after the "]" leaves the same words, unannotated.
MARKUP = re.compile(r"\]\s*(?=[(\[{])")
KEPT_CONTROLS = {"\t", "\n", "\r"}  # the only control characters YAML prints; spaces to us anyway


class WriteRefused(ValueError):
    """The write would break the knowledge base or its tests; the message says why, nothing was changed."""


def printable(text: str) -> str:
    """`text` without what YAML cannot hold or a reader cannot see: controls, format characters
    (zero-width, direction overrides), surrogates, private-use and unassigned code points."""
    return "".join(" " if ch in KEPT_CONTROLS or unicodedata.category(ch).startswith("C") else ch for ch in text or "")


def escape_markup(text: str) -> str:
    return MARKUP.sub("] ", text)


def has_markup(text: str) -> bool:
    """Whether Rasa would read part of `text` as entity markup."""
    return escape_markup(text) != text


def cleaned(text: str) -> str:
    """The words as they may be stored: printable, on one line, single-spaced, without entity markup."""
    words = " ".join(escape_markup(printable(text)).split())
    if plain_text(words) != words:  # what markup the escape could not break is refused, never trained
        raise WriteRefused(
            "the message holds markup the assistant would read as labels ([…](…)); add it by hand without the brackets"
        )
    return words


def readings(text: str) -> set[str]:
    """Every way the text could be read as an example: as stored (`cleaned`), and as Rasa would have read
    the patient's raw markup. A duplicate of another topic's example under any reading is one: "[its
    words](x)" must not slip another topic's example in."""
    found = {cleaned(text)}
    try:
        found.add(" ".join(plain_text(printable(text)).split()))
    except ValueError:  # markup Rasa itself refuses: no second reading
        pass
    return found


def plain_text(example: str) -> str:
    """The text Rasa trains for an example: its entity markup replaced by the marked words."""
    from rasa.shared.nlu.training_data.entities_parser import replace_entities  # Rasa's own parsing

    return replace_entities(example)


def quoted(value: str) -> str:
    """`value` as a double-quoted YAML scalar on one line (nothing in it is expanded or escaped away)."""
    return yaml.safe_dump(str(value), default_style='"', allow_unicode=True, width=1 << 20).rstrip("\n")


class Quoted(str):
    """A string `yaml.safe_dump` writes double-quoted (see `dump_quoted`)."""


class _QuotingDumper(yaml.SafeDumper):
    pass


_QuotingDumper.add_representer(
    Quoted, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')
)


def dump_quoted(data) -> str:
    """`data` as block YAML with every string value double-quoted (keys stay plain, for the reader)."""

    def quote(node):
        if isinstance(node, dict):
            return {key: quote(value) for key, value in node.items()}
        if isinstance(node, list):
            return [quote(value) for value in node]
        return Quoted(node) if isinstance(node, str) else node

    return yaml.dump(quote(data), Dumper=_QuotingDumper, sort_keys=False, allow_unicode=True, width=1 << 20)


def replace_file(path: Path, text: str, read_back: Callable[[Path], None]) -> None:
    """Puts `text` at `path` only once `read_back(temporary copy)` has read it without error.

    `read_back` raises (anything) when the file is not what it should be. An OSError
    writing the file (a read-only server) is left to the caller to explain."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.writing")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        temporary.write_text(text, encoding="utf-8")
        if path.exists():
            shutil.copymode(path, temporary)
        try:
            read_back(temporary)
        except WriteRefused:
            raise
        except Exception as error:  # any reader's complaint: a file that would not load
            raise WriteRefused(f"{path.name} would not read back ({reason(error)}); nothing was changed") from None
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def reason(error: Exception) -> str:
    return " ".join(str(error).split())[:200] or type(error).__name__


def read_training_data(path: Path):
    """Rasa's own reading of an NLU/responses file (what `rasa train` and `rasa data validate` do)."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    data = RasaYAMLReader().read(path)
    yaml.safe_load(path.read_text(encoding="utf-8"))  # and the clinic's own tools' reading
    return data


def trained_examples(path: Path, intent: str) -> list[str]:
    """The texts Rasa would train for `intent` ("faq/does_it_hurt" or "greet") from `path`."""
    return [
        m.get("text")
        for m in read_training_data(path).training_examples
        if (m.get("intent_response_key") or m.get("intent")) == intent
    ]


def read_test_stories(path: Path) -> None:
    """Rasa's own reading of a test story file (what `rasa test core --e2e` does)."""
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    YAMLStoryReader().read_from_file(path)


def read_yaml(path: Path) -> dict:
    """A plain YAML file (the safety test sets) as the quality gates read it."""
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
