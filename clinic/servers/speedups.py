"""Rasa's hot spots, fixed when the assistant starts (measured with py-spy under
four patients at once on 2 cores). Each gives the same result as Rasa's own
code; only the repeated work goes.
"""
from __future__ import annotations

from clinic.servers import conversation_cache


def apply(remote_action) -> None:
    checking_action_results_once(remote_action)
    resolving_event_types_once()
    running_graphs_in_order()
    copying_slots_directly()
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


def copying_slots_directly() -> None:
    """Rasa copies every slot of the domain each time it builds a tracker, dozens of
    times a turn while the rule policy replays the conversation, through copy.copy's
    generic pickle protocol (a twentieth of the server's time). Slots are plain
    objects, so a new one with the same attributes is what copy.copy makes."""
    from rasa.shared.core.slots import Slot

    def __copy__(self):
        copied = self.__class__.__new__(self.__class__)
        copied.__dict__.update(self.__dict__)
        return copied

    Slot.__copy__ = __copy__


def running_graphs_in_order() -> None:
    """Rasa runs its model graph through dask four times a turn (the NLU, then each
    next-action prediction), and dask's scheduler took a tenth of the server's time.
    The graph is small and runs on one thread anyway, so its nodes are called in
    dependency order, planned once per set of targets, with dask's own rules: a
    node gets its dependencies' results, a name that is no node's is passed as it
    is, and a RuntimeError becomes Rasa's GraphRunError."""
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    dask_run = DaskGraphRunner.run

    def run(self, inputs=None, targets=None):
        targets = targets if targets else self._graph_schema.target_names
        steps = graph_plan(self, tuple(targets))
        inputs = inputs or {}
        if any(name in self._graph_schema.nodes for name in inputs) or any(
                isinstance(value, str) and (value in inputs or any(value == step[0] for step in steps))
                for value in inputs.values()):
            return dask_run(self, inputs, targets)  # unusual inputs: Rasa's own run, its own errors
        results = {name: (name, value) for name, value in inputs.items()}
        try:
            for name, node, needs in steps:
                results[name] = node(*(results.get(need, need) for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in targets)

    DaskGraphRunner.run = run


def graph_plan(runner, targets: tuple) -> list:
    """(name, node, names it needs) for every node the targets need, dependencies first."""
    plans = runner.__dict__.setdefault("_clinic_plans", {})
    if targets not in plans:
        schema = runner._graph_schema.minimal_graph_schema(list(targets))
        order: list[str] = []

        def place(name: str) -> None:
            if name in schema.nodes and name not in order:
                for need in schema.nodes[name].needs.values():
                    place(need)
                order.append(name)  # Rasa's graphs are acyclic (checked when the model is trained)

        for name in schema.nodes:
            place(name)
        plans[targets] = [(name, runner._instantiated_nodes[name], list(schema.nodes[name].needs.values()))
                          for name in order]
    return plans[targets]
