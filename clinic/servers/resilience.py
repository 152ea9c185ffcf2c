"""How the Rasa server meets a database outage: honestly, and without losing anything.

Rasa wraps the tracker store in a `FailSafeTrackerStore`: when PostgreSQL is
down it reads an empty conversation and saves the turn in memory. The patient
then gets an answer that forgot the conversation (a booking's "yes" lands
nowhere), the turn is gone once the database is back, and the error it logs
carries the SQL parameters, patient text included. Here the outage surfaces
instead: the channel answers with its "something went wrong, please try again,
or call" message (clinic/channel/messages.yml), the conversation stays as it
was, and the next message after the database returns carries on. Connections
are checked before use, so the first message after a restart does not fail on
a connection the restart closed.

When the action server cannot run a booking or callback submit (it died, it
restarts), Rasa would log the failure, drop the action's events and go on: the
confirmation is behind the conversation, so the patient's "yes, send it" after
"please try again" lands nowhere and nothing is stored. Here the whole turn
fails instead: nothing of it is saved, the patient hears it did not go through,
and the same "yes" once the action server is back submits the request (once:
the store de-duplicates).
"""
from __future__ import annotations

MUST_RUN = frozenset({"action_submit_booking", "action_submit_callback"})


class TurnNotCompleted(BaseException):
    """A BaseException so that Rasa's "log it and carry on" handler lets it through to the channel."""


def apply(remote_action) -> None:
    original = remote_action.run

    async def run(self, *args, **kwargs):
        try:
            return await original(self, *args, **kwargs)
        except Exception as error:
            if self.name() in MUST_RUN:
                raise TurnNotCompleted(self.name()) from error
            raise

    remote_action.run = run
    not_failing_over_to_memory()


def not_failing_over_to_memory() -> None:
    import rasa.core.agent
    import rasa.core.tracker_store as tracker_store

    from clinic.store import pooled

    rasa.core.agent.FailSafeTrackerStore = lambda store: store

    create_engine_kwargs = tracker_store.create_engine_kwargs

    def checked_connections(url):
        # Checked before use (a restarted database), and SQLite files kept open (clinic/store.py).
        return {**create_engine_kwargs(url), "pool_pre_ping": True, **pooled(url)}

    tracker_store.create_engine_kwargs = checked_connections
