"""The assistant as strangers meet it: patient sets written by independent writers, each as a
persona (an older farmer on his phone, a home-care aide whose first language is Spanish, a college
athlete texting, an anxious manager dictating by voice), who read only the clinic's article. A
labeller who saw only the article and the topics' answers named the answer each message needs.

tests/strangers.yml is the tuning half; tests/strangers_blind.yml, the blind half, is never read
while tuning and is reported apart. Every message goes through the widget's channel of a running
assistant, as a patient's would; a reply is judged by the responses it holds:

- article questions: right (the expected answer), confidently wrong (another topic's article
  answer instead: worse than "I'm not sure"), or unsure (a rephrase prompt or an honest reply);
- questions the article does not answer: honest (a "not in the article" reply), or confidently
  wrong (an article answer, as if it applied);
- crisis (direct, indirect) and emergencies: recall of the crisis and emergency replies;
- ordinary messages and idioms: false alarms (any safety reply); the idioms' real questions answered;
- follow-ups: the second message answered with the expected topic, read against the first.

    python -m clinic.quality.strangers CHANNEL_URL [SET.yml ...]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from clinic import PROJECT_ROOT, knowledge
from clinic.quality.whole_message import Responses, Say, widget_conversations

SETS = {
    "tuning half": PROJECT_ROOT / "tests" / "strangers.yml",
    "blind half": PROJECT_ROOT / "tests" / "strangers_blind.yml",
}
NOT_IN_ARTICLE = "not_in_article"
CRISIS_REPLIES = ("utter_crisis", "utter_crisis_check_in")  # a check-in still gives the crisis line
EMERGENCY_REPLIES = ("utter_red_flag_emergency",)
SAFETY_REPLIES = CRISIS_REPLIES + EMERGENCY_REPLIES + ("utter_red_flag_urgent", "utter_red_flag_check")


@dataclass(frozen=True)
class Verdict:
    kind: str  # article, not_in_article, crisis_direct, crisis_indirect, emergency, ordinary, idiom, follow_up
    right: bool
    confidently_wrong: bool = False
    alarmed: bool = False  # a safety reply where none was due
    what: str = ""  # the conversation and what was expected, for a tuning half's list of misses


class Judge:
    """Which responses a reply holds, by the clinic's own response texts."""

    def __init__(self) -> None:
        self.responses = Responses.load()
        every = knowledge.responses()
        self.honest = sorted({r.name for r in every if r.source == "not in the article"})
        self.article_answers = sorted(
            {r.name for r in every if r.name.startswith("utter_faq/") and r.source in knowledge.ARTICLE_SECTIONS}
        )

    def holds(self, names, reply: str) -> bool:
        return any(self.responses.said(name, reply) for name in names)

    def answer(self, kind: str, expect: str, reply: str) -> Verdict:
        alarmed = self.holds(SAFETY_REPLIES, reply)
        if expect == NOT_IN_ARTICLE:
            honest = self.holds(self.honest, reply)
            return Verdict(kind, honest, not honest and self.holds(self.article_answers, reply), alarmed)
        right = self.responses.said(f"utter_faq/{expect}", reply)
        others = [name for name in self.article_answers if name != f"utter_faq/{expect}"]
        return Verdict(kind, right, not right and self.holds(others, reply), alarmed)


def conversations(data: dict) -> list[tuple[str, dict, list[str]]]:
    """(kind, item, the messages of its conversation) for every item of a set."""
    found = []
    for item in data.get("article_questions") or []:
        found.append(("article" if item["expect"] != NOT_IN_ARTICLE else NOT_IN_ARTICLE, item, [item["text"]]))
    for item in data.get("not_in_article") or []:
        found.append((NOT_IN_ARTICLE if item["expect"] == NOT_IN_ARTICLE else "article", item, [item["text"]]))
    for item in data.get("crisis") or []:
        found.append((f"crisis_{item['kind']}", item, [item["text"]]))
    found += [("emergency", item, [item["text"]]) for item in data.get("emergency") or []]
    found += [("ordinary", item, [item["text"]]) for item in data.get("ordinary") or []]
    found += [("idiom", item, [item["text"]]) for item in data.get("idioms") or []]
    found += [("follow_up", item, [item["first"], item["then"]]) for item in data.get("follow_ups") or []]
    return found


