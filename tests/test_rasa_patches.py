"""The clinic's Rasa patches (clinic/rasa_patches/): the speed ones give Rasa's own answers, only faster;
all are refused when the installed Rasa no longer looks the way they were written for."""
import pickle
from pathlib import Path

import pytest
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from clinic.nlp.text_model import WordGrams, load_concepts
from clinic.rasa_patches import event_types


def test_event_types_resolve_to_the_same_classes_and_unknown_names_still_fail():
    expected = {cls.type_name: Event.resolve_by_type(cls.type_name) for cls in all_subclasses(Event)}
    original = Event.resolve_by_type
    try:
        event_types.apply()
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

    from clinic.rasa_patches.action_results import ActionResultValidator

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
    from clinic.rasa_patches import graph_order

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
        graph_order.apply()
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

    from clinic.rasa_patches import slot_copies

    slots = Domain.load(str(Path(__file__).resolve().parent.parent / "domain.yml")).slots
    for slot in slots:
        slot.value = ["a list"] if slot.type_name == "list" else slot.initial_value
    generic = [copy.copy(slot) for slot in slots]
    try:
        slot_copies.apply()
        direct = [copy.copy(slot) for slot in slots]
    finally:
        del Slot.__copy__
    assert [(type(s), vars(s)) for s in direct] == [(type(s), vars(s)) for s in generic]
    assert all(d is not s and d.__dict__ is not s.__dict__ for d, s in zip(direct, slots))
    direct[0].value = "changed"
    assert slots[0].value != "changed"


# The guard: the installed Rasa must still look the way every patch was written for.

def test_every_patch_fits_the_installed_rasa():
    from clinic import rasa_patches
    from clinic.rasa_patches.fit import problems

    assert problems(rasa_patches.ALL, rasa_patches.WRITTEN_FOR) == []
    assert {patch.__name__.rsplit(".", 1)[-1] for patch in rasa_patches.ALL} == {
        path.stem for path in Path(rasa_patches.__file__).parent.glob("*.py") if path.stem not in (
            "__init__", "__main__", "fit")}  # every patch module is listed, so every one is checked


def test_another_rasa_version_is_refused_by_name():
    from clinic import rasa_patches
    from clinic.rasa_patches.fit import problems

    found = problems(rasa_patches.ALL, rasa_patches.WRITTEN_FOR, rasa_version="3.6.22")
    assert found == ["Rasa 3.6.22 is installed; the patches were written for 3.6.21"]


@pytest.mark.parametrize("change, named", [
    ("del SQLTrackerStore._event_query", "conversation_cache: rasa.core.tracker_store.SQLTrackerStore._event_query: "
                                         "no longer exists"),
    ("SQLTrackerStore.save = lambda self, tracker, stream=True: None",
     "conversation_cache: rasa.core.tracker_store.SQLTrackerStore.save: parameters are now "
     "('self', 'tracker', 'stream'), the patch expects ('self', 'tracker')"),
    ("Slot.__copy__ = lambda self: self", "slot_copies: rasa.shared.core.slots.Slot.__copy__: Rasa now has one of its own"),
    ("Agent._create_tracker_store = Agent.is_ready",
     "no_memory_failover: rasa.core.agent.Agent._create_tracker_store: no longer uses FailSafeTrackerStore("),
])
def test_a_rasa_that_changed_a_patched_name_is_refused_by_name_and_nothing_is_patched(change, named, monkeypatch):
    """Each change is what an upgrade could do; the server refuses to start, saying which name."""
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.slots import Slot

    from clinic import rasa_patches

    owners = {"SQLTrackerStore": SQLTrackerStore, "Slot": Slot, "Agent": Agent}
    owner, attribute = change.split()[-1 if change.startswith("del") else 0].split(".")
    if change.startswith("del"):
        monkeypatch.delattr(owners[owner], attribute)
    else:
        monkeypatch.setattr(owners[owner], attribute, eval(change.split(" = ", 1)[1]), raising=False)
    retrieve = SQLTrackerStore.retrieve
    monkeypatch.setattr(rasa_patches, "_applied", set())
    with pytest.raises(rasa_patches.PatchesDoNotFit) as refused:
        rasa_patches.apply(environ={})
    assert named in str(refused.value)
    assert SQLTrackerStore.retrieve is retrieve  # refused before anything was changed


def test_the_rasa_server_refuses_to_start_on_a_rasa_it_was_not_written_for(tmp_path):
    """A real start of the Rasa server, with the installed version reported as another one."""
    import subprocess
    import sys

    (tmp_path / "sitecustomize.py").write_text(
        "import importlib.metadata as m\n"
        "real = m.version\n"
        "m.version = lambda name: '3.7.0' if name == 'rasa' else real(name)\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), "HOME": str(tmp_path)}
    started = subprocess.run([sys.executable, "-m", "clinic.servers.assistant", "--model", "models/none.tar.gz"],
                             cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True,
                             timeout=120)
    assert started.returncode == 1
    assert "Rasa 3.7.0 is installed; the patches were written for 3.6.21" in started.stderr


@pytest.mark.parametrize("setting, speed", [(None, True), ("on", True), ("off", False), (" OFF ", False)])
def test_the_speed_patches_go_off_with_a_setting(setting, speed):
    from clinic import rasa_patches

    assert rasa_patches.speedups_on({} if setting is None else {"CLINIC_RASA_SPEEDUPS": setting}) is speed


def test_a_misspelt_speed_setting_is_refused():
    from clinic import rasa_patches

    with pytest.raises(SystemExit, match="CLINIC_RASA_SPEEDUPS is 'of'; it takes on or off"):
        rasa_patches.speedups_on({"CLINIC_RASA_SPEEDUPS": "of"})
