"""Honest scope: an unsure message that clearly asks something ("do you have parking?", "is it ok
on eliquis?") is told the article does not cover it, with the clinic's contact details; the
rephrase prompt is for messages with no readable question ("blorf zzkt", "hmm"). A message the risk
guard found naming a risk with no topic of its own ("and for my daughter? she is 12") is about
something the article does not cover, however it is worded.
"""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from clinic.nlp.questions import asks_something
from clinic.nlp.risk_guard import RISK_KEY


class ActionRephraseOrSayNotCovered(Action):
    def name(self) -> Text:
        return "action_rephrase_or_say_not_covered"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        named_a_risk = bool(tracker.latest_message.get(RISK_KEY))
        dispatcher.utter_message(
            response="utter_not_in_article" if named_a_risk or asks_something(text) else "utter_rephrase"
        )
        return []
