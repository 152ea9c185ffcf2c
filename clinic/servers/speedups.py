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
    2 cores, more than the rest of a turn. One validator, its schema checked once,
    gives the same verdict and the same error."""
    import jsonschema

    schema = remote_action.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    original = remote_action._validate_action_result

    def validate(self, result):
        if validator.is_valid(result):
            return True
        return original(self, result)  # Rasa's own path raises its own error message

    remote_action._validate_action_result = validate


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
