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

The conversation's lock is Rasa's ticket lock in Rasa's lock store, with two
differences (`conversation_lock`), both seen under the kill test. A message that
waits keeps its ticket alive: Rasa's waiting ticket lapses `TICKET_LOCK_LIFETIME`
after it was taken, like the dead replica's ticket it waits behind; taken within
a second of that one, both lapse in the same poll and Rasa's waiter waits for
ever. And each change of the lock is atomic: Rasa reads, changes and writes it
apart, so the same message sent to two replicas at once could take ticket 0 on
both and run two turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from typing import Any, AsyncIterator, Callable, Iterable

import rasa.core.lock_store
from rasa.core.channels.channel import UserMessage
from rasa.core.lock import Ticket, TicketLock
from redis.exceptions import WatchError

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


def _change(store, conversation_id: str, change: Callable[[TicketLock], Any]) -> Any:
    """Reads the conversation's lock, applies `change`, writes it back (deleted when no ticket is left), as one
    step: on Redis a transaction (WATCH: tried again when another replica wrote in between), in memory one
    step of the event loop. Rasa's own read, change and write apart let two replicas take ticket 0 together."""
    red = getattr(store, "red", None)
    if red is None:
        lock = store.get_lock(conversation_id) or store.create_lock(conversation_id)
        result = change(lock)
        store.save_lock(lock) if lock.tickets else store.delete_lock(conversation_id)
        return result
    key = store.key_prefix + conversation_id
    with red.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                stored = pipe.get(key)
                lock = TicketLock.from_dict(json.loads(stored)) if stored else TicketLock(conversation_id)
                result = change(lock)
                pipe.multi()
                pipe.set(key, lock.dumps()) if lock.tickets else pipe.delete(key)
                pipe.execute()
                return result
            except WatchError:
                continue


@contextlib.asynccontextmanager
async def conversation_lock(
    store, conversation_id: str, lifetime: float | None = None, wait: float = 0.5
) -> AsyncIterator[None]:
    """Rasa's `LockStore.lock` (tickets served in order, each lapsing `lifetime` after its last renewal), with
    each change of the lock one atomic step, and a waiting ticket renewed at each poll: a live waiter keeps its
    place, a dead replica's ticket lapses."""
    lifetime = lifetime or rasa.core.lock_store.LOCK_LIFETIME

    def take(lock: TicketLock) -> int:
        return lock.issue_ticket(lifetime)

    ticket = _change(store, conversation_id, take)

    def renew(lock: TicketLock) -> bool:
        lock.remove_expired_tickets()
        mine = next((t for t in lock.tickets if t.number == ticket), None)
        if mine is None:  # lapsed (the event loop stood still for a lifetime): queue again
            mine = Ticket(ticket, 0)
            lock.tickets.append(mine)
        mine.expires = time.time() + lifetime
        return not lock.is_locked(ticket)

    def give_back(lock: TicketLock) -> None:
        lock.tickets = [t for t in lock.tickets if t.number != ticket]

    try:
        while not _change(store, conversation_id, renew):
            await asyncio.sleep(wait)
        yield
    finally:
        _change(store, conversation_id, give_back)


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
