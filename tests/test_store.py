"""The clinic inbox keeps every request exactly once, on SQLite and PostgreSQL."""
import pytest

BOOKING = {"patient_name": "Ana Ruiz", "phone": "+1 555-201-7788", "preferred_time": "next Tuesday morning"}


def test_a_request_is_stored_with_a_reference_and_owed_notifications(store):
    request, created = store.submit("booking", "conv-1", BOOKING, ["email", "webhook"])
    assert created and request.reference.startswith("MC-") and request.status == "new"
    assert store.get(request.reference).details == BOOKING
    assert store.outbox_status(request.reference) == {"email": "pending", "webhook": "pending"}


def test_a_double_submit_in_one_conversation_yields_one_request(store):
    first, _ = store.submit("booking", "conv-2", BOOKING, ["email"])
    again, created = store.submit("booking", "conv-2", dict(BOOKING), ["email"])
    assert not created and again.reference == first.reference
    assert len(store.requests()) == 1 and len(store.due_outbox()) == 1


def test_different_conversations_are_different_requests(store):
    store.submit("booking", "conv-3", BOOKING, [])
    store.submit("booking", "conv-4", BOOKING, [])
    assert len(store.requests()) == 2


def test_staff_work_a_request_through_its_statuses(store):
    request, _ = store.submit("callback", "conv-5", {"contact": "ana@example.com", "question": "price?"}, [])
    store.update(request.reference, status="contacted", assignee="front desk", notes="left a voicemail", author="sam")
    store.update(request.reference, notes="  called again, booked  ", author="kim")
    updated = store.update(request.reference, status="closed", assignee="")
    assert (updated.status, updated.assignee, updated.notes) == ("closed", "", "called again, booked")
    history = store.notes([request.reference])[request.reference]  # every note kept, signed, in order
    assert [(n.author, n.text) for n in history] == [("sam", "left a voicemail"), ("kim", "called again, booked")]
    assert history[0].at <= history[1].at
    assert store.requests(status="new") == []
    with pytest.raises(ValueError):
        store.update(request.reference, status="lost")
