"""The risk guard: a question that names a risk the article does not address (a pregnancy, a
medicine, a surgery, a condition, a child: clinic/nlp/risks.yml) is answered "ask the clinic",
never with the closest article answer.

Runs after the answer selector. When the chosen answer comes from the article and the message
names a risk, the risk's "ask the clinic" answer comes first, as sure as a rule, and the article's
answers follow it ("I'm pregnant, does it hurt?": ask the clinic about pregnancy, then the pain).
A risk with no topic of its own (a child) counts only when the question is about it ("can you
needle my 12 year old?", not a long story that mentions coaching a son's team): the message is then
unsure, so the patient gets the honest "the article doesn't cover that" reply with the clinic's
contact details (actions/scope.py). The risk found goes into the parse result (`risk`), for staff.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Text

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
    TOKENS_NAMES,
)
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RESPONSE_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from clinic.nlp import questions
from clinic.nlp.intents import set_intent
from clinic.nlp.whole_message import settings

RISKS_FILE = Path(__file__).with_name("risks.yml")
RISK_KEY = "risk"
QUESTIONS_KEY = "questions"  # the answer selector's list of the message's questions
ASK_THE_CLINIC = "faq/ask_clinic_"  # the topics that already say "ask the clinic"
DENIALS = ("not", "no", "never", "without")
AGE = re.compile(
    r"\b(\d{1,2})[\s-]*(?:years?|yrs?)[\s-]*old\b|\b(\d{1,2})\s*(?:yo|y/o)\b"
    r"|\b(?:she|he)(?:\s*'s|\s*is|s)\s*(\d{1,2})\b|\baged?\s*(\d{1,2})\b"
)  # "10 years" alone is a duration


def load_risks(path: Path = RISKS_FILE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


class RiskReader:
    def __init__(self, risks: dict | None = None) -> None:
        self.risks = risks or load_risks()
        self.patterns = {
            name: re.compile(
                r"\b(?<!-)(" + "|".join(re.escape(p) for p in sorted(risk["phrases"], key=len, reverse=True)) + r")\b"
            )
            for name, risk in self.risks.items()
        }

    def named(self, text: str) -> str | None:
        """The first risk the message names, un-denied ("I'm not pregnant" names none)."""
        return next((name for name in self.risks if self.names(name, text)), None)

    def names(self, name: str, text: str) -> bool:
        lower = " ".join(text.lower().replace("’", "'").split())
        for match in self.patterns[name].finditer(lower):
            before = lower[: match.start()].split()[-2:]
            if not any(word in DENIALS or word.endswith("n't") for word in before):
                return True
        under = self.risks[name].get("ages_under")
        return bool(under and any(int(n) < under for found in AGE.findall(lower) for n in found if n))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RiskGuard(GraphComponent, IntentClassifier):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RiskGuard:
        return cls()

    def __init__(self, reader: RiskReader | None = None) -> None:
        self.reader = reader or RiskReader()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            selected = (
                (message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}).get(RESPONSE_SELECTOR_DEFAULT_INTENT) or {}
            ).get(RESPONSE_SELECTOR_PREDICTION_KEY) or {}
            answer = selected.get(INTENT_RESPONSE_KEY) or ""
            if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) != "faq" or answer.startswith(ASK_THE_CLINIC):
                continue
            text = message.get(TEXT) or ""
            risk = self.reader.named(text)
            if risk is None:
                continue
            topic = self.reader.risks[risk].get("topic")
            if topic:
                message.set(RISK_KEY, risk, add_to_output=True)
                asked = [
                    q
                    for q in message.get(QUESTIONS_KEY) or [{"topic": answer, "confidence": 1.0}]
                    if q["topic"] != topic
                ]
                selected.update(
                    {
                        INTENT_RESPONSE_KEY: topic,
                        PREDICTED_CONFIDENCE_KEY: 1.0,
                        RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{topic}",
                        RESPONSE_SELECTOR_RESPONSES_KEY: [],
                    }
                )
                message.set(QUESTIONS_KEY, [{"topic": topic, "confidence": 1.0}, *asked], add_to_output=True)
            elif self._asked_about(risk, message):
                message.set(RISK_KEY, risk, add_to_output=True)
                message.set(QUESTIONS_KEY, [], add_to_output=True)
                set_intent(message, DEFAULT_NLU_FALLBACK_INTENT_NAME, 1.0)
        return messages

    def _asked_about(self, risk: str, message: Message) -> bool:
        """Whether the question is about the risk: a short message that names it ("my 13 year old hurt
        his back, does it hurt?"), or, in a longer story, a clause that asks something and names it."""
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        if len(tokens) <= settings()["story_words"]:
            return True
        words = [questions.Word(t.text, t.lemma or t.text, t.start, t.end) for t in tokens]
        found = questions.clauses(message.get(TEXT) or "", words)
        return any(clause.asks and self.reader.names(risk, clause.text) for clause in found)
