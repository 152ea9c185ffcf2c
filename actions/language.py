"""Notes the language a patient wrote in, so replies can be in Spanish where they can.

The NLU's language detector puts the language of the latest message in its
parse data; the reply (utter_other_language) picks its Spanish variation from
the slot `patient_language`, which must be set before the reply is written.
"""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from clinic import names

ANSWERED_IN = {"es"}  # languages with replies of their own; any other gets English


class ActionNoteLanguage(Action):
    def name(self) -> Text:
        return "action_note_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        code = (tracker.latest_message.get("language") or {}).get("code")
        return [SlotSet(names.PATIENT_LANGUAGE, code if code in ANSWERED_IN else "en")]
