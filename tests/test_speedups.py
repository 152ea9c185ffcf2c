"""The assistant's fixes for Rasa's hot spots give Rasa's own answers, only faster."""
import pickle
from pathlib import Path

import pytest
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from clinic.nlp.text_model import WordGrams, load_concepts
from clinic.servers.speedups import resolving_event_types_once


def test_event_types_resolve_to_the_same_classes_and_unknown_names_still_fail():
    expected = {cls.type_name: Event.resolve_by_type(cls.type_name) for cls in all_subclasses(Event)}
    original = Event.resolve_by_type
    try:
        resolving_event_types_once()
        assert {name: Event.resolve_by_type(name) for name in expected} == expected
        with pytest.raises(ValueError):
            Event.resolve_by_type("no_such_event")
        assert Event.resolve_by_type("topic") is None  # Rasa's old TopicSet events are still skipped
    finally:
        Event.resolve_by_type = original


def test_concept_features_survive_pickling_and_match_phrases_of_several_words():
    grams = WordGrams(load_concepts(), replace=True)
    sample = ("how much is it with my health fund", ["how", "much", "be", "it", "with", "my", "health", "fund"])
    features = grams(sample)
    assert "concept:price" in features and "concept:insurance" in features
    assert "health" not in features  # replaced by its concept
    assert pickle.loads(pickle.dumps(grams))(sample) == features


def test_action_results_get_the_full_schemas_verdict_valid_or_not():
    import jsonschema
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import (ActionExecuted, ActiveLoop, AllSlotsReset, BotUttered, FollowupAction,
                                         LoopInterrupted, Restarted, SessionStarted, SlotSet, UserUttered,
                                         UserUtteranceReverted)

    from clinic.servers.speedups import ActionResultValidator

    schema = RemoteAction.action_response_format_spec()
    full, quick = jsonschema.validators.validator_for(schema)(schema), ActionResultValidator(schema)
    events = [e.as_dict() for e in (
        SlotSet("faq_topic", "needling_pain"), SlotSet("red_flags", ["saddle_numbness"]), BotUttered("hi", {}, {}),
        ActiveLoop("booking_form"), ActiveLoop(None), FollowupAction("action_listen"), Restarted(), SessionStarted(),
        AllSlotsReset(), UserUtteranceReverted(), LoopInterrupted(True), ActionExecuted("utter_faq"),
        UserUttered("does it hurt", {"name": "faq", "confidence": 0.9}, [], {"text": "does it hurt"}))]
    odd_values = [None, 3, "text", [1], {"a": 1}, 1.5, True]
    results = [{"events": events, "responses": [{"response": "utter_greet"}]}, {}, {"events": []}, [], "no",
               {"events": "no"}, {"events": None}, {"events": [3]}, {"events": [None]}, {"events": [{}]},
               {"events": [{"event": "no_such_event"}]}, {"events": [{"event": 3}]}, {"responses": 3}]
    for event in events:
        for field in event:
            results += [{"events": [{**event, field: value}]} for value in odd_values]
        results.append({"events": [{k: v for k, v in event.items() if k != "event"}]})
    verdicts = [(full.is_valid(r), quick.is_valid(r)) for r in results]
    assert all(f == q for f, q in verdicts), [r for r, (f, q) in zip(results, verdicts) if f != q][:3]
    assert sum(f for f, _ in verdicts) > 20 and sum(not f for f, _ in verdicts) > 20  # both kinds were tried


def test_graphs_run_in_order_give_dasks_own_parses_and_predictions(trained_model):
    import asyncio

    from rasa.core.agent import Agent
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from clinic import knowledge
    from clinic.servers.speedups import running_graphs_in_order

    agent = Agent.load(str(trained_model))
    held_out = Path(__file__).resolve().parent / "nlu_heldout.yml"
    texts = [text for _, text in knowledge.examples(held_out)][::3] + [
        "I want to book an appointment", "my legs are numb and I can't control my bladder", "ok", "no", "blorf",
        "¿es segura la punción seca?", "does it hurt and how many sessions will I need and what does it cost"]

    def run_all():
        parses, predictions = [], []
        for text in texts:
            parse = asyncio.run(agent.parse_message(text))
            parses.append(parse)
            tracker = DialogueStateTracker.from_events("patient", [ActionExecuted("action_listen")],
                                                       agent.domain.slots)
            tracker.update(UserUttered(text, parse["intent"], parse["entities"], parse))
            for _ in range(3):  # the next actions, as the processor predicts them one after another
                prediction = agent.processor._predict_next_with_tracker(tracker)
                action = agent.domain.action_names_or_texts[prediction.max_confidence_index]
                predictions.append((action, prediction.max_confidence, prediction.policy_name))
                tracker.update(ActionExecuted(action))
        return parses, predictions

    dask_run = DaskGraphRunner.run
    with_dask = run_all()
    try:
        running_graphs_in_order()
        in_order = run_all()
    finally:
        DaskGraphRunner.run = dask_run
    assert rounded(in_order) == rounded(with_dask)  # lingua's confidences can differ in the 16th digit
    assert len({action for action, _, _ in with_dask[1]}) > 5  # many different paths were tried


def rounded(value):
    """The same structure with every float to 9 decimals."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(rounded(item) for item in value)
    return value


def test_slots_copy_as_copy_copy_copies_them():
    import copy

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.slots import Slot

    from clinic.servers.speedups import copying_slots_directly

    slots = Domain.load(str(Path(__file__).resolve().parent.parent / "domain.yml")).slots
    for slot in slots:
        slot.value = ["a list"] if slot.type_name == "list" else slot.initial_value
    generic = [copy.copy(slot) for slot in slots]
    try:
        copying_slots_directly()
        direct = [copy.copy(slot) for slot in slots]
    finally:
        del Slot.__copy__
    assert [(type(s), vars(s)) for s in direct] == [(type(s), vars(s)) for s in generic]
    assert all(d is not s and d.__dict__ is not s.__dict__ for d, s in zip(direct, slots))
    direct[0].value = "changed"
    assert slots[0].value != "changed"
