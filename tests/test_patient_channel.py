"""The widget's channel against the real running assistant: sessions bound to
signed tokens, the visitor's own history, length cap, rate limits and CORS."""
import json
import sqlite3
import threading
import time
import uuid

import jwt
import yaml

from clinic import PROJECT_ROOT
from patient_channel import call, chat, history, new_session


def test_a_new_visitor_chats_and_gets_their_own_transcript_back(assistant):
    session = new_session(assistant["channel"])
    assert session["session_id"].startswith("web-") and len(session["session_id"]) >= 24
    status, _, reply = chat(assistant["channel"], session, "does dry needling hurt?")
    assert status == 200
    [answer] = reply["messages"]
    assert answer["from"] == "assistant" and "quick pinch" in answer["text"]
    status, _, transcript = history(assistant["channel"], session)
    assert status == 200
    assert transcript["messages"] == [{"from": "patient", "text": "does dry needling hurt?"},
                                      {**answer}]


def test_a_quick_reply_shows_in_the_transcript_as_its_title(assistant):
    session = new_session(assistant["channel"])
    _, _, greeting = chat(assistant["channel"], session, "/greet")
    [button] = [b for b in greeting["messages"][0]["buttons"] if b["title"] == "What is sciatica?"]
    chat(assistant["channel"], session, button["payload"])
    _, _, transcript = history(assistant["channel"], session)
    said = [m["text"] for m in transcript["messages"] if m["from"] == "patient"]
    assert said == ["What is sciatica?"]  # the hidden "/greet" is not the patient's words


def test_the_server_chooses_the_id_and_refuses_anyone_elses_token(assistant):
    channel = assistant["channel"]
    mine, theirs = new_session(channel), new_session(channel)
    chat(channel, theirs, "what is sciatica")
    now = int(time.time())
    forged = jwt.encode({"sub": theirs["session_id"], "iat": now, "exp": now + 60}, "x" * 40, algorithm="HS256")
    header, payload, signature = mine["token"].split(".")
    tampered = ".".join([header, payload, signature[::-1]])
    for token in (mine["token"], forged, tampered, "not-a-token"):
        status, _, refused = history(channel, theirs, token=token)
        assert status == 401 and refused["error"] == "session_refused"
        status, _, _ = call(f"{channel}/sessions/{theirs['session_id']}/messages", "POST",
                            {"message": "hello"}, token=token)
        assert status == 401
    status, _, _ = call(f"{channel}/sessions/{theirs['session_id']}/history")
    assert status == 401
    _, _, transcript = history(channel, theirs)
    assert [m["text"] for m in transcript["messages"] if m["from"] == "patient"] == ["what is sciatica"]


def test_an_overlong_or_empty_message_gets_a_polite_answer_and_changes_nothing(assistant):
    channel = assistant["channel"]
    session = new_session(channel)
    status, _, refused = chat(channel, session, "my back hurts " * 60)
    assert status == 413 and "under 500 characters" in refused["message"]
    for bad in ({"message": "   "}, {"text": "hi"}, ["hi"]):
        status, _, refused = call(f"{channel}/sessions/{session['session_id']}/messages", "POST", bad,
                                  token=session["token"])
        assert status == 400 and refused["message"].startswith("I didn't get any text")
    status, _, refused = call(f"{channel}/sessions/{session['session_id']}/messages", "POST", raw="{broken",
                              token=session["token"])
    assert status == 400 and refused["message"].startswith("I didn't get any text")
    assert history(channel, session)[2]["messages"] == []


def test_one_session_is_rate_limited_and_others_are_not(assistant):
    channel, source = assistant["channel"], "127.0.0.21"
    busy, calm = new_session(channel, source), new_session(channel, source)
    statuses = [chat(channel, busy, "thanks", source)[0] for _ in range(20)]
    assert statuses == [200] * 20
    status, headers, refused = chat(channel, busy, "thanks", source)
    assert status == 429 and int(headers["retry-after"]) >= 1
    assert refused["message"].startswith("You are sending messages very fast")
    assert chat(channel, calm, "thanks", source)[0] == 200


def test_one_address_is_rate_limited_and_others_are_not(assistant):
    channel = assistant["channel"]
    statuses = [call(f"{channel}/sessions", "POST", source="127.0.0.22")[0] for _ in range(101)]
    assert statuses[:100] == [201] * 100 and statuses[100] == 429
    assert call(f"{channel}/sessions", "POST", source="127.0.0.23")[0] == 201


