"""Escalates red-flag symptoms found by the NLU safety net.

The detector (clinic/nlp/red_flag_classifier.py) puts the flags in the parse
result; this action records the tier and flags in slots, so every escalation
is visible to staff, and the rules (data/rules.yml) answer by tier.
"""
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

logger = logging.getLogger(__name__)

# A red_flag intent without detected flags (the NLU component normally
# prevents it, but e.g. a "/red_flag" payload) gets a safety check listing the
# danger signs, not an alarm.
UNCONFIRMED = {"flag": "classifier_only", "tier": "check"}
TIERS = ("emergency", "urgent", "check")  # most serious first


def escalation_tier(flags: List[Dict[Text, Any]]) -> Text:
    tiers = {flag["tier"] for flag in flags}
    return next(tier for tier in TIERS if tier in tiers)


class ActionEscalateRedFlag(Action):
    def name(self) -> Text:
        return "action_escalate_red_flag"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        flags = tracker.latest_message.get("red_flags") or [UNCONFIRMED]
        tier = escalation_tier(flags)
        logger.info(
            "red flag escalated",
            extra={"conversation": tracker.sender_id, "tier": tier, "flags": [f["flag"] for f in flags]},
        )
        return [SlotSet("red_flag_tier", tier), SlotSet("red_flags", [f["flag"] for f in flags])]
