"""Starts each conversation with the clinic profile loaded into slots.

Responses name the clinic's phone, email and emergency number through slots
({clinic_phone}, ...), so the facts live in one file: clinic/profile.yml.
"""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from clinic.profile import clinic_profile


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        profile_slots = [SlotSet(name, value) for name, value in clinic_profile().as_slots().items()]
        return [SessionStarted(), *profile_slots, ActionExecuted("action_listen")]
