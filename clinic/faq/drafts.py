"""Draft FAQ topics for a person to review: from an article (`clinic faq import`)
or from the staff console's unanswered questions (`clinic faq from-unanswered`),
or one question at a time from a transcript ("new question" in the console).

Drafts go to data/faq/drafts/ with `draft: true` on their answer, so
`clinic faq check` (and with it `make train` and `make test`) refuses them until
a person has written the answer in plain words and removed the mark. The
console's go to drafts/, outside data/: a trainer's "new question" must not stop
the next "Train and load" of every other correction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from clinic import PROJECT_ROOT
from clinic.faq.author import nlu_block, response_block, write_topics
from clinic.faq.corrections import CorrectionRefused, checked_words
from clinic.faq.topics import FAQ_DIR, example_owners, faq_topics, normalise, owners_of
from clinic.faq.writing import WriteRefused, printable

CONSOLE_DRAFTS = Path("drafts")  # new questions from the staff console: outside data/, so never trained as they are
CONSOLE_DRAFTS_FILE = "new_questions"
DRAFTS_HEADER = (
    "# DRAFT topics: review every one (examples, answer, source), delete the\n"
    "# '# article:' notes, then run `clinic faq check`. Training refuses this\n"
    "# file while a `draft: true` is left.\n"
)
CONSOLE_DRAFTS_HEADER = (
    "# New questions staff marked in the console: no topic answers them yet. Training never\n"
    "# reads this folder. For each: write the answer from the article (or keep the clinic's\n"
    '# "ask us" answer), delete `draft: true`, and move the topic into data/faq/.\n'
)
DRAFT_ANSWER = "DRAFT: write 2 to 4 plain sentences from the source named below, then delete `draft: true`."
NUMBERED_QUESTION = re.compile(r"^\s*(?:FAQ\s*)?(\d+)[.):]\s+(.+?\?)\s*(.*)$", re.IGNORECASE)
MAX_HEADING_WORDS = 12


@dataclass
class DraftTopic:
    key: str
    source: str
    examples: list[str]
    notes: list[str] = field(default_factory=list)  # written as comments for the reviewer


class _HtmlBlocks(HTMLParser):
    """Splits HTML into (is_heading, text) blocks."""

    def __init__(self):
        super().__init__()
        self.blocks: list[tuple[bool, str]] = []
        self._text, self._heading, self._skip = [], False, 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "div", "br"):
            self._flush()
            self._heading = tag.startswith("h") and len(tag) == 2

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "div"):
            self._flush()

    def handle_data(self, data):
        if not self._skip:
            self._text.append(data)

    def _flush(self):
        text = " ".join("".join(self._text).split())
        if text:
            self.blocks.append((self._heading, text))
        self._text, self._heading = [], False


def article_blocks(path: Path) -> list[tuple[bool, str]]:
    """(is_heading, text) for each block of a plain-text, Markdown or HTML article."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".html", ".htm"):
        parser = _HtmlBlocks()
        parser.feed(raw)
        parser.close()
        return parser.blocks
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    if path.suffix.lower() in (".md", ".markdown"):
        return [(line.startswith("#"), line.lstrip("#").strip()) for line in lines]
    # Plain text: a short line without a final full stop, after a finished sentence and
    # before a longer line, is a heading (a list item follows another unfinished line).
    return [
        (is_heading(lines[i - 1] if i else ".", line, lines[i + 1] if i + 1 < len(lines) else ""), line)
        for i, line in enumerate(lines)
    ]


def is_heading(previous: str, line: str, following: str) -> bool:
    return (
        len(line.split()) <= MAX_HEADING_WORDS
        and not line.endswith((".", ",", ";", ":"))
        and previous[-1:] in ".!?"
        and len(following.split()) > len(line.split())
        and not NUMBERED_QUESTION.match(line)
    )


def slug(text: str) -> str:
    words = re.sub(r"[^a-z0-9 ]", " ", text.lower().replace("’", "").replace("'", "")).split()
    return "_".join(words[:8]) or "topic"


def as_question(heading: str) -> str:
    return " ".join(heading.rstrip("?:").split()).lower()


def draft_article(path: Path) -> list[DraftTopic]:
    """A draft topic per numbered FAQ question and per headed section of the article."""
    drafts = []
    blocks = article_blocks(path)
    for i, (heading, text) in enumerate(blocks):
        numbered = NUMBERED_QUESTION.match(text)
        if numbered:
            number, question, rest = numbered.groups()
            drafts.append(
                DraftTopic(
                    slug(question),
                    f"FAQ {number}: {question.strip()}",
                    [as_question(question)],
                    [f"article: {rest[:300]}"],
                )
            )
        elif heading:
            body = next((t for h, t in blocks[i + 1 : i + 2] if not h and not NUMBERED_QUESTION.match(t)), "")
            if body:
                drafts.append(DraftTopic(slug(text), text, [as_question(text)], [f"article: {body[:300]}"]))
    return drafts


