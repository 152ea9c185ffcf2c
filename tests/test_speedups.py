"""The assistant's fixes for Rasa's hot spots give Rasa's own answers, only faster."""
import pickle

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
