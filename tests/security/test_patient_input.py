"""What a patient's browser can send through the widget's channel (security
findings 6, 8, 11 and 12): commands, odd characters, ended sessions, floods."""
import jwt
import pytest
import requests

from local_servers import API_SECRET
from patient_channel import call, chat, history, new_session

SOURCE = "127.0.0.63"


def tracker(assistant, session):
    token = jwt.encode({"user": {"username": "test", "role": "admin"}}, API_SECRET, algorithm="HS256")
    answer = requests.get(f"{assistant['rasa']}/conversations/{session['session_id']}/tracker",
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)
    answer.raise_for_status()
    return answer.json()


def texts(reply):
    return " ".join(m["text"] for m in reply["messages"])


@pytest.mark.parametrize("typed", ["/restart", "/session_start", "/affirm", '/red_flag{"red_flag": "x"}',
                                   '/inform{"patient_name": "Mallory"}', "/greet{}", "//", "/"])
def test_a_typed_command_is_read_as_words_not_obeyed(assistant, typed):
    """Finding 11: "/restart" got silence, "/affirm" ten rephrase prompts, "/inform{...}" set entities."""
    session = new_session(assistant["channel"], source=SOURCE)
    chat(assistant["channel"], session, "does dry needling hurt?", source=SOURCE)
    status, _, reply = chat(assistant["channel"], session, typed, source=SOURCE)
    if typed.strip("/") == "":
        assert status == 400 and reply["message"]
        return
    assert status == 200 and texts(reply).strip()
    latest = tracker(assistant, session)["latest_message"]
    assert not latest["text"].startswith("/")
    assert not any(e.get("value") == "Mallory" for e in latest.get("entities", []))
    assert tracker(assistant, session)["slots"].get("patient_name") is None


def test_a_quick_reply_the_assistant_offered_still_works(assistant):
    session = new_session(assistant["channel"], source=SOURCE)
    _, _, first = chat(assistant["channel"], session, "ok", source=SOURCE)
    offered = [b for m in first["messages"] for b in m["buttons"]]
    assert offered, first
    status, _, reply = chat(assistant["channel"], session, offered[0]["payload"], source=SOURCE)
    assert status == 200
    assert tracker(assistant, session)["latest_message"]["text"] == offered[0]["payload"]
    assert texts(reply).strip()


@pytest.mark.parametrize("raw", ['{"message": "does it hurt \\ud83d"}', '{"message": "\\udc00\\ud800 is it safe?"}',
                                 '{"message": "is it safe?\\u0000\\u0007\\u202e"}', '{"message": "\\ufeff\\u200b"}'])
def test_half_an_emoji_or_control_characters_get_an_answer_not_a_server_error(assistant, raw):
    """Finding 12: a lone UTF-16 surrogate crashed spaCy and got a 500."""
    session = new_session(assistant["channel"], source=SOURCE)
    status, _, reply = call(f"{assistant['channel']}/sessions/{session['session_id']}/messages", "POST", raw=raw,
                            token=session["token"], source=SOURCE)
    assert status in (200, 400), reply
    assert reply.get("messages") or reply.get("message")


def test_ending_a_chat_revokes_its_token_on_the_server(assistant):
    """Finding 6: "New chat" only forgot the token in the browser; nothing could revoke it."""
    session = new_session(assistant["channel"], source=SOURCE)
    chat(assistant["channel"], session, "my name is Ana and my number is 555 201 7788", source=SOURCE)
    url = f"{assistant['channel']}/sessions/{session['session_id']}"
    assert call(url, "DELETE", token=session["token"], source=SOURCE)[0] == 204
    assert history(assistant["channel"], session)[0] == 401
    assert chat(assistant["channel"], session, "hello again", source=SOURCE)[0] == 401
    other = new_session(assistant["channel"], source=SOURCE)
    assert call(url, "DELETE", token=other["token"], source=SOURCE)[0] == 401  # nobody ends another's chat
    assert history(assistant["channel"], other)[0] == 200


def test_a_new_session_lasts_a_day_not_a_month(assistant):
    session = new_session(assistant["channel"], source=SOURCE)
    claims = jwt.decode(session["token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] <= 86400


def test_history_is_rate_limited(assistant):
    """Finding 8: GET .../history had no rate limit."""
    session = new_session(assistant["channel"], source="127.0.0.64")
    statuses = [history(assistant["channel"], session)[0] for _ in range(25)]
    assert statuses[0] == 200 and 429 in statuses
