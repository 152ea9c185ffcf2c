"""End to end: the action server and the Rasa server, chatting over REST."""
import json
import sqlite3
import urllib.request

from clinic.requests.notifications import configured_notifiers, deliver_due
from clinic.profile import clinic_profile


def say(url, sender, message):
    request = urllib.request.Request(url, json.dumps({"sender": sender, "message": message}).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_greeting_names_the_clinic_and_the_emergency_number(assistant):
    [reply] = say(assistant["url"], "patient-greet", "hello")
    profile = clinic_profile()
    assert profile.name in reply["text"] and profile.emergency_number in reply["text"]
    assert "{" not in reply["text"]
    assert "What is sciatica?" in [b["title"] for b in reply["buttons"]]


def test_a_worried_patient_gets_the_article_answer(assistant):
    [reply] = say(assistant["url"], "patient-worried", "im so scared of needles, does dry needling hurt?")
    assert "quick pinch" in reply["text"]


def test_a_question_the_article_does_not_answer_gets_no_guess(assistant):
    [reply] = say(assistant["url"], "patient-price", "how much does a session cost?")
    assert reply["text"].startswith("I don't have information about prices")
    assert clinic_profile().phone in reply["text"]


def test_an_emergency_is_escalated_and_recorded_for_staff(assistant):
    say(assistant["url"], "patient-red-flag", "hi, can i ask about dry needling?")
    [reply] = say(assistant["url"], "patient-red-flag", "Also since yesterday I wet myself and my legs are going numb")
    assert "emergency room" in reply["text"]
    assert clinic_profile().emergency_number in reply["text"]
    # The clinic is told at once, through the outbox, without the patient's words.
    [alert] = [r for r in assistant["store"].requests(kind="alert") if r.conversation_id == "patient-red-flag"]
    assert alert.details == {"tier": "emergency"}
    assert assistant["store"].outbox_status(alert.reference) == {"email": "pending"}
    with sqlite3.connect(assistant["tracker_store"]) as db:
        slots = dict(db.execute(
            "SELECT json_extract(data, '$.name'), json_extract(data, '$.value') FROM events "
            "WHERE sender_id = 'patient-red-flag' AND type_name = 'slot' "
            "AND json_extract(data, '$.name') = 'red_flag_tier'"))
    assert slots == {"red_flag_tier": "emergency"}


def test_a_denied_symptom_gets_the_answer_not_an_alarm(assistant):
    [reply] = say(assistant["url"], "patient-negation", "I have no bladder or bowel problems. Is dry needling safe?")
    assert "emergency" not in reply["text"]
    assert reply["text"].startswith("Yes. Dry needling is safe")


def texts(replies):
    return " ".join(reply.get("text", "") for reply in replies)


def test_booking_step_by_step_reaches_the_inbox_and_the_clinic_email(assistant, mailbox):
    chat = lambda message: texts(say(assistant["url"], "patient-booking", message))  # noqa: E731
    assert "What is your name?" in chat("I'd like to book an appointment")
    assert "How should the clinic reach you?" in chat("Ana Ruiz")
    assert "doesn't look like a phone number" in chat("555 12")
    assert "When would you like to come in?" in chat("555 201 7788")
    assert "What is the visit for?" in chat("next Tuesday morning")
    assert "Have you been to the clinic before?" in chat("sciatica down my left leg")
    summary = chat("I'm a new patient")
    assert "Ana Ruiz" in summary and "+15552017788" in summary and "Tuesday morning" in summary
    confirmation = chat("yes send it")
    [request] = [r for r in assistant["store"].requests(kind="booking") if r.conversation_id == "patient-booking"]
    assert f"Your reference is {request.reference}" in confirmation
    assert request.details["patient_name"] == "Ana Ruiz" and request.details["patient_status"] == "new"
    notifiers = configured_notifiers(assistant["clinic_env"])
    while deliver_due(assistant["store"], notifiers)[0]:  # the worker's rounds (50 at a time; safety alerts too)
        pass
    assert any(request.reference in mail and "Ana Ruiz" in mail for _, mail in mailbox.messages)


def test_booking_in_one_message_asks_only_what_is_missing(assistant):
    sender = "patient-one-message"
    first = texts(say(assistant["url"], sender, "book me Tuesday, I'm Ben, 555 201 7799"))
    assert "What is the visit for?" in first and "What is your name?" not in first
    say(assistant["url"], sender, "skip")
    summary = texts(say(assistant["url"], sender, "I've been there before"))
    assert "Ben" in summary and "+15552017799" in summary and "returning" in summary
    assert "How should the clinic reach you?" in texts(say(assistant["url"], sender, "change my phone"))
    corrected = texts(say(assistant["url"], sender, "ben@example.com"))
    assert "ben@example.com" in corrected and "Shall I send it" in corrected


def test_never_mind_sends_nothing(assistant):
    before = len(assistant["store"].requests())
    say(assistant["url"], "patient-cancel", "can I book a session")
    say(assistant["url"], "patient-cancel", "Chloe")
    assert "not sent anything" in texts(say(assistant["url"], "patient-cancel", "never mind"))
    assert len(assistant["store"].requests()) == before
