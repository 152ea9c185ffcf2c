"""`clinic faq check`: is every FAQ topic ready to train and to show patients?

Problems (exit status 1): a file Rasa's reader refuses, too few examples, no answer, an answer that breaks the
rules (clinic.faq.rules), an unreviewed draft, an example shared by two intents.
Warnings: near-identical examples in two topics, the likely confusions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from clinic import PROJECT_ROOT, knowledge
from clinic.faq.rules import MIN_EXAMPLES, answer_problems
from clinic.faq.topics import example_owners, faq_topics
from clinic.faq.writing import read_training_data, reason

NEAR_DUPLICATE = 0.9  # cosine of character n-grams: the same words give or take a typo


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    topics: int = 0  # how many were checked
    confusions: list[tuple[str, str, str, str, float]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(root: Path = PROJECT_ROOT) -> Report:
    report = Report(problems=unreadable_files(root))
    if report.problems:  # nothing more can be read until these are mended
        return report
    topics = faq_topics(root)
    report.topics = len(topics)
    for key, topic in sorted(topics.items()):
        if len(topic.examples) < MIN_EXAMPLES:
            report.problems.append(f"faq/{key}: {len(topic.examples)} examples (at least {MIN_EXAMPLES})")
        if not topic.answers:
            report.problems.append(f"faq/{key}: has no answer (utter_faq/{key})")
        for answer in topic.answers:
            report.problems += answer_problems(answer)
    for response in knowledge.responses(root):
        if not response.name.startswith("utter_faq/"):
            report.problems += answer_problems(response)
    for example, intents in sorted(example_owners(root).items()):
        if len(intents) > 1:
            report.problems.append(f"'{example}' is an example of {' and '.join(sorted(intents))}")
    report.confusions = near_duplicates({k: t.examples for k, t in topics.items()})
    return report


def unreadable_files(root: Path) -> list[str]:
    """A problem for each training data file Rasa's own reader refuses (as `rasa train` would)."""
    problems = []
    for path in sorted((root / "data").rglob("*.yml")):
        try:
            read_training_data(path)
        except Exception as error:  # whatever the reader raises, training would stop on it
            problems.append(f"{path.relative_to(root)} cannot be read: {reason(error)}")
    return problems


def near_duplicates(examples_by_topic: dict[str, list[str]]) -> list[tuple[str, str, str, str, float]]:
    """(topic, example, other topic, other example, similarity) for examples that look alike across topics."""
    rows = [(topic, example) for topic, examples in examples_by_topic.items() for example in examples]
    if len(rows) < 2:
        return []
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform([e.lower() for _, e in rows])
    similarity = cosine_similarity(vectors)
    found = []
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            if rows[i][0] != rows[j][0] and similarity[i, j] >= NEAR_DUPLICATE:
                found.append((*rows[i], *rows[j], float(similarity[i, j])))
    return found


def print_report(report: Report) -> None:
    for a, example_a, b, example_b, score in report.confusions:
        print(f"warning: likely confusion ({score:.2f}): faq/{a} '{example_a}' ~ faq/{b} '{example_b}'")
    for problem in report.problems:
        print(f"problem: {problem}")
    verdict = "OK" if report.ok else f"{len(report.problems)} problem(s)"
    print(f"{report.topics} FAQ topics checked: {verdict}, {len(report.confusions)} likely confusion(s)")
