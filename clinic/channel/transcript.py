"""A visitor's own transcript, from the Rasa tracker, for the widget to redraw."""

from __future__ import annotations

from typing import Any


def transcript(events: list[Any]) -> list[dict]:
    """Patient and assistant messages in order.

    A quick-reply payload shows as its button title; other "/intent" payloads
    (the widget's hidden "/greet") are not the patient's words and are left out.
    """
    turns: list[dict] = []
    last_buttons: list[dict] = []
    for event in events:
        if event.get("event") == "user" and event.get("text"):
            text = event["text"]
            titles = {b["payload"]: b["title"] for b in last_buttons}
            if text in titles or not text.startswith("/"):
                turns.append({"from": "patient", "text": titles.get(text, text)})
            last_buttons = []
        elif event.get("event") == "bot" and (event.get("text") or event.get("data", {}).get("buttons")):
            last_buttons = quick_replies(event.get("data", {}).get("buttons"))
            turns.append({"from": "assistant", "text": event.get("text") or "", "buttons": last_buttons})
    return turns


def quick_replies(buttons: list[dict] | None) -> list[dict]:
    """Only a button's title and payload go to the browser, both as plain strings."""
    return [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for b in buttons or []
        if b.get("title") and b.get("payload")
    ]
