"""Finds crisis language and red-flag symptoms in a patient's message.

Rules, not a trained model, so that a crisis or an emergency is caught however
the classifier feels about the message. Word lists and flags are data
(red_flags.yml); this module matches them on spaCy lemmas within a clause and
drops matches that are negated ("no bladder problems", "my legs aren't numb").
Text is lower-cased and stripped of accents first, so "quiero morir" and
"me desmayé" are matched as typed, with or without accents.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import yaml
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.pipeline import Lemmatizer
from spacy.tokens import Doc, Span

from clinic.nlp.tiers import TIERS

RULES_FILE = Path(__file__).with_name("red_flags.yml")

# Negation cues before a symptom ("no numbness", "never lost control")...
NEGATION_BEFORE = {"no", "not", "n't", "n’t", "nt", "never", "without", "none", "nor", "neither", "deny", "denies"}
# ...and inside it ("my legs are not numb"). "without" stays out: in "can't
# walk without my legs giving way" it does not deny the symptom.
NEGATION_INSIDE = {"no", "not", "n't", "n’t", "nt", "never"}
NOT_NEGATIONS = {("no", "longer"), ("not", "only")}  # "I no longer have control"
NEGATION_WINDOW = 5
# Clause boundaries: a negation does not reach across them.
BOUNDARY_WORDS = {"but", "however", "although", "though", "except", "yet", "whereas", "while"}
BOUNDARY_PUNCT = {".", "!", "?", ";", ":"}
# "and"/"," start a new clause when a new subject follows ("no fever, and my legs...").
NEW_SUBJECT = {
    "i",
    "my",
    "me",
    "it",
    "its",
    "the",
    "they",
    "we",
    "he",
    "she",
    "now",
    "then",
    "also",
    "suddenly",
    "this",
    "that",
    "there",
    "today",
    "yesterday",
    "yo",
    "mi",
    "se",
    "ya",
    "que",
    "esta",
}  # the same in Spanish

WORD = re.compile(r"[a-z0-9']+")
AGE = re.compile(r"\b(?:i'?m|i am|aged?|age of)\s+(\d{2,3})\b|\b(\d{2,3})\s*(?:years? old|yrs? old|y/?o)\b")
AGE_WORDS = re.compile(
    r"\b(?:in my|over)\s+(fifties|sixties|seventies|eighties|nineties|50|60|70|80|fifty|sixty|seventy|eighty)\b"
)
FIRST_EPISODE = re.compile(
    r"\b(first time|first ever|never had|never before|first episode|first bout|first attack|new to me"
    r"|not had .{0,20}before)\b"
)


@dataclass(frozen=True)
class RedFlag:
    flag: str  # e.g. "bladder_bowel_control"
    tier: str  # "crisis", "emergency" or "urgent"
    label: str  # what staff read
    evidence: str  # the words that raised it
    language: str = "en"  # the language of the rule that matched: the reply's language

    def as_dict(self) -> dict:
        return {
            "flag": self.flag,
            "tier": self.tier,
            "label": self.label,
            "evidence": self.evidence,
            "language": self.language,
        }


@dataclass(frozen=True)
class Findings:
    flags: tuple[RedFlag, ...]
    negated: tuple[str, ...]  # flags whose words were there, but denied

    @property
    def tier(self) -> str | None:
        tiers = {flag.tier for flag in self.flags}
        return next((tier for tier in TIERS if tier in tiers), None)


def load_rules(path: Path = RULES_FILE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def normalise(text: str) -> str:
    """Lower case without accents: "Me desmayé" -> "me desmaye"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class RedFlagDetector:
    """Matches the rules against a patient's message (read) or a prepared spaCy doc (find)."""

    def __init__(self, nlp: Language, rules: dict | None = None) -> None:
        self.nlp = nlp
        self.rules = rules or load_rules()
        self.spellings = {typo: fix for fix, typos in (self.rules.get("spellings") or {}).items() for typo in typos}
        lemmatizer = cast(Lemmatizer, nlp.get_pipe("lemmatizer"))  # get_pipe is typed as any Pipe
        self.known_words = lemmatizer.lookups.get_table("lemma_lookup")
        self.phrases = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.exact = Matcher(nlp.vocab)
        with nlp.select_pipes(enable=[name for name in nlp.pipe_names if name == "lemmatizer"]):
            for concept, words in self.rules["concepts"].items():
                lemma_phrases = [w.lower() for w in words if not w.startswith("=")]
                # Phones type "can’t": lemmatised unlike "can't", so match both.
                lemma_phrases += [w.replace("'", "’") for w in lemma_phrases if "'" in w]
                self.phrases.add(concept, list(nlp.pipe(lemma_phrases)))
                exact = [[{"LOWER": t} for t in w[1:].lower().split()] for w in words if w.startswith("=")]
                if exact:
                    self.exact.add(concept, exact)

    def read(self, text: str) -> Findings:
        """The findings for a patient's message, as typed."""
        return self.find(self.nlp(self.prepare(text)))

    def prepare(self, text: str) -> str:
        """Lower case, no accents, chat spellings fixed ("i wnat 2 die" -> "i want to die")."""
        return WORD.sub(self._respell, normalise(text))

    def _respell(self, match: re.Match) -> str:
        word = match.group(0)
        if word in self.spellings:
            return self.spellings[word]
        if len(word) > 4 and word.endswith("in") and word + "g" in self.known_words:
            return word + "g"
        return word

    def find(self, doc: Doc) -> Findings:
        flags, negated = [], []
        # Most rules look inside one clause; `scope: message` rules look at the
        # whole message ("I've saved my pills, I'll take them all this weekend").
        clauses = _clauses(doc)
        clause_starts = [clause.start for clause in clauses]
        scopes = [(clause, "clause") for clause in clauses] + [(doc[:], "message")]
        for clause, scope in scopes:
            concepts = self._concepts(clause)
            for name, rule in self.rules["flags"].items():
                if rule.get("scope", "clause") != scope:
                    continue
                found = self._first_affirmed(doc, clause, clause_starts, concepts, rule)
                if found is None:
                    continue
                if found:
                    evidence = " / ".join(s.text for s in found)
                    flags.append(RedFlag(name, rule["tier"], rule["label"], evidence, rule.get("language", "en")))
                else:
                    negated.append(name)
        if _first_episode_over_50(doc.text.lower()):
            rule = self.rules["flags"]["first_episode_over_50"]
            flags.append(RedFlag("first_episode_over_50", rule["tier"], rule["label"], "age and first episode"))
        unique = {flag.flag: flag for flag in flags}
        return Findings(tuple(unique.values()), tuple(sorted(set(negated) - set(unique))))

    def _first_affirmed(
        self, doc: Doc, clause: Span, clause_starts: list[int], concepts: dict[str, list[Span]], rule: dict
    ) -> tuple[Span, ...] | None:
        """The first un-negated match of the rule; () when every match was negated; None when none."""
        seen = False
        excluded = {
            i for c in rule.get("unless", ()) for span in concepts.get(c, ()) for i in range(span.start, span.end)
        }
        for needed in rule["when"]:
            for spans in _candidates(concepts, needed, rule.get("near")):
                if any(i in excluded for span in spans for i in range(span.start, span.end)):
                    continue  # "suicide sprints", "a cortisone shot"
                seen = True
                start, end = min(s.start for s in spans), max(s.end for s in spans)
                own_words = {i for s in spans for i in range(s.start, s.end)}
                reach = rule.get("negation_window", NEGATION_WINDOW)
                # A negation never reaches back over a clause boundary, even for rules that read the whole message.
                since = max([clause.start, *(c for c in clause_starts if c <= start)])
                if not (_negated(doc, since, start, end, own_words, reach) or _planned(doc, clause, start, rule)):
                    return spans
        return () if seen else None

    def _concepts(self, clause: Span) -> dict[str, list[Span]]:
        found: dict[str, list[Span]] = {}
        doc = clause.doc
        # Matchers called on a Span return offsets into the whole Doc.
        for match_id, start, end in [*self.phrases(clause), *self.exact(clause)]:
            found.setdefault(doc.vocab.strings[match_id], []).append(doc[start:end])
        return found


