"""The booking form's checks and the hand-off actions, with tracker fixtures."""
import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import OperationalError

from actions import booking_handoff
from actions.booking_form import ValidateBookingForm
from actions.booking_handoff import ActionCancelRequest, ActionChangeBookingDetail, ActionSubmitBooking
from databases import migrated_store

FORM_DOMAIN = {"forms": {"booking_form": {"required_slots": [
    "patient_name", "contact", "preferred_time", "visit_reason", "patient_status"]}},
    "slots": {name: {} for name in ["patient_name", "contact", "preferred_time", "visit_reason",
                                    "patient_status", "contact_kind", "contact_failures", "preferred_date"]}}
FILLED = {"patient_name": "Ana Ruiz", "contact": "+15552017788", "contact_kind": "phone",
          "preferred_time": "Tuesday morning", "preferred_date": "2026-12-01",
          "visit_reason": "sciatica", "patient_status": "new"}


def tracker(text="", intent="book_appointment", slots=None, requested=None, sender="patient-1"):
    slots = {**(slots or {}), "requested_slot": requested}
    return Tracker(sender, slots, {"text": text, "intent": {"name": intent}, "entities": []}, [], False,
                   None, {"name": "booking_form"}, "action_listen")


def run(action, tracker_):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, FORM_DOMAIN))
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    return slots, [m.get("response") for m in dispatcher.messages], dispatcher.messages


def test_details_given_up_front_are_taken_at_once():
    slots, _, _ = run(ValidateBookingForm(), tracker("book me Tuesday, I'm Ana, 555 201 7788"))
    assert slots["patient_name"] == "Ana"
    assert slots["contact"] == "+15552017788" and slots["contact_kind"] == "phone"
    assert slots["preferred_time"] == "Tuesday"
    assert "visit_reason" not in slots and "patient_status" not in slots


def test_a_bad_contact_is_asked_again_then_alternatives_are_offered():
    first, said, _ = run(ValidateBookingForm(), tracker("555 12", "unclear", {"patient_name": "Ana"}, "contact"))
    assert first["contact"] is None and said == ["utter_invalid_contact"]
    second, said, _ = run(ValidateBookingForm(), tracker("ana at gmail", "unclear",
                                                         {"patient_name": "Ana", "contact_failures": 1}, "contact"))
    assert second["contact"] is None and said == ["utter_contact_still_invalid"]
    fixed, _, _ = run(ValidateBookingForm(), tracker("ana@example.com", "unclear",
                                                     {"patient_name": "Ana", "contact_failures": 2}, "contact"))
    assert fixed["contact"] == "ana@example.com" and fixed["contact_failures"] == 0


def test_a_question_while_the_form_asks_is_not_taken_as_an_answer():
    slots, _, _ = run(ValidateBookingForm(), tracker("does it hurt?", "faq", {"patient_name": "Ana"}, "contact"))
    assert "contact" not in slots


@pytest.mark.parametrize("text, requested", [
    ("forget the appointment, I'm planning to end it tonight", "patient_name"),
    ("I'm Ana and my legs have gone numb, both of them, call me on 555 201 7788", "contact"),
])
def test_a_crisis_or_red_flag_message_never_fills_the_form(text, requested):
    slots, said, _ = run(ValidateBookingForm(), tracker(text, "red_flag", requested=requested))
    assert slots == {} and said == []


def test_the_preferred_time_is_kept_verbatim_with_a_date_when_possible():
    slots, _, _ = run(ValidateBookingForm(), tracker("any friday afternoon", "unclear",
                                                     {"patient_name": "Ana", "contact": "+15552017788"},
                                                     "preferred_time"))
    assert slots["preferred_time"] == "any friday afternoon" and slots["preferred_date"]


@pytest.fixture
def store(tmp_path, monkeypatch):
    clinic = migrated_store(f"sqlite:///{tmp_path / 'clinic.db'}")
    monkeypatch.setattr(booking_handoff, "clinic_store", lambda: clinic)
    return clinic


def test_submit_stores_first_then_confirms_with_the_reference(store):
    slots, said, messages = run(ActionSubmitBooking(), tracker("yes", "affirm", FILLED))
    [request] = store.requests()
    assert said == ["utter_booking_sent"] and messages[0]["reference"] == request.reference
    assert slots["request_reference"] == request.reference and slots["patient_name"] is None
    assert request.details["phone"] == "+15552017788"


def test_a_double_submit_is_one_request(store):
    run(ActionSubmitBooking(), tracker("yes", "affirm", FILLED))
    run(ActionSubmitBooking(), tracker("yes", "affirm", FILLED))
    assert len(store.requests()) == 1


def test_when_the_database_is_down_nothing_is_promised(monkeypatch):
    def broken_store():
        raise OperationalError("connect", {}, Exception("database is down"))
    monkeypatch.setattr(booking_handoff, "clinic_store", broken_store)
    slots, said, _ = run(ActionSubmitBooking(), tracker("yes", "affirm", FILLED))
    assert said == ["utter_request_not_sent"] and slots == {}  # details kept for a retry


def test_cancel_forgets_the_details():
    slots, said, _ = run(ActionCancelRequest(), tracker("never mind", "cancel_booking", FILLED))
    assert said == ["utter_request_cancelled"] and slots["contact"] is None and slots["patient_name"] is None


def test_change_forgets_only_the_named_detail():
    slots, _, _ = run(ActionChangeBookingDetail(), tracker("change my phone", "change_booking_detail", FILLED))
    assert slots == {"contact": None, "contact_failures": 0}
    slots, said, _ = run(ActionChangeBookingDetail(), tracker("change something", "change_booking_detail", FILLED))
    assert slots == {} and said == ["utter_ask_booking_change"]


def test_a_reason_that_reads_like_a_topic_is_still_the_reason():
    slots, _, _ = run(ValidateBookingForm(), tracker("sciatica down my left leg", "faq", FILLED | {"visit_reason": None},
                                                     "visit_reason"))
    assert slots["visit_reason"] == "sciatica down my left leg"
    slots, _, _ = run(ValidateBookingForm(), tracker("does it hurt?", "faq", FILLED | {"visit_reason": None},
                                                     "visit_reason"))
    assert "visit_reason" not in slots  # a question: answered first, then asked again


def test_a_database_error_logs_no_patient_details(monkeypatch, caplog):
    def broken_store():
        raise OperationalError("INSERT ...", {"details": "Ana Ruiz +15552017788"}, Exception("down"))
    monkeypatch.setattr(booking_handoff, "clinic_store", broken_store)
    with caplog.at_level("INFO"):
        run(ActionSubmitBooking(), tracker("yes", "affirm", FILLED))
    logged = caplog.text + " ".join(str(vars(r)) for r in caplog.records)
    assert "Ana Ruiz" not in logged and "+15552017788" not in logged


def test_an_ok_is_not_the_question_for_a_callback():
    from actions.booking_form import ValidateCallbackForm

    domain = {"forms": {"callback_form": {"required_slots": ["patient_name", "contact", "callback_question"]}},
              "slots": {name: {} for name in ["patient_name", "contact", "callback_question", "contact_kind",
                                              "contact_failures"]}}
    asked = Tracker("patient-2", {"patient_name": "Ana Ruiz", "contact": "+15552017788",
                                  "requested_slot": "callback_question"},
                    {"text": "ok", "intent": {"name": "affirm"}, "entities": []}, [], False, None,
                    {"name": "callback_form"}, "action_listen")
    events = asyncio.run(ValidateCallbackForm().run(CollectingDispatcher(), asked, domain))
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"} == {"callback_question": None}
