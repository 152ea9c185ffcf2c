"""Model files without pickle (clinic/nlp/model_files.py): a pickle planted in a model archive is
refused and never run, through the same loading path Rasa takes (LocalModelStorage)."""
import json
import pickle

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource

from clinic.nlp import model_files, text_model
from clinic.nlp.intent_classifier import LinearIntentClassifier


class Payload:
    """Unpickled, it writes a file: the proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def small_model():
    samples = [(t, t.split()) for t in ["does it hurt", "is it painful", "how much is it", "what is the price",
                                        "is it safe", "can it harm me"]]
    return text_model.train(samples, ["pain", "pain", "price", "price", "safety", "safety"],
                            text_model.TextModelSettings())


def load_component(storage, resource):
    config = {**LinearIntentClassifier.get_default_config()}
    return LinearIntentClassifier.load(config, storage, resource, ExecutionContext(GraphSchema({}), "test"))


@pytest.fixture
def storage(tmp_path):
    (tmp_path / "storage").mkdir()
    return LocalModelStorage(tmp_path / "storage")


def test_a_component_stored_and_loaded_through_rasas_model_storage_ranks_as_trained(storage):
    resource = Resource("intent_classifier")
    model = small_model()
    with storage.write_to(resource) as directory:
        model_files.save(directory, model, {})
    component = load_component(storage, resource)
    ranked = text_model.ranking(component.trained["model"], [("is it dangerous", ["is", "it", "dangerous"])])
    assert ranked == text_model.ranking(model, [("is it dangerous", ["is", "it", "dangerous"])])


def test_a_pickle_beside_the_model_files_is_refused_and_never_run(storage, tmp_path, caplog):
    marker = tmp_path / "pwned"
    resource = Resource("intent_classifier")
    with storage.write_to(resource) as directory:
        model_files.save(directory, small_model(), {})
        (directory / "text_model.joblib").write_bytes(pickle.dumps({"model": Payload(marker)}))
    component = load_component(storage, resource)
    assert component.trained == {} and not marker.exists()
    assert "refused" in caplog.text and "text_model.joblib" in caplog.text


def test_an_array_of_python_objects_is_refused_and_never_run(storage, tmp_path, caplog):
    marker = tmp_path / "pwned"
    resource = Resource("intent_classifier")
    with storage.write_to(resource) as directory:
        model_files.save(directory, small_model(), {})
        arrays = dict(np.load(directory / model_files.ARRAYS_FILE))
        arrays["intercept"] = np.array([Payload(marker)], dtype=object)
        np.savez(directory / model_files.ARRAYS_FILE, **arrays)
    component = load_component(storage, resource)
    assert component.trained == {} and not marker.exists()
    assert "refused" in caplog.text


def test_model_files_of_another_format_or_shape_are_refused(tmp_path):
    model_files.save(tmp_path, small_model(), {})
    description = json.loads((tmp_path / model_files.JSON_FILE).read_text())
    (tmp_path / model_files.JSON_FILE).write_text(json.dumps({**description, "format": 1}))
    with pytest.raises(model_files.ModelFileRefused, match="format"):
        model_files.load(tmp_path)
    description["blocks"][0]["vocabulary"].popitem()
    (tmp_path / model_files.JSON_FILE).write_text(json.dumps(description))
    with pytest.raises(model_files.ModelFileRefused, match="shape"):
        model_files.load(tmp_path)
