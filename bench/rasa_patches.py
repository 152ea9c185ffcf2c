"""What each speed patch of clinic/rasa_patches/ still gains, measured one by one in this process.

Each hot spot is timed with Rasa's own code, then with the patch: a speed patch
whose gain can no longer be measured should be dropped (issue: "drop any speed
patch whose gain you can no longer measure"). The whole turn, with and without
them all, is bench/latency.py with CLINIC_RASA_SPEEDUPS=off.

    python bench/rasa_patches.py [models/clinic.tar.gz]
"""

from __future__ import annotations

import asyncio
import copy
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

MESSAGES = ["does dry needling hurt?", "how many sessions will I need", "is it safe", "what causes sciatica",
            "I want to book an appointment", "my legs are numb and I can't control my bladder", "ok"]


def per_call_ms(work, repeat: int = 7) -> float:
    """The median over `repeat` runs of work(), in milliseconds a call (work returns its number of calls)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        calls = work()
        times.append((time.perf_counter() - started) * 1000 / calls)
    return statistics.median(times)


def repeated(times: int, call) -> int:
    for _ in range(times):
        call()
    return times


def main() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.utils.common import all_subclasses

    from rasa.utils.log_utils import configure_structlog

    from clinic.rasa_patches import action_results, conversation_cache, event_types, graph_order, slot_copies

    configure_structlog(logging.WARNING)  # Rasa's structured debug lines would print every parse

    model = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "models" / "clinic.tar.gz")
    agent = Agent.load(model)
    domain = agent.domain
    names = [cls.type_name for cls in all_subclasses(Event) if getattr(cls, "type_name", None)]
    answer = {"events": [{"event": "slot", "name": "faq_topic", "value": "faq/does_it_hurt", "timestamp": None},
                         {"event": "bot", "text": "It may feel like a pinch.", "data": {}, "metadata": {},
                          "timestamp": None}], "responses": []}
    remote = RemoteAction("action_answer_other_questions", None)
    workdir = tempfile.mkdtemp()
    store = SQLTrackerStore(domain, dialect="sqlite", db=f"{workdir}/rasa.db")
    events = [ActionExecuted("action_listen")]
    for n in range(20):
        events += [UserUttered(f"question {n}", {"name": "faq"}), ActionExecuted("utter_faq"),
                   BotUttered(f"answer {n}"), SlotSet("faq_topic", "faq/does_it_hurt"), ActionExecuted("action_listen")]
    asyncio.run(store.save(DialogueStateTracker.from_events("patient", events, domain.slots)))

    hot_spots = {
        "graph_order: parse a message (DaskGraphRunner.run)": (
            graph_order, lambda: sum(repeated(1, lambda m=t: asyncio.run(agent.parse_message(m))) for t in MESSAGES)),
        "event_types: resolve an event name (Event.resolve_by_type)": (
            event_types, lambda: sum(repeated(20, lambda n=name: Event.resolve_by_type(n)) for name in names)),
        "slot_copies: copy every slot of the domain (Slot.__copy__)": (
            slot_copies, lambda: repeated(50, lambda: [copy.copy(slot) for slot in domain.slots])),
        "action_results: check an action server answer (RemoteAction._validate_action_result)": (
            action_results, lambda: repeated(20, lambda: remote._validate_action_result(answer))),
        "conversation_cache: read a 100-event conversation (SQLTrackerStore.retrieve)": (
            conversation_cache, lambda: repeated(20, lambda: asyncio.run(store.retrieve("patient")))),
    }
    before = {name: per_call_ms(work) for name, (_, work) in hot_spots.items()}
    for patch, _ in hot_spots.values():
        patch.apply()
    asyncio.run(store.retrieve("patient"))  # the patched read keeps the conversation it reads first
    print(f"{'hot spot':86} {'Rasa ms':>9} {'patched ms':>11} {'gain':>7}")
    for name, (_, work) in hot_spots.items():
        after = per_call_ms(work)
        print(f"{name:86} {before[name]:9.3f} {after:11.3f} {before[name] / after:6.1f}×")


if __name__ == "__main__":
    main()
