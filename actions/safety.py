"""Escalates crisis language and red-flag symptoms found by the NLU safety net.

The detector (clinic/nlp/red_flag_classifier.py) puts the flags in the parse
result; this action records the tier, the flags and the reply's language in
slots, so every escalation is visible to staff, and the rules
(data/safety_rules.yml) answer by tier. Crisis and emergencies also alert the
clinic at once through the notification outbox, with no patient text.
"""

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import booking_handoff
from clinic import names
from clinic.nlp.tiers import UNCONFIRMED, escalation_tier, reply_language
from clinic.operations import metrics
from clinic.requests.notifications import configured_notifiers

logger = logging.getLogger(__name__)

ALERT_TIERS = ("crisis", "emergency")


def alert_clinic(conversation_id: Text, tier: Text) -> None:
    """One alert per conversation and tier; a database fault never delays the patient's reply."""
    try:
        store = booking_handoff.clinic_store()  # the same clinic database as booking requests
        alert, created = store.submit("alert", conversation_id, {"tier": tier}, sorted(configured_notifiers()))
    except SQLAlchemyError as error:
        # The clinic was not alerted: whoever reads this has to tell it, and how urgently.
        logger.error(
            "safety alert could not be stored",
            extra={"conversation_id": conversation_id, "tier": tier, "error": type(error).__name__},
        )
        return
    if created:
        metrics.SAFETY_ALERTS.labels(tier).inc()
    # The reference leads to the tier in the clinic database, which retention deletes in time.
    logger.info(
        "safety alert stored", extra={"conversation_id": conversation_id, "reference": alert.reference, "new": created}
    )


class ActionEscalateRedFlag(Action):
    def name(self) -> Text:
        return "action_escalate_red_flag"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        flags = tracker.latest_message.get("red_flags") or [UNCONFIRMED]
        tier = escalation_tier(flags)
        metrics.RED_FLAGS.labels(tier).inc()
        # Which warning sign and tier stay in the conversation's slots (and the counts in metrics).
        logger.info("red flag escalated", extra={"conversation_id": tracker.sender_id})
        if tier in ALERT_TIERS:
            alert_clinic(tracker.sender_id, tier)
        return [
            SlotSet(names.RED_FLAG_TIER, tier),
            SlotSet(names.RED_FLAGS, [f["flag"] for f in flags]),
            SlotSet(names.PATIENT_LANGUAGE, reply_language(flags)),
        ]
