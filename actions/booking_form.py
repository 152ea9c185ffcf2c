"""The booking and callback forms: taking details, checking them kindly.

Details given up front ("book me Tuesday, I'm Ana, 555 201 7788") are taken
when the form starts; a detail is asked only when it is still missing. While
the form asks for a detail, the whole answer is taken, unless the message is
an interruption (a question, a red flag, cancel, change): then nothing is
taken, Rasa rejects the form's turn, and the rules in data/booking_rules.yml
answer the interruption.
"""

from typing import TYPE_CHECKING, Any, Dict, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from clinic.requests import booking

INTERRUPTIONS = {
    "faq",
    "red_flag",
    "cancel_booking",
    "change_booking_detail",
    "request_callback",
    "help",
    "bot_challenge",
    "clinic_contact",
    "goodbye",
    "thank",
}
# A reason for the visit ("sciatica in my left leg") or a question for the
# clinic may read like an FAQ; it is still the answer unless asked as a question.
FREE_TEXT_INTERRUPTIONS = INTERRUPTIONS - {"faq"}
QUESTION_WORDS = {
    "what",
    "how",
    "why",
    "when",
    "who",
    "where",
    "which",
    "does",
    "do",
    "is",
    "are",
    "can",
    "could",
    "will",
    "would",
    "should",
}
FAILURES_BEFORE_ALTERNATIVES = 2

Extracted = Dict[Text, Any]


def _text(tracker: Tracker) -> Text:
    return tracker.latest_message.get("text") or ""


def _intent(tracker: Tracker) -> Optional[Text]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def _answering(tracker: Tracker, slot: Text) -> bool:
    return tracker.get_slot("requested_slot") == slot and _intent(tracker) not in INTERRUPTIONS


def _is_question(text: Text) -> bool:
    words = text.strip().lower().split()
    return text.strip().endswith("?") or bool(words and words[0] in QUESTION_WORDS)


def _answering_in_own_words(tracker: Tracker, slot: Text, questions_allowed: bool = False) -> bool:
    if tracker.get_slot("requested_slot") != slot or _intent(tracker) in FREE_TEXT_INTERRUPTIONS:
        return False
    return questions_allowed or _intent(tracker) != "faq" or not _is_question(_text(tracker))


if TYPE_CHECKING:  # to mypy a FormValidationAction, whose run it calls: it comes before one in every form
    from rasa_sdk.forms import FormValidationAction as _Form
else:  # at run time a plain mixin, not an Action rasa_sdk would register
    _Form = object


class SafetyFirst(_Form):
    """A crisis or red-flag message never fills a form ("forget the appointment, I'm
    planning to end it tonight" is not the name "Planning"): the form turns the
    turn down and the safety rules answer it."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> list:
        if _intent(tracker) == "red_flag":
            return []
        return await super().run(dispatcher, tracker, domain)


class ContactValidation:
    """Phone or email, validated; after repeated failures the patient is offered other ways."""

    def extract_contact(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Extracted:
        if tracker.get_slot("contact"):
            return {}
        if _answering(tracker, "contact"):
            return {"contact": _text(tracker)}
        found = booking.find_contact(_text(tracker))
        return {"contact": found.value} if found else {}

    def validate_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Extracted:
        found = booking.find_contact(str(value))
        if found:
            return {"contact": found.value, "contact_kind": found.kind, "contact_failures": 0}
        failures = int(tracker.get_slot("contact_failures") or 0) + 1
        if failures >= FAILURES_BEFORE_ALTERNATIVES:
            dispatcher.utter_message(response="utter_contact_still_invalid")
        else:
            dispatcher.utter_message(response="utter_invalid_contact")
        return {"contact": None, "contact_failures": failures}


class NameValidation:
    """The patient's name, in both forms: who to book, who the clinic asks for when it calls back."""

    def extract_patient_name(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Extracted:
        if tracker.get_slot("patient_name"):
            return {}
        if _answering(tracker, "patient_name"):
            return {"patient_name": _text(tracker)}
        name = booking.find_name(_text(tracker))
        return {"patient_name": name} if name else {}

    def validate_patient_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Extracted:
        name = booking.name_from_answer(str(value))
        if not name:
            dispatcher.utter_message(response="utter_invalid_name")
        return {"patient_name": name}


class ValidateBookingForm(SafetyFirst, NameValidation, ContactValidation, FormValidationAction):
    def name(self) -> Text:
        return "validate_booking_form"

    def extract_preferred_time(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Extracted:
        if tracker.get_slot("preferred_time"):
            return {}
        if _answering(tracker, "preferred_time"):
            return {"preferred_time": _text(tracker)}
        found = booking.find_preferred_time(_text(tracker))
        return {"preferred_time": found[0]} if found else {}

    def validate_preferred_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Extracted:
        words = str(value).strip()[: booking.MAX_REASON_LENGTH]
        found = booking.find_preferred_time(words)
        # The patient's own words are kept; the date is a help for staff.
        return {"preferred_time": words or None, "preferred_date": found[1] if found else None}

    def extract_visit_reason(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Extracted:
        if tracker.get_slot("visit_reason") or not _answering_in_own_words(tracker, "visit_reason"):
            return {}
        return {"visit_reason": _text(tracker)}

    def validate_visit_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Extracted:
        return {"visit_reason": booking.visit_reason(str(value))}

    def extract_patient_status(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Extracted:
        if tracker.get_slot("patient_status"):
            return {}
        if _answering(tracker, "patient_status"):
            return {"patient_status": _text(tracker)}
        text = _text(tracker)
        status = booking.patient_status(text) if booking.MENTIONS_PATIENT_STATUS.search(text) else None
        return {"patient_status": status} if status else {}

    def validate_patient_status(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Extracted:
        status = booking.patient_status(str(value))
        if not status:
            dispatcher.utter_message(response="utter_invalid_patient_status")
        return {"patient_status": status}


class ValidateCallbackForm(SafetyFirst, NameValidation, ContactValidation, FormValidationAction):
    def name(self) -> Text:
        return "validate_callback_form"

    def extract_callback_question(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Extracted:
        if tracker.get_slot("callback_question") or not _answering_in_own_words(
            tracker, "callback_question", questions_allowed=True
        ):
            return {}
        return {"callback_question": _text(tracker)}

    def validate_callback_question(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Extracted:
        if booking.is_acknowledgement(str(value)):
            return {"callback_question": None}  # the form asks again
        return {"callback_question": booking.visit_reason(str(value))}
