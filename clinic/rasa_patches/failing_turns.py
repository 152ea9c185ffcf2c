"""Safety: a booking or callback that could not be submitted fails the whole turn.

Replaces RemoteAction.run and MessageProcessor._run_action. When the action
server cannot run a submit (it died, it restarts), Rasa logs the failure, drops
the action's events and goes on: the confirmation is behind the conversation,
so the patient's "yes, send it" after "please try again" lands nowhere and
nothing is stored. Here the turn raises TurnNotCompleted instead, before Rasa
saves anything: the channel tells the patient it did not go through, and the
same "yes" once the action server is back submits the request (once: the store
de-duplicates).
"""

from __future__ import annotations

import contextvars

from clinic.rasa_patches.fit import Name

MUST_RUN = frozenset({"action_submit_booking", "action_submit_callback"})
REPLACES = (
    Name("rasa.core.actions.action", "RemoteAction.run", ("self", "output_channel", "nlg", "tracker", "domain")),
    Name(
        "rasa.core.processor",
        "MessageProcessor._run_action",
        ("self", "action", "tracker", "output_channel", "nlg", "prediction"),
        mentions=("except Exception:", "events = []"),
    ),
)  # Rasa's "log it and carry on"
RELIES_ON = ()

# The failure of a must-run action in the turn being processed (Rasa's handler swallows the error itself).
_failed: contextvars.ContextVar[list] = contextvars.ContextVar("clinic_failed_submits")


class TurnNotCompleted(Exception):
    """A submit that must run could not; nothing of the turn was saved."""


def apply() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    run_remote = RemoteAction.run
    run_action = MessageProcessor._run_action

    async def run(self, *args, **kwargs):
        try:
            return await run_remote(self, *args, **kwargs)
        except Exception as error:
            if self.name() in MUST_RUN:
                _failed.get([]).append(error)
            raise

    async def _run_action(self, action, *args, **kwargs):
        if action.name() not in MUST_RUN:
            return await run_action(self, action, *args, **kwargs)
        failures: list = []
        token = _failed.set(failures)
        try:
            carry_on = await run_action(self, action, *args, **kwargs)
        finally:
            _failed.reset(token)
        if failures:
            raise TurnNotCompleted(action.name()) from failures[0]
        return carry_on

    RemoteAction.run = run
    MessageProcessor._run_action = _run_action