def test_cors_answers_only_the_clinic_website(assistant):
    channel, clinic_site = assistant["channel"], assistant["site"]
    status, headers, _ = call(f"{channel}/sessions", "OPTIONS", origin=clinic_site, source="127.0.0.24")
    assert status == 204
    assert headers["access-control-allow-origin"] == clinic_site
    assert "authorization" in headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in headers
    status, headers, _ = call(f"{channel}/sessions", "POST", origin=clinic_site, source="127.0.0.24")
    assert status == 201 and headers["access-control-allow-origin"] == clinic_site

    for stranger in ("https://evil.example", "null", clinic_site + ".evil.example"):
        for method in ("OPTIONS", "POST"):
            status, headers, _ = call(f"{channel}/sessions", method, origin=stranger, source="127.0.0.24")
            assert status == 403 and "access-control-allow-origin" not in headers


def user_events(assistant, session) -> list[dict]:
    """The patient's messages as the conversation store holds them (every turn, hidden ones too)."""
    with sqlite3.connect(assistant["tracker_store"]) as db:
        rows = db.execute("select data from events where sender_id = ? and type_name = 'user' order by id",
                          (session["session_id"],)).fetchall()
    return [json.loads(data) for data, in rows]


# Each from an address of its own: the widget's browser tests share 127.0.0.1's per-address limit.
def test_a_message_sent_again_gets_the_reply_it_had_and_no_second_turn(assistant):
    channel, source = assistant["channel"], "127.0.0.25"
    session = new_session(channel, source)
    first_id, second_id = str(uuid.uuid4()), str(uuid.uuid4())
    status, _, first = chat(channel, session, "does dry needling hurt?", source=source, message_id=first_id)
    assert status == 200 and "pinch" in first["messages"][0]["text"]
    status, _, second = chat(channel, session, "what is sciatica", source=source, message_id=second_id)
    assert status == 200 and second != first
    for message_id, reply in ((first_id, first), (second_id, second), (first_id, first)):  # the words do not count
        status, _, again = chat(channel, session, "what is sciatica", source=source, message_id=message_id)
        assert status == 200 and again == reply
    assert [(e["text"], e["message_id"]) for e in user_events(assistant, session)] == [
        ("does dry needling hurt?", first_id), ("what is sciatica", second_id)]
    assert [m["text"] for m in history(channel, session)[2]["messages"] if m["from"] == "patient"] == [
        "does dry needling hurt?", "what is sciatica"]
    status, _, third = chat(channel, session, "does dry needling hurt?", source=source, message_id=str(uuid.uuid4()))
    assert status == 200 and len(user_events(assistant, session)) == 3, "a new id is a new turn"
    status, _, _ = chat(channel, session, "thanks", source=source, message_id="not an id!")  # not an id: a turn as any other
    assert status == 200 and len(user_events(assistant, session)) == 4


def test_a_quick_reply_sent_again_after_its_buttons_are_gone_gets_its_reply(assistant):
    channel, source = assistant["channel"], "127.0.0.26"
    session = new_session(channel, source)
    _, _, greeting = chat(channel, session, "/greet", source=source, message_id=str(uuid.uuid4()))
    [button] = [b for b in greeting["messages"][0]["buttons"] if b["title"] == "What is sciatica?"]
    clicked = str(uuid.uuid4())
    _, _, answer = chat(channel, session, button["payload"], source=source, message_id=clicked)
    chat(channel, session, "thanks", source=source, message_id=str(uuid.uuid4()))  # the buttons are no longer offered
    status, _, again = chat(channel, session, button["payload"], source=source, message_id=clicked)
    assert status == 200 and again == answer and "sciatic nerve" in answer["messages"][0]["text"]
    assert len(user_events(assistant, session)) == 3


def test_the_same_message_sent_at_once_several_times_is_one_turn(assistant):
    channel, source, message_id = assistant["channel"], "127.0.0.27", str(uuid.uuid4())
    session = new_session(channel, source)
    answers = []
    senders = [threading.Thread(target=lambda: answers.append(
        chat(channel, session, "how many sessions will I need?", source=source, message_id=message_id))) for _ in range(4)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(60)
    assert [status for status, _, _ in answers] == [200] * 4
    assert all(reply == answers[0][2] for _, _, reply in answers)
    assert [e["message_id"] for e in user_events(assistant, session)] == [message_id]


def test_only_the_tests_turn_the_plain_rest_channel_on():
    local = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text())
    production = yaml.safe_load((PROJECT_ROOT / "deploy" / "credentials.yml").read_text())
    tests = yaml.safe_load((PROJECT_ROOT / "tests" / "credentials.yml").read_text())
    assert list(local) == list(production) == ["clinic.channel.ClinicWebInput"]
    assert "rest" in tests
