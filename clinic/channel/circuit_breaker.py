"""Watches Rasa's circuit breaker: a trip is an error, counted, and never silences a conversation.

Rasa stops a turn after too many actions without "listen" and, unless told
otherwise, leaves the conversation in that state: every later message trips
the breaker again at once and gets no reply, emergencies included. The watch
logs the trip as an error with the conversation id, counts it, and ends the
turn with "listen" so the next message is answered as usual.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted

logger = logging.getLogger(__name__)


class CircuitBreakerWatch:
    def __init__(self) -> None:
        self.trips = 0

    def __call__(self, tracker: Any, output_channel: Any, nlg: Any) -> None:
        self.trips += 1
        logger.error(
            "circuit breaker tripped in conversation %s (trip %d since start): the turn ended without a reply",
            tracker.sender_id,
            self.trips,
        )
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))

    def watch(self, processor: Any) -> None:
        """Installs the watch on the agent's current processor (a model reload makes a new one)."""
        if processor is not None and processor.on_circuit_break is None:
            processor.on_circuit_break = self


circuit_breaker = CircuitBreakerWatch()
