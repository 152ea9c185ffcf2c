"""Rasa's hot spots, fixed when the assistant starts (measured with py-spy under
four patients at once on 2 cores). Each gives the same result as Rasa's own
code; only the repeated work goes.
"""
from __future__ import annotations

from clinic.servers import conversation_cache


def apply(remote_action) -> None:
    checking_action_results_once(remote_action)
    resolving_event_types_once()
    conversation_cache.install()  # conversations read back from memory while the database agrees


def checking_action_results_once(remote_action) -> None:
    """Rasa checks each action server answer with `jsonschema.validate`, which first
    re-checks the whole schema against its meta-schema: ~25 ms per custom action on
    2 cores, more than the rest of a turn. Validators built once give the same
    verdict; an answer they refuse goes through Rasa's own check, for its own error."""
    validator = ActionResultValidator(remote_action.action_response_format_spec())
    original = remote_action._validate_action_result

    def validate(self, result):
        if validator.is_valid(result):
            return True
        return original(self, result)  # Rasa's own path raises its own error message

    remote_action._validate_action_result = validate


class ActionResultValidator:
    """Rasa's schema says each event is `oneOf` 23 shapes, one per event type, told apart
    by `event: {const: <type>}`. Checking all 23 for every event was a twentieth of the
    server's time; checking the one shape its type names gives the same verdict: the
    other 22 can never match an event of that type."""

    def __init__(self, schema: dict) -> None:
        import jsonschema

        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        events = schema["properties"]["events"]["items"]
        shapes = {shape["properties"]["event"]["const"]: shape for shape in events["oneOf"]}
        if len(shapes) != len(events["oneOf"]):
            raise ValueError("Rasa's event shapes are no longer told apart by their type")
        outline = {**schema, "properties": {**schema["properties"], "events": {
            **schema["properties"]["events"], "items": {k: v for k, v in events.items() if k != "oneOf"}}}}
        self._outline = validator_class(outline)  # everything but the per-type shapes
        self._shapes = {name: validator_class(shape) for name, shape in shapes.items()}

    def is_valid(self, result) -> bool:
        if not self._outline.is_valid(result):
            return False
        events = result.get("events") or [] if isinstance(result, dict) else []
        return all(event["event"] in self._shapes and self._shapes[event["event"]].is_valid(event) for event in events)


def resolving_event_types_once() -> None:
    """Reading a conversation from the tracker store looks up each event's class by
    walking every subclass of Event, once per event: ~8 % of the server's time. The
    classes are all imported at start, so each name resolves to the same class for good."""
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    resolved: dict = {}

    def resolve_by_type(type_name, default=None):
        key = (type_name, default)
        if key not in resolved:
            resolved[key] = original(type_name, default)  # an unknown name raises, as before, and is not kept
        return resolved[key]

    Event.resolve_by_type = staticmethod(resolve_by_type)
