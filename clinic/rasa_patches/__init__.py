"""Every change this project makes to Rasa's own code, in one place, checked before it is made.

Each module here replaces one thing in Rasa Open Source, says why and what it
gained, and lists the Rasa names it replaces (`REPLACES`) or relies on
(`RELIES_ON`). `apply` first checks the installed Rasa version against
WRITTEN_FOR and every listed name against what the patch expects, and refuses
to start otherwise, saying which (an upgrade is for a person to look at: a
replaced name that has moved would silently become an unused attribute, and
for the tracker store that would undo a safety fix).

Kinds: "safety" and "service" patches change what Rasa does, on purpose, and are
always on. "speed" patches give Rasa's own results faster; CLINIC_RASA_SPEEDUPS=off
turns them off (tests/test_rasa_patches_same_events.py shows the same events
either way).

The Rasa server applies them at start (clinic/servers/assistant.py); the gates run
Rasa's own commands with them through `python -m clinic.rasa_patches <rasa args>`.
"""

from __future__ import annotations

import logging
import os

from clinic.rasa_patches import (
    action_results,
    conversation_cache,
    event_types,
    failing_turns,
    graph_order,
    json_logs,
    no_memory_failover,
    service_routes,
    slot_copies,
)
from clinic.rasa_patches.fit import problems

logger = logging.getLogger(__name__)

WRITTEN_FOR = ("3.6.21",)
SPEED = (action_results, event_types, graph_order, slot_copies, conversation_cache)
ALWAYS = (failing_turns, no_memory_failover, service_routes)
ALL = (*SPEED, *ALWAYS, json_logs)
_applied: set[str] = set()


class PatchesDoNotFit(SystemExit):
    def __init__(self, found: list[str]) -> None:
        super().__init__(
            "error: the installed Rasa does not fit the clinic's patches (clinic/rasa_patches/):\n  "
            + "\n  ".join(found)
        )


def speedups_on(environ=None) -> bool:
    environ = os.environ if environ is None else environ
    setting = (environ.get("CLINIC_RASA_SPEEDUPS") or "on").strip().lower()
    if setting not in ("on", "off"):
        raise SystemExit(f"error: CLINIC_RASA_SPEEDUPS is {setting!r}; it takes on or off")
    return setting == "on"


def apply(environ=None, file_logging: bool = False) -> list[str]:
    """Checks, then applies every patch this process needs (once); the names of those applied."""
    speed = speedups_on(environ)
    if not speed:
        logger.warning("Rasa's speed patches are off (CLINIC_RASA_SPEEDUPS=off): same answers, more CPU a turn")
    chosen = [*ALWAYS, *(SPEED if speed else ()), *((json_logs,) if file_logging else ())]
    chosen = [patch for patch in chosen if patch.__name__ not in _applied]
    found = problems(chosen, WRITTEN_FOR)
    if found:
        raise PatchesDoNotFit(found)
    for patch in chosen:
        patch.apply()
        _applied.add(patch.__name__)
    names = sorted(name.rsplit(".", 1)[-1] for name in _applied)
    logger.info("Rasa patches applied: %s", ", ".join(names))
    return names
