"""How the fallback thresholds trade wrong answers for rephrase prompts, on the held-out set.

For each pair (intent threshold, answer threshold) it prints how many held-out
phrasings the trained assistant would answer right, answer wrong, or meet with
"could you say it another way?". config.yml's choice is explained by this table.

    python bench/thresholds.py [models/clinic.tar.gz]
"""
from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTENT_THRESHOLDS = (0.4, 0.5, 0.6, 0.7)
ANSWER_THRESHOLDS = (0.2, 0.3, 0.4, 0.5)


def main() -> None:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    from clinic import knowledge

    logging.disable(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "models" / "clinic.tar.gz"))
    rows = []
    for label, text in knowledge.examples(ROOT / "tests" / "nlu_heldout.yml"):
        parse = asyncio.run(agent.parse_message(text))
        [top, *_] = [r for r in parse["intent_ranking"] if r["name"] != "nlu_fallback"]  # before the fallback
        answer = ((parse.get("response_selector") or {}).get("default") or {}).get("response", {})
        rows.append((label, top["name"], top["confidence"], answer.get("intent_response_key"),
                     answer.get("confidence", 0.0)))
    print(f"Held-out phrasings: {len(rows)}")
    print(f"  {'intent >=':>9} {'answer >=':>9} {'right':>6} {'wrong':>6} {'rephrase':>9}")
    for intent_min in INTENT_THRESHOLDS:
        for answer_min in ANSWER_THRESHOLDS:
            right = wrong = unsure = 0
            for label, intent, confidence, key, answer_confidence in rows:
                if confidence < intent_min or (intent == "faq" and answer_confidence < answer_min):
                    unsure += 1
                elif intent == label.split("/")[0] and (intent != "faq" or key == label):
                    right += 1
                else:
                    wrong += 1
            print(f"  {intent_min:9.1f} {answer_min:9.1f} {right:6} {wrong:6} {unsure:9}")


if __name__ == "__main__":
    main()
