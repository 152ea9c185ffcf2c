"""The parts of "each patient message is one turn" (clinic/channel/once.py) on their own: finding the reply a
message id already had, and the conversation's lock behind a replica that died holding it (memory and Redis)."""
import asyncio
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore

from clinic.channel.once import conversation_lock, earlier_replies, message_id_of


def test_the_reply_to_an_id_is_what_the_assistant_said_after_it_until_the_next_message():
    events = [{"event": "action", "name": "action_listen"},
              {"event": "user", "text": "hi", "message_id": "first-0001"},
              {"event": "bot", "text": "Hello!"}, {"event": "bot", "text": "How can I help?"},
              {"event": "action", "name": "action_listen"},
              {"event": "user", "text": "thanks", "message_id": "second-0002"},
              {"event": "action", "name": "action_listen"}]
    assert [e["text"] for e in earlier_replies(events, "first-0001")] == ["Hello!", "How can I help?"]
    assert earlier_replies(events, "second-0002") == []  # stored, answered with nothing: the same again
    assert earlier_replies(events, "third-0003") is None and earlier_replies(events, None) is None


def test_only_an_id_that_looks_like_one_counts():
    assert message_id_of({"message_id": str(uuid.uuid4())}) is not None
    for body in ({"message_id": "short"}, {"message_id": "x" * 65}, {"message_id": "a b c d e f g"},
                 {"message_id": 12345678}, {}, ["message_id"], None):
        assert message_id_of(body) is None


@pytest.fixture(params=["memory", "redis"])
def lock_store(request):
    if request.param == "memory":
        return InMemoryLockStore()
    url = urlsplit(request.getfixturevalue("redis_url"))
    return RedisLockStore(host=url.hostname, port=url.port, db=int(url.path.strip("/") or 0),
                          key_prefix=f"test-{uuid.uuid4().hex[:8]}")


def test_a_message_waiting_behind_a_dead_replicas_lock_gets_it_when_that_lapses(lock_store):
    """The dead replica's ticket was taken just before the waiter's: Rasa's own waiting ticket lapses in the
    same poll as the dead one, and its waiter then waits for ever."""
    conversation = f"web-{uuid.uuid4().hex}"
    lock_store.issue_ticket(conversation, 1.0)  # a replica killed mid-turn: its ticket is never given back

    async def turn():
        started = time.monotonic()
        async with conversation_lock(lock_store, conversation, lifetime=1.0, wait=0.4):
            return time.monotonic() - started

    waited = asyncio.run(asyncio.wait_for(turn(), 5))
    assert 0.9 <= waited < 2.5
    assert lock_store.get_lock(conversation) is None, "given back after the turn"


def test_turns_of_one_conversation_take_the_lock_one_at_a_time_in_order(lock_store):
    conversation, inside, order = f"web-{uuid.uuid4().hex}", [], []

    async def turn(n):
        await asyncio.sleep(n * 0.01)
        async with conversation_lock(lock_store, conversation, lifetime=5, wait=0.05):
            inside.append(n)
            assert len(inside) == 1
            await asyncio.sleep(0.1)
            order.append(n)
            inside.remove(n)

    async def all_turns():
        await asyncio.gather(*(turn(n) for n in range(4)))

    asyncio.run(all_turns())
    assert order == [0, 1, 2, 3]


def test_two_replicas_taking_the_lock_at_the_same_moment_take_turns(redis_url):
    """Two lock stores on one Redis (two replicas), in threads of their own, start together, again and again."""
    url, prefix = urlsplit(redis_url), f"test-{uuid.uuid4().hex[:8]}"
    conversation, inside, most, rounds = f"web-{uuid.uuid4().hex}", [], [0], 30
    start = threading.Barrier(2)

    def replica():
        store = RedisLockStore(host=url.hostname, port=url.port, db=int(url.path.strip("/") or 0), key_prefix=prefix)

        async def turn():
            async with conversation_lock(store, conversation, lifetime=5, wait=0.01):
                inside.append(1)
                most[0] = max(most[0], len(inside))
                await asyncio.sleep(0.005)
                inside.pop()

        for _ in range(rounds):
            start.wait(10)
            asyncio.run(turn())

    replicas = [threading.Thread(target=replica) for _ in range(2)]
    for thread in replicas:
        thread.start()
    for thread in replicas:
        thread.join(60)
    assert most[0] == 1
