"""The text model's quick scorer gives scikit-learn's own probabilities."""
import tarfile
from pathlib import Path

import numpy as np
import pytest
import spacy

from clinic import knowledge
from clinic.nlp import model_files, pipeline, text_model

HELD_OUT = Path(__file__).resolve().parent / "nlu_heldout.yml"


@pytest.fixture(scope="module")
def nlp():
    return spacy.load(pipeline.ensure_built())


@pytest.fixture(scope="module")
def served_models(trained_model, tmp_path_factory):
    """The intent classifier's and the answer selector's text models, as the trained assistant stores them."""
    folder = tmp_path_factory.mktemp("model")
    with tarfile.open(trained_model) as archive:
        archive.extractall(folder)
    assert not list(folder.glob("**/*.joblib")) and not list(folder.glob("**/*.pkl"))
    return {path.parent.name: model_files.load(path.parent)[0] for path in folder.glob("**/text_model.json")}


def test_the_served_models_are_stored_without_pickle_and_rank_the_held_out_set(nlp, served_models):
    assert len(served_models) == 2
    held_out = list(knowledge.examples(HELD_OUT))
    samples = text_model.lemmas_of(nlp, [text for _, text in held_out])
    for model in served_models.values():
        rows = model.predict_proba(samples)
        np.testing.assert_allclose(rows.sum(axis=1), 1.0, atol=1e-9)
        # Its own labels: "faq" and the other intents, or the FAQ answers ("faq/does_it_hurt").
        expected = [label if label in model.classes_ else label.split("/")[0] for label, _ in held_out]
        mine = [i for i, label in enumerate(expected) if label in model.classes_]
        right = [model.classes_[rows[i].argmax()] == expected[i] for i in mine]
        assert len(mine) > 200 and np.mean(right) > 0.95  # a model that learned, not a blank one


def test_quick_scores_are_scikit_learns_and_survive_the_model_files(nlp, tmp_path):
    """Trained on the knowledge base, saved as JSON and arrays, loaded: scikit-learn's own figures."""
    examples = [(intent, text) for intent, texts in knowledge.training_examples().items() for text in texts]
    model = text_model.train(text_model.lemmas_of(nlp, [t for _, t in examples]), [i for i, _ in examples],
                             text_model.TextModelSettings(C=500, concepts="replace", concept_weight=2,
                                                          meaning_weight=1.0))
    model_files.save(tmp_path, model, {"kept": ["beside", "it"]})
    loaded, extra = model_files.load(tmp_path)
    assert extra == {"kept": ["beside", "it"]} and list(loaded.classes_) == list(model.classes_)
    patients = [text for _, text in knowledge.examples(HELD_OUT)] + ["", "???", "zzzz qqqq"]  # and nothing known
    samples = text_model.lemmas_of(nlp, patients)
    assert text_model.QuickScorer.fits(model)
    quick = np.array([text_model.QuickScorer(model).probabilities(sample) for sample in samples])
    np.testing.assert_allclose(quick, model.predict_proba(samples), rtol=0, atol=1e-9)
    np.testing.assert_allclose(loaded.predict_proba(samples), quick, rtol=0, atol=1e-12)
    assert text_model.ranking(loaded, samples[:3]) == text_model.ranking(model, samples[:3])


def test_two_labels_or_calibration_keep_scikit_learns_own_path(nlp):
    samples = text_model.lemmas_of(nlp, ["does it hurt", "is it painful", "how much is it", "what is the price",
                                         "is it safe", "can it harm me"])
    two = text_model.train(samples[:4], ["pain", "pain", "price", "price"], text_model.TextModelSettings())
    calibrated = text_model.train(samples, ["pain", "pain", "price", "price", "safety", "safety"],
                                  text_model.TextModelSettings(calibration_folds=2))
    for model in (two, calibrated):
        assert not text_model.QuickScorer.fits(model)
        assert [r[0][1] for r in text_model.ranking(model, samples)] == \
            [max(row) for row in model.predict_proba(samples)]
    assert [r[0][0] for r in text_model.ranking(two, samples[:4])] == ["pain", "pain", "price", "price"]


def test_with_the_sentences_meaning_the_quick_scorer_still_gives_scikit_learns_figures(nlp):
    """meaning_weight > 0 adds the sentence encoder's vector beside the words (the answer selector's, in
    config.yml, since the persona writers' phrasings doubled what it learns from)."""
    texts = ["does it hurt", "is it painful", "how much is it", "what is the price", "is it safe", "can it harm me"]
    samples = text_model.lemmas_of(nlp, texts)
    model = text_model.train(samples, ["pain", "pain", "price", "price", "safety", "safety"],
                             text_model.TextModelSettings(meaning_weight=1.0))
    assert text_model.QuickScorer.fits(model)
    unseen = text_model.lemmas_of(nlp, ["will the needles be sore", "what does a visit cost", ""])
    quick = np.array([text_model.QuickScorer(model).probabilities(sample) for sample in unseen])
    np.testing.assert_allclose(quick, model.predict_proba(unseen), rtol=0, atol=1e-9)
    assert [model.classes_[i] for i in quick[:2].argmax(axis=1)] == ["pain", "price"]  # meaning, few shared words
