"""Hands confirmed requests to the clinic, or drops them when the patient cancels.

The request is written to the clinic database (with its notifications) before
the patient is told it was sent; if that fails the patient is told so and
given the clinic's phone: nothing is claimed that did not happen.
"""

import logging
import re
from functools import lru_cache
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from clinic.operations import metrics
from clinic.requests.notifications import configured_notifiers
from clinic.requests.store import ClinicStore

logger = logging.getLogger(__name__)

BOOKING_SLOTS = (
    "patient_name",
    "contact",
    "contact_kind",
    "contact_failures",
    "preferred_time",
    "preferred_date",
    "visit_reason",
    "patient_status",
)
CALLBACK_SLOTS = ("patient_name", "contact", "contact_kind", "contact_failures", "callback_question")
# Which detail a patient wants to change, by the words they use.
DETAIL_WORDS = {
    "patient_name": r"\bname\b",
    "contact": r"phone|number|email|e-mail|contact|mobile|cell",
    "preferred_time": r"\btime\b|\bday\b|date|when|morning|afternoon|evening"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday",
    "visit_reason": r"reason|why",
    "patient_status": r"\bnew\b|returning",
}


@lru_cache(maxsize=1)
def clinic_store() -> ClinicStore:
    return ClinicStore()


def _submit(
    kind: Text, details: Dict[Text, Any], tracker: Tracker, dispatcher: CollectingDispatcher, slots: tuple
) -> List[EventType]:
    try:
        request, created = clinic_store().submit(kind, tracker.sender_id, details, sorted(configured_notifiers()))
    except SQLAlchemyError as error:
        # The error's text can hold the SQL parameters, i.e. patient details: log its type only.
        logger.error(
            "request could not be stored",
            extra={"conversation_id": tracker.sender_id, "kind": kind, "error": type(error).__name__},
        )
        metrics.REQUESTS_NOT_STORED.labels(kind).inc()
        dispatcher.utter_message(response="utter_request_not_sent")
        return []  # the details stay in the conversation: nothing is lost
    if created:
        metrics.REQUESTS.labels(kind).inc()
    logger.info(
        "request stored",
        extra={"conversation_id": tracker.sender_id, "kind": kind, "reference": request.reference, "new": created},
    )
    dispatcher.utter_message(response=f"utter_{kind}_sent", reference=request.reference)
    return [SlotSet("request_reference", request.reference), *[SlotSet(s, None) for s in slots]]


class ActionSubmitBooking(Action):
    def name(self) -> Text:
        return "action_submit_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        details = {
            "patient_name": tracker.get_slot("patient_name"),
            tracker.get_slot("contact_kind") or "contact": tracker.get_slot("contact"),
            "preferred_time": tracker.get_slot("preferred_time"),
            "preferred_date": tracker.get_slot("preferred_date"),
            "visit_reason": tracker.get_slot("visit_reason"),
            "patient_status": tracker.get_slot("patient_status"),
        }
        return _submit("booking", details, tracker, dispatcher, BOOKING_SLOTS)


class ActionSubmitCallback(Action):
    def name(self) -> Text:
        return "action_submit_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        details = {
            "patient_name": tracker.get_slot("patient_name"),
            tracker.get_slot("contact_kind") or "contact": tracker.get_slot("contact"),
            "question": tracker.get_slot("callback_question"),
        }
        return _submit("callback", details, tracker, dispatcher, CALLBACK_SLOTS)


class ActionCancelRequest(Action):
    def name(self) -> Text:
        return "action_cancel_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        dispatcher.utter_message(response="utter_request_cancelled")
        return [SlotSet(s, None) for s in sorted(set(BOOKING_SLOTS + CALLBACK_SLOTS))]


class ActionChangeBookingDetail(Action):
    """Forgets the detail the patient wants to change, so the form asks again."""

    def name(self) -> Text:
        return "action_change_booking_detail"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        text = (tracker.latest_message.get("text") or "").lower()
        for slot, words in DETAIL_WORDS.items():
            if re.search(words, text):
                extra = [SlotSet("contact_failures", 0)] if slot == "contact" else []
                return [SlotSet(slot, None), *extra]
        dispatcher.utter_message(response="utter_ask_booking_change")
        return []
