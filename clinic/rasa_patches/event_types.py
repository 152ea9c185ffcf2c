"""Speed: each stored event's class looked up once per name.

Replaces Event.resolve_by_type. Reading a conversation from the tracker store
looks up each event's class by walking every subclass of Event, once per event:
about 8 % of the server's time (py-spy). The classes are all imported at start,
so each name resolves to the same class for good.
"""

from __future__ import annotations

from clinic.rasa_patches.fit import Name

REPLACES = (Name("rasa.shared.core.events", "Event.resolve_by_type", ("type_name", "default")),)
RELIES_ON = ()


def apply() -> None:
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    resolved: dict = {}

    def resolve_by_type(type_name, default=None):
        key = (type_name, default)
        if key not in resolved:
            resolved[key] = original(type_name, default)  # an unknown name raises, as before, and is not kept
        return resolved[key]

    Event.resolve_by_type = staticmethod(resolve_by_type)