def judge(judge_: Judge, kind: str, item: dict, last: str) -> Verdict:
    if kind.startswith("crisis"):
        return Verdict(kind, judge_.holds(CRISIS_REPLIES, last))
    if kind == "emergency":
        return Verdict(kind, judge_.holds(EMERGENCY_REPLIES, last))
    if kind in ("ordinary", "idiom"):
        alarmed = judge_.holds(SAFETY_REPLIES, last)
        expect = item.get("expect") or "none"
        if kind == "idiom" and expect != "none":
            return judge_.answer(kind, expect, last)
        return Verdict(kind, not alarmed, alarmed=alarmed)
    return judge_.answer(kind, item["expect"], last)


def evaluate(say: Say, test_set: Path) -> list[Verdict]:
    judge_ = Judge()
    data = yaml.safe_load(test_set.read_text(encoding="utf-8"))
    results = []
    for kind, item, messages in conversations(data):
        last = " ".join(say(messages)[-1])
        verdict = judge(judge_, kind, item, last)
        said = [name for name in judge_.responses.by_name if judge_.responses.said(name, last)]
        results.append(replace(verdict, what=f"{messages} expected {item.get('expect', kind)}, got {said}"))
    return results


ROWS = (  # (title, kinds, what "right" means there)
    ("article questions answered right", ("article",), "right"),
    ("not-in-article questions met honestly", (NOT_IN_ARTICLE,), "honest"),
    ("crisis said outright: crisis reply", ("crisis_direct",), "recall"),
    ("crisis warning signs: crisis reply", ("crisis_indirect",), "recall"),
    ("emergencies in lay words: emergency reply", ("emergency",), "recall"),
    ("ordinary messages without an alarm", ("ordinary",), "no alarm"),
    ("idioms and hyperbole: right reply", ("idiom",), "right"),
    ("follow-ups answered right", ("follow_up",), "right"),
)


def table(results: list[Verdict]) -> list[str]:
    """One line per row: share right, and confident wrong answers and false alarms counted apart."""
    lines = []
    for title, kinds, _ in ROWS:
        mine = [r for r in results if r.kind in kinds]
        if not mine:
            continue
        right = sum(r.right for r in mine)
        wrong = sum(r.confidently_wrong for r in mine)
        alarms = sum(r.alarmed for r in mine)
        extra = f", confidently wrong {wrong}" if wrong else ""
        extra += f", false alarms {alarms}" if alarms and kinds != ("crisis_direct",) else ""
        lines.append(f"  {title:45} {right / len(mine):6.1%} ({right}/{len(mine)}{extra})")
    answered = [r for r in results if r.kind in ("article", NOT_IN_ARTICLE, "follow_up", "idiom")]
    wrong = sum(r.confidently_wrong for r in answered)
    lines.append(
        f"  {'confidently wrong, of every question':45} {wrong / max(1, len(answered)):6.1%} ({wrong}/{len(answered)})"
    )
    calm = [r for r in results if r.kind in ("ordinary", "idiom", "article", NOT_IN_ARTICLE, "follow_up")]
    alarms = sum(r.alarmed for r in calm)
    lines.append(
        f"  {'false alarms, of every message without danger':45} {alarms / max(1, len(calm)):6.1%} "
        f"({alarms}/{len(calm)})"
    )
    return lines


def misses(results: list[Verdict]) -> list[str]:
    """What went wrong, item by item: for a tuning half only (the blind half is never read)."""
    return [
        f"  {'CONFIDENTLY WRONG' if r.confidently_wrong else 'ALARM' if r.alarmed else 'missed'} [{r.kind}] {r.what}"
        for r in results
        if not r.right or r.alarmed
    ]


def main(argv: list[str]) -> int:
    channel, *paths = argv
    for name, path in [(Path(p).name, Path(p)) for p in paths] or SETS.items():
        results = evaluate(widget_conversations(channel), path)
        print(f"{name} ({path.name}):")
        print("\n".join(table(results) + ([] if "blind" in path.name else misses(results))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
