"""Each patient message is one turn, however often it is sent.

The widget gives every message an id of its own (a random UUID, the same on
every retry of that message), and nginx and the widget send a message again
when a replica died or did not answer in time. The id is stored with the turn:
it is Rasa's own `message_id` of the patient's `user` event, saved in the
tracker store (PostgreSQL under `make prod`, SQLite under `make run`) with the
replies in the same save. So a repeated id, on whichever replica, is answered
with the replies that followed it, and no second turn is run:

- the first replica is still working on it: the repeat waits on the
  conversation's lock (the Redis lock store under `make prod`), then finds it;
- the first replica died before its turn was saved: nothing of the turn is
  stored (Rasa saves a turn at its end), so the repeat is a fresh turn;
- it died after the save, before its answer left: the repeat gets that answer.

The conversation's lock is Rasa's ticket lock, waited for as Rasa does, with one
difference (`conversation_lock`): a message that waits keeps its ticket alive.
Rasa's waiting ticket lapses `TICKET_LOCK_LIFETIME` after it was taken, like the
dead replica's ticket it waits behind; taken within a second of that one, both
lapse in the same poll, the lock is left with no ticket, and Rasa's waiter waits
for ever (seen: a message cut off by a kill, sent again by nginx, 60 s without an
answer).
"""
from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import Any, AsyncIterator, Iterable

import rasa.core.lock_store
from rasa.core.channels.channel import UserMessage
from rasa.core.lock import Ticket

MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def message_id_of(body: Any) -> str | None:
    """The id the widget gave the message, if it is one (a UUID or alike)."""
    value = body.get("message_id") if isinstance(body, dict) else None
    return value if isinstance(value, str) and MESSAGE_ID.match(value) else None


def earlier_replies(events: Iterable[dict], message_id: str | None) -> list[dict] | None:
    """The assistant's events that answered the patient's message `message_id` in this conversation
    (a `bot` event list, possibly empty), or None when no such message is stored."""
    if not message_id:
        return None
    found, replies = False, []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            if found:
                break
            found = event.get("message_id") == message_id
        elif found and kind == "bot":
            replies.append(event)
    return replies if found else None


@contextlib.asynccontextmanager
async def conversation_lock(store, conversation_id: str, lifetime: float | None = None,
                            wait: float = 0.5) -> AsyncIterator[None]:
    """Rasa's `LockStore.lock`, but a waiting ticket is renewed at each poll (a live waiter keeps its place; a
    dead holder's ticket lapses `lifetime` after it was taken), and a ticket lost to another writer's save is
    put back: the ticket lock's reads and writes are not atomic across replicas."""
    lifetime = lifetime or rasa.core.lock_store.LOCK_LIFETIME
    ticket = store.issue_ticket(conversation_id, lifetime)
    try:
        while True:
            lock = store.get_lock(conversation_id) or store.create_lock(conversation_id)
            lock.remove_expired_tickets()
            mine = next((t for t in lock.tickets if t.number == ticket), None)
            if mine is None:
                mine = Ticket(ticket, 0)
                lock.tickets.append(mine)
            if not lock.is_locked(ticket):
                if mine.expires < time.time() + lifetime / 2:  # taken back above: the turn gets its lifetime
                    mine.expires = time.time() + lifetime
                    store.save_lock(lock)
                break
            mine.expires = time.time() + lifetime
            store.save_lock(lock)
            await asyncio.sleep(wait)
        yield
    finally:
        store.cleanup(conversation_id, ticket)


async def handle_once(agent, message: UserMessage, message_id: str | None) -> list[dict] | None:
    """What Rasa's `Agent.handle_message` does, with the repeat check inside the conversation's lock:
    None when the turn ran now (the replies are in `message.output_channel`), else the stored replies
    of the earlier turn with the widget's `message_id` (None: a caller that gives no id, never a repeat)."""
    if not agent.is_ready():
        return None
    async with conversation_lock(agent.lock_store, message.sender_id):
        if message_id:
            tracker = await agent.tracker_store.retrieve(message.sender_id)
            earlier = earlier_replies((e.as_dict() for e in tracker.events) if tracker else [], message_id)
            if earlier is not None:
                return earlier
        await agent.processor.handle_message(message)
    return None
