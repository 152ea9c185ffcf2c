"""Chat with the running assistant from a terminal, through the widget's own channel.

    clinic chat "does dry needling hurt?" ["how many sessions?" ...]
    clinic chat                      # one line per message; an empty line ends

The same door a patient uses (a session the server hands out, a signed token),
so nothing needs Rasa's plain REST channel.
"""

from __future__ import annotations

import sys
from typing import Iterable

import requests

CHANNEL_PATH = "/webhooks/clinic_web"


class ChatClient:
    def __init__(self, url: str):
        self.channel = url.rstrip("/") + CHANNEL_PATH
        answer = requests.post(f"{self.channel}/sessions", timeout=30)
        answer.raise_for_status()
        session = answer.json()
        self.session_id, self._token = session["session_id"], session["token"]

    def say(self, message: str) -> list[str]:
        answer = requests.post(
            f"{self.channel}/sessions/{self.session_id}/messages",
            json={"message": message},
            headers={"Authorization": f"Bearer {self._token}"},
            timeout=60,
        )
        body = answer.json()
        if "messages" not in body:  # a polite refusal (too long, too fast): show it as the assistant's line
            return [body.get("message") or f"(refused: {answer.status_code})"]
        return [m["text"] + "".join(f"\n  [{b['title']}]" for b in m.get("buttons") or []) for m in body["messages"]]


def chat(url: str, messages: Iterable[str], out=sys.stdout) -> int:
    try:
        client = ChatClient(url)
    except requests.RequestException as why:
        print(
            f"error: the assistant at {url} did not answer ({type(why).__name__}); is `make run` running?",
            file=sys.stderr,
        )
        return 1
    for message in messages:
        if not message.strip():
            break
        for line in client.say(message.strip()):
            print(f"assistant: {line}", file=out)
    return 0


def typed_lines():
    while True:
        try:
            yield input("you: ")
        except EOFError:
            return