def _candidates(concepts: dict[str, list[Span]], needed: list[str], near: int | None) -> list[tuple[Span, ...]]:
    """Every way the needed concepts occur; with `near`, in the order listed and
    at most `near` words apart ("hurt my kids", not "my boss will hurt... my back")."""
    if not all(c in concepts for c in needed):
        return []
    combos = itertools.product(*(concepts[c] for c in needed))
    if near is None:
        return list(combos)
    return [
        spans
        for spans in combos
        if all(0 <= later.start - earlier.end <= near for earlier, later in zip(spans, spans[1:]))
    ]


def _clauses(doc: Doc) -> list[Span]:
    clauses, start = [], 0
    for token in doc:
        following = doc[token.i + 1].lower_ if token.i + 1 < len(doc) else ""
        boundary = (
            token.lower_ in BOUNDARY_PUNCT
            or token.lower_ in BOUNDARY_WORDS
            or (token.lower_ in {"and", ","} and following in NEW_SUBJECT)
        )
        if boundary:
            if token.i > start:
                clauses.append(doc[start : token.i])
            start = token.i + 1
    if start < len(doc):
        clauses.append(doc[start:])
    return clauses


def _is_cue(doc: Doc, i: int, cues: set[str]) -> bool:
    token = doc[i]
    if token.lower_ not in cues and token.lemma_ not in cues:
        return False
    following = doc[i + 1].lower_ if i + 1 < len(doc) else ""
    return (token.lower_, following) not in NOT_NEGATIONS


def _negated(
    doc: Doc, since: int, start: int, end: int, concept_tokens: set[int], reach: int = NEGATION_WINDOW
) -> bool:
    window = range(max(since, start - reach), start)
    if any(_is_cue(doc, i, NEGATION_BEFORE) for i in window):
        return True
    inside = (i for i in range(start, end) if i not in concept_tokens)
    return any(_is_cue(doc, i, NEGATION_INSIDE) for i in inside)


def _planned(doc: Doc, clause: Span, start: int, rule: dict) -> bool:
    """ "I want to lose weight": an intention, not a symptom."""
    cues = set(rule.get("not_after", ()))
    return bool(cues) and any(
        doc[i].lemma_ in cues or doc[i].lower_ in cues for i in range(max(clause.start, start - NEGATION_WINDOW), start)
    )


def _first_episode_over_50(text: str) -> bool:
    if not FIRST_EPISODE.search(text):
        return False
    ages = [int(a) for match in AGE.finditer(text) for a in match.groups() if a]
    return any(50 <= age <= 120 for age in ages) or bool(AGE_WORDS.search(text))