def draft_unanswered(export: Path, root: Path = PROJECT_ROOT) -> list[DraftTopic]:
    """A draft topic per group of the console's export, with the existing topic it is closest to."""
    groups = [
        (
            block["intent"],
            [line[2:].strip() for line in block.get("examples", "").splitlines() if line.strip().startswith("- ")],
        )
        for block in (yaml.safe_load(export.read_text(encoding="utf-8")) or {}).get("nlu") or []
    ]
    owners = example_owners(root)
    drafts = []
    for intent, examples in groups:
        fresh = [e for e in examples if not owners.get(normalise(e))]
        if fresh:
            drafts.append(DraftTopic(intent.split("/", 1)[-1], "not in the article", fresh, closest_topic(fresh, root)))
    return drafts


def closest_topic(questions: list[str], root: Path = PROJECT_ROOT) -> list[str]:
    """A note naming the existing topic most like `questions`, for the reviewer (none if no topics)."""
    known = [(key, example) for key, topic in faq_topics(root).items() for example in topic.examples]
    if not known:
        return []
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit([e for _, e in known] + questions)
    scores = cosine_similarity(vectorizer.transform(questions), vectorizer.transform([e for _, e in known]))
    best = scores.max(axis=0).argmax()
    return [
        f"closest existing topic: faq/{known[best][0]} ('{known[best][1]}', "
        f"{scores.max(axis=0)[best]:.2f}); if it is the same question, add these examples there instead"
    ]


def write_drafts(
    drafts: list[DraftTopic],
    name: str,
    root: Path = PROJECT_ROOT,
    folder: Path = FAQ_DIR / "drafts",
    header: str = DRAFTS_HEADER,
) -> tuple[Path, list[str]]:
    """Writes the drafts whose key and examples are new; returns the file and what was skipped."""
    existing: dict[str, object] = {**faq_topics(root), **_drafted(root / folder)}  # topic keys, drafts' too
    owners = example_owners(root)
    kept, skipped, seen = [], [], set()
    for draft in drafts:
        covered = [e for e in draft.examples if owners.get(normalise(e))]
        if draft.key in existing or draft.key in seen:
            skipped.append(f"faq/{draft.key} exists already")
        elif covered:
            skipped.append(f"'{covered[0]}' is already asked in {', '.join(sorted(owners[normalise(covered[0])]))}")
        else:
            seen.add(draft.key)
            comments = "".join(f"  # {' '.join(printable(note).split())}\n" for note in draft.notes)
            kept.append(
                (
                    nlu_block(draft.key, draft.examples),
                    comments + response_block(draft.key, DRAFT_ANSWER, draft.source, draft=True),
                )
            )
    path = root / folder / f"{slug(name)}.yml"
    if kept:
        write_topics(path, kept, header)
    return path, skipped


def _drafted(folder: Path) -> dict[str, list[str]]:
    """Topic key -> examples of the drafts in `folder` (outside data/: faq_topics does not see them)."""
    drafted: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            examples = [
                line[2:].strip() for line in (block.get("examples") or "").splitlines() if line.strip().startswith("- ")
            ]
            drafted[block["intent"].split("/", 1)[-1]] = examples
    return drafted


def draft_new_question(text: str, root: Path = PROJECT_ROOT) -> Path:
    """A patient's question no topic answers, as a draft topic in drafts/ (which training never reads),
    for a developer to answer from the article; raises CorrectionRefused saying why not."""
    words = checked_words(text)
    owners = owners_of(text, example_owners(root))
    if owners:
        raise CorrectionRefused(
            f"this question is already an example of {', '.join(sorted(owners))}: choose that topic instead"
        )
    drafted = _drafted(root / CONSOLE_DRAFTS)
    if any(normalise(words) in map(normalise, examples) for examples in drafted.values()):
        raise CorrectionRefused("this question is already drafted, waiting for its answer")
    key, n = slug(words), 2
    while key in drafted or key in faq_topics(root):
        key, n = f"{slug(words)}_{n}", n + 1
    try:
        path, skipped = write_drafts(
            [DraftTopic(key, "not in the article yet", [words], closest_topic([words], root))],
            CONSOLE_DRAFTS_FILE,
            root,
            CONSOLE_DRAFTS,
            CONSOLE_DRAFTS_HEADER,
        )
    except WriteRefused as why:
        raise CorrectionRefused(str(why)) from None
    if skipped:
        raise CorrectionRefused(skipped[0])
    return path
