"""Safety: a database outage surfaces honestly instead of being papered over in memory.

Replaces rasa.core.agent.FailSafeTrackerStore and the tracker store's
create_engine_kwargs. Rasa wraps the tracker store in a FailSafeTrackerStore:
when PostgreSQL is down it reads an empty conversation and saves the turn in
memory. The patient then gets an answer that forgot the conversation (a
booking's "yes" lands nowhere), the turn is gone once the database is back, and
the error it logs carries the SQL parameters, patient text included. Here the
outage surfaces instead: the channel answers with its "something went wrong,
please try again, or call" message (clinic/channel/messages.yml), the
conversation stays as it was, and the next message after the database returns
carries on. Connections are checked before use, so the first message after a
restart does not fail on a connection the restart closed.
"""

from __future__ import annotations

from clinic.rasa_patches.fit import Name

REPLACES = (
    Name(
        "rasa.core.agent", "FailSafeTrackerStore", ("tracker_store", "on_tracker_store_error", "fallback_tracker_store")
    ),
    Name("rasa.core.tracker_store", "create_engine_kwargs", ("url",)),
)
RELIES_ON = (
    Name("rasa.core.agent", "Agent._create_tracker_store", mentions=("FailSafeTrackerStore(",)),
    Name("rasa.core.tracker_store", "SQLTrackerStore.__init__", mentions=("create_engine_kwargs(",)),
)


def apply() -> None:
    import rasa.core.agent
    import rasa.core.tracker_store as tracker_store

    from clinic.db import pooled

    rasa.core.agent.FailSafeTrackerStore = lambda store: store

    create_engine_kwargs = tracker_store.create_engine_kwargs

    def checked_connections(url):
        # Checked before use (a restarted database), and SQLite files kept open (clinic/db/__init__.py).
        return {**create_engine_kwargs(url), "pool_pre_ping": True, **pooled(url)}

    tracker_store.create_engine_kwargs = checked_connections
