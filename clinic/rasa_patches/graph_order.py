"""Speed: the model graph's nodes called in dependency order, without dask's scheduler.

Replaces DaskGraphRunner.run. Rasa runs its model graph through dask four times a
turn (the NLU, then each next-action prediction), and dask's scheduler took a
tenth of the server's time (py-spy). The graph is small and runs on one thread
anyway, so its nodes are called in dependency order, planned once per set of
targets, with dask's own rules: a node gets its dependencies' results, a name
that is no node's is passed as it is, and a RuntimeError becomes Rasa's
GraphRunError.
"""

from __future__ import annotations

from clinic.rasa_patches.fit import Name

RUNNER = "rasa.engine.runner.dask"
REPLACES = (Name(RUNNER, "DaskGraphRunner.run", ("self", "inputs", "targets")),)
RELIES_ON = (
    Name(
        RUNNER,
        "DaskGraphRunner.__init__",
        ("self", "graph_schema", "model_storage", "execution_context", "hooks"),
        mentions=("self._graph_schema =", "self._instantiated_nodes"),
    ),
    Name("rasa.engine.graph", "GraphSchema.minimal_graph_schema", ("self", "targets")),
    Name("rasa.engine.exceptions", "GraphRunError"),
)


def apply() -> None:
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    dask_run = DaskGraphRunner.run

    def run(self, inputs=None, targets=None):
        targets = targets if targets else self._graph_schema.target_names
        steps = graph_plan(self, tuple(targets))
        inputs = inputs or {}
        if any(name in self._graph_schema.nodes for name in inputs) or any(
            isinstance(value, str) and (value in inputs or any(value == step[0] for step in steps))
            for value in inputs.values()
        ):
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
        plans[targets] = [
            (name, runner._instantiated_nodes[name], list(schema.nodes[name].needs.values())) for name in order
        ]
    return plans[targets]
