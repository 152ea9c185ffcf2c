"""The other questions of a message, answered after the first.

The answer selector finds every question in a message (clinic/nlp/questions.py)
and chooses the first one asked for `utter_faq`; this action answers the rest,
in the order asked, each after a short lead-in, and keeps the conversation's
topic (slot `faq_topic`, shown to staff) for follow-ups such as "does that hurt?".
"""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from clinic import names


def chosen_answer(latest_message: dict) -> str | None:
    """The answer `utter_faq` gave, e.g. "faq/does_it_hurt"."""
    selected = (latest_message.get("response_selector") or {}).get("default") or {}
    return (selected.get("response") or {}).get("intent_response_key")


class ActionAnswerOtherQuestions(Action):
    def name(self) -> Text:
        return "action_answer_other_questions"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        first = chosen_answer(tracker.latest_message)
        others = [q["topic"] for q in tracker.latest_message.get("questions") or [] if q["topic"] != first]
        for topic in others:
            dispatcher.utter_message(response="utter_another_question")
            dispatcher.utter_message(response=f"utter_{topic}")
        topic = others[-1] if others else first
        return [SlotSet(names.TOPIC, topic)] if topic else []
