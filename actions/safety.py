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

# The intent classifier alone (no detector match) is treated as an emergency:
# a missed emergency costs more than a false alarm.
UNCONFIRMED = {"flag": "classifier_only", "tier": "emergency"}


def escalation_tier(flags: List[Dict[Text, Any]]) -> Text:
    return "emergency" if any(flag["tier"] == "emergency" for flag in flags) else "urgent"


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
