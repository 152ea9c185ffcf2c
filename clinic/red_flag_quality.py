"""Gates the red-flag safety net through the whole trained assistant.

Parses every phrasing of tests/red_flags.yml and every ordinary patient
phrasing (training and held-out examples of the other intents) with the
trained model, as the server would, and checks what a patient would get:

- emergency recall 100 %: escalated at the emergency tier;
- urgent recall >= 95 %: escalated at the urgent tier;
- false alarms (any tier, safety checks included) <= 1 % of ordinary
  messages; negations never escalated.

    python -m clinic.red_flag_quality models/clinic.tar.gz
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

import yaml

from clinic import PROJECT_ROOT, knowledge
from clinic.nlp.tiers import UNCONFIRMED, escalation_tier

TEST_SET = PROJECT_ROOT / "tests" / "red_flags.yml"
HELD_OUT = PROJECT_ROOT / "tests" / "nlu_heldout.yml"
GATES = {"emergency": 1.0, "urgent": 0.95}
MAX_FALSE_ALARM_RATE = 0.01


def escalated_tier(parse: dict) -> str | None:
    """The tier the patient is sent to, or None: what actions/safety.py decides."""
    if parse["intent"]["name"] != "red_flag":
        return None
    return escalation_tier(parse.get("red_flags") or [UNCONFIRMED])


def ordinary_messages() -> list[str]:
    texts = [t for intent, ts in knowledge.training_examples().items() if intent != "red_flag" for t in ts]
    return texts + [t for intent, t in knowledge.examples(HELD_OUT) if intent != "red_flag"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent

    agent = Agent.load(str(args.model))
    tier_of = lambda text: escalated_tier(asyncio.run(agent.parse_message(text)))  # noqa: E731
    test_set = yaml.safe_load(TEST_SET.read_text())
    problems = []

    for tier, gate in GATES.items():
        phrasings = [(flag, text) for flag, texts in test_set[tier].items() for text in texts]
        misses = [(flag, text, got) for flag, text in phrasings if (got := tier_of(text)) != tier]
        recall = 1 - len(misses) / len(phrasings)
        print(f"{tier} recall: {recall:.3f} ({len(phrasings) - len(misses)}/{len(phrasings)}, gate {gate})")
        for flag, text, got in misses:
            print(f"  missed [{flag}] escalated as {got}: {text}")
        if recall < gate:
            problems.append(f"{tier} recall {recall:.3f} < {gate}")

    negations = test_set["negations"]
    flagged = [text for text in negations if tier_of(text)]
    print(f"negations escalated: {len(flagged)}/{len(negations)}")
    problems += [f"negation escalated: {text}" for text in flagged]

    ordinary = ordinary_messages()
    alarms = [text for text in ordinary if tier_of(text)]
    rate = len(alarms) / len(ordinary)
    print(f"false alarms: {rate:.2%} ({len(alarms)}/{len(ordinary)} ordinary messages, gate {MAX_FALSE_ALARM_RATE:.0%})")
    for text in alarms:
        print(f"  false alarm: {text}")
    if rate > MAX_FALSE_ALARM_RATE:
        problems.append(f"false alarm rate {rate:.2%} > {MAX_FALSE_ALARM_RATE:.0%}")

    if problems:
        print("Red-flag gate FAILED:\n  " + "\n  ".join(problems))
        return 1
    print("Red-flag gate passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
