"""Setting a message's intent from a component that knows better than the classifier."""

from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def set_intent(message: Message, name: str, confidence: float) -> None:
    """Makes `name` the intent, first in the ranking, keeping the classifier's other guesses."""
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name]
    chosen = {INTENT_NAME_KEY: name, "confidence": confidence}
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
