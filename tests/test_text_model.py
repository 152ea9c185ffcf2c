"""The text model's quick scorer gives scikit-learn's own probabilities."""
import tarfile
from pathlib import Path

import joblib
import numpy as np
import pytest
import spacy

from clinic import knowledge
from clinic.nlp import pipeline, text_model

HELD_OUT = Path(__file__).resolve().parent / "nlu_heldout.yml"


@pytest.fixture(scope="module")
def nlp():
    return spacy.load(pipeline.ensure_built())


@pytest.fixture(scope="module")
def served_models(trained_model, tmp_path_factory):
    """The intent classifier's and the answer selector's text models, from the trained assistant."""
    folder = tmp_path_factory.mktemp("model")
    with tarfile.open(trained_model) as archive:
        archive.extractall(folder)
    return {path.parent.name: joblib.load(path)["model"] for path in folder.glob("**/text_model.joblib")}


def test_quick_scores_are_scikit_learns_on_held_out_phrasings(nlp, served_models):
    assert len(served_models) == 2
    patients = [text for _, text in knowledge.examples(HELD_OUT)] + ["", "???", "zzzz qqqq"]  # and nothing known
    samples = text_model.lemmas_of(nlp, patients)
    for model in served_models.values():
        assert text_model.QuickScorer.fits(model)
        quick = np.array([text_model.QuickScorer(model).probabilities(sample) for sample in samples])
        np.testing.assert_allclose(quick, model.predict_proba(samples), rtol=0, atol=1e-12)
        ranked = text_model.ranking(model, samples[:3])
        assert [label for label, _ in ranked[0][:1]] == [model.classes_[np.argmax(quick[0])]]


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
    """meaning_weight > 0 adds the sentence encoder's vector beside the words (off in config.yml: on the
    strangers' tuning half it answered one article question fewer and three more confidently wrong)."""
    texts = ["does it hurt", "is it painful", "how much is it", "what is the price", "is it safe", "can it harm me"]
    samples = text_model.lemmas_of(nlp, texts)
    model = text_model.train(samples, ["pain", "pain", "price", "price", "safety", "safety"],
                             text_model.TextModelSettings(meaning_weight=1.0))
    assert text_model.QuickScorer.fits(model)
    unseen = text_model.lemmas_of(nlp, ["will the needles be sore", "what does a visit cost", ""])
    quick = np.array([text_model.QuickScorer(model).probabilities(sample) for sample in unseen])
    np.testing.assert_allclose(quick, model.predict_proba(unseen), rtol=0, atol=1e-9)
    assert [model.classes_[i] for i in quick[:2].argmax(axis=1)] == ["pain", "price"]  # meaning, few shared words
