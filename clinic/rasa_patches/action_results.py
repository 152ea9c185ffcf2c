"""Speed: each action server answer checked against the one schema shape its events name.

Replaces RemoteAction._validate_action_result. Rasa checks each answer with
`jsonschema.validate`, which first re-checks the whole schema against its
meta-schema: about 25 ms per custom action on 2 cores (py-spy, four patients),
more than the rest of a turn. Validators built once give the same verdict; an
answer they refuse goes through Rasa's own check, for its own error.
"""

from __future__ import annotations

from clinic.rasa_patches.fit import Name

ACTION = "rasa.core.actions.action"
REPLACES = (Name(ACTION, "RemoteAction._validate_action_result", ("self", "result")),)
RELIES_ON = (Name(ACTION, "RemoteAction.action_response_format_spec", ()),)


def apply() -> None:
    from rasa.core.actions.action import RemoteAction

    validator = ActionResultValidator(RemoteAction.action_response_format_spec())
    original = RemoteAction._validate_action_result

    def validate(self, result):
        if validator.is_valid(result):
            return True
        return original(self, result)  # Rasa's own path raises its own error message

    RemoteAction._validate_action_result = validate


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
        outline = {
            **schema,
            "properties": {
                **schema["properties"],
                "events": {
                    **schema["properties"]["events"],
                    "items": {k: v for k, v in events.items() if k != "oneOf"},
                },
            },
        }
        self._outline = validator_class(outline)  # everything but the per-type shapes
        self._shapes = {name: validator_class(shape) for name, shape in shapes.items()}

    def is_valid(self, result) -> bool:
        if not self._outline.is_valid(result):
            return False
        events = result.get("events") or [] if isinstance(result, dict) else []
        return all(event["event"] in self._shapes and self._shapes[event["event"]].is_valid(event) for event in events)
