"""A small client for the widget's channel, able to call from any 127.0.0.x
address so that per-IP rate limits can be tested in isolation."""
import http.client
import json
from urllib.parse import urlsplit


def call(url, method="GET", body=None, token=None, origin=None, source="127.0.0.1", raw=None,
         content_type="application/json"):
    """Returns (status, headers, json body or None)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60, source_address=(source, 0))
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if origin:
        headers["Origin"] = origin
    payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
    connection.request(method, parts.path, payload, headers)
    answer = connection.getresponse()
    text = answer.read()
    connection.close()
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = None
    return answer.status, {k.lower(): v for k, v in answer.getheaders()}, data


def new_session(channel, source="127.0.0.1"):
    status, _, session = call(f"{channel}/sessions", "POST", source=source)
    assert status == 201, session
    return session


def chat(channel, session, message, source="127.0.0.1", message_id=None):
    """`message_id`: the widget's id for the message (the same on every retry of it)."""
    body = {"message": message, **({"message_id": message_id} if message_id else {})}
    return call(f"{channel}/sessions/{session['session_id']}/messages", "POST", body,
                token=session["token"], source=source)


def history(channel, session, token=None):
    return call(f"{channel}/sessions/{session['session_id']}/history", token=token or session["token"])
