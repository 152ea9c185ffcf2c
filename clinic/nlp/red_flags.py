"""Finds red-flag symptoms in a patient's message.

Rules, not a trained model, so that an emergency is caught however the
classifier feels about the message. Word lists and flags are data
(red_flags.yml); this module matches them on spaCy lemmas within a clause and
drops matches that are negated ("no bladder problems", "my legs aren't numb").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

RULES_FILE = Path(__file__).with_name("red_flags.yml")
TIERS = ("emergency", "urgent")  # most serious first

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
NEW_SUBJECT = {"i", "my", "me", "it", "its", "the", "they", "we", "he", "she", "now", "then",
               "also", "suddenly", "this", "that", "there", "today", "yesterday"}

AGE = re.compile(
    r"\b(?:i'?m|i am|aged?|age of)\s+(\d{2,3})\b|\b(\d{2,3})\s*(?:years? old|yrs? old|y/?o)\b"
)
AGE_WORDS = re.compile(r"\b(?:in my|over)\s+(fifties|sixties|seventies|eighties|nineties|50|60|70|80|fifty|sixty|seventy|eighty)\b")
FIRST_EPISODE = re.compile(
    r"\b(first time|first ever|never had|never before|first episode|first bout|first attack|new to me|not had .{0,20}before)\b"
)


@dataclass(frozen=True)
class RedFlag:
    flag: str  # e.g. "bladder_bowel_control"
    tier: str  # "emergency" or "urgent"
    label: str  # what staff read
    evidence: str  # the words that raised it

    def as_dict(self) -> dict:
        return {"flag": self.flag, "tier": self.tier, "label": self.label, "evidence": self.evidence}


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


class RedFlagDetector:
    """Matches the red-flag rules against spaCy docs of lower-cased text."""

    def __init__(self, nlp: Language, rules: dict | None = None) -> None:
        self.rules = rules or load_rules()
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

    def find(self, doc: Doc) -> Findings:
        flags, negated = [], []
        for clause in _clauses(doc):
            concepts = self._concepts(clause)
            concept_tokens = {i for spans in concepts.values() for s in spans for i in range(s.start, s.end)}
            for name, rule in self.rules["flags"].items():
                for needed in rule["when"]:
                    if not all(c in concepts for c in needed):
                        continue
                    spans = [concepts[c][0] for c in needed]
                    start, end = min(s.start for s in spans), max(s.end for s in spans)
                    if _negated(doc, clause, start, end, concept_tokens) or _planned(doc, clause, start, rule):
                        negated.append(name)
                        continue
                    evidence = " / ".join(s.text for s in spans)
                    flags.append(RedFlag(name, rule["tier"], rule["label"], evidence))
                    break
        if _first_episode_over_50(doc.text.lower()):
            rule = self.rules["flags"]["first_episode_over_50"]
            flags.append(RedFlag("first_episode_over_50", rule["tier"], rule["label"], "age and first episode"))
        unique = {flag.flag: flag for flag in flags}
        return Findings(tuple(unique.values()), tuple(sorted(set(negated) - set(unique))))

    def _concepts(self, clause: Span) -> dict[str, list[Span]]:
        found: dict[str, list[Span]] = {}
        doc = clause.doc
        # Matchers called on a Span return offsets into the whole Doc.
        for match_id, start, end in [*self.phrases(clause), *self.exact(clause)]:
            found.setdefault(doc.vocab.strings[match_id], []).append(doc[start:end])
        return found


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


def _negated(doc: Doc, clause: Span, start: int, end: int, concept_tokens: set[int]) -> bool:
    window = range(max(clause.start, start - NEGATION_WINDOW), start)
    if any(_is_cue(doc, i, NEGATION_BEFORE) for i in window):
        return True
    inside = (i for i in range(start, end) if i not in concept_tokens)
    return any(_is_cue(doc, i, NEGATION_INSIDE) for i in inside)


def _planned(doc: Doc, clause: Span, start: int, rule: dict) -> bool:
    """ "I want to lose weight": an intention, not a symptom."""
    cues = set(rule.get("not_after", ()))
    return bool(cues) and any(doc[i].lemma_ in cues or doc[i].lower_ in cues
                              for i in range(max(clause.start, start - NEGATION_WINDOW), start))


def _first_episode_over_50(text: str) -> bool:
    if not FIRST_EPISODE.search(text):
        return False
    ages = [int(a) for match in AGE.finditer(text) for a in match.groups() if a]
    return any(50 <= age <= 120 for age in ages) or bool(AGE_WORDS.search(text))


