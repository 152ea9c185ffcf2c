"""The clinic's spaCy pipeline: built offline, lemmas, clinic entities."""
import json

import spacy

from clinic.nlp import pipeline


def entities(nlp, text):
    return {(e.text, e.label_) for e in nlp(text.lower()).ents}


def test_built_pipeline_is_where_config_yml_points():
    config = (pipeline.PROJECT_ROOT / "config.yml").read_text()
    path = pipeline.pipeline_dir().relative_to(pipeline.PROJECT_ROOT)
    assert f"model: {path}" in config


def test_saved_pipeline_records_the_installed_spacy_version():
    meta = json.loads((pipeline.ensure_built() / "meta.json").read_text())
    assert meta["spacy_version"].startswith(f">={spacy.about.__version__}")


def test_finds_body_parts_symptoms_and_therapies_by_lemma():
    nlp = spacy.load(pipeline.ensure_built())
    found = entities(nlp, "My legs feel numb and there are knots in my lower back after dry needling")
    assert {("legs", "body_part"), ("numb", "symptom"), ("knots", "symptom"),
            ("lower back", "body_part"), ("dry needling", "therapy")} <= found


def test_lemmas_come_from_the_lookup_tables():
    nlp = spacy.load(pipeline.ensure_built())
    assert [t.lemma_ for t in nlp("needles hurting muscles")] == ["needle", "hurt", "muscle"]


def test_lemma_false_friends_are_not_entities():
    nlp = spacy.load(pipeline.ensure_built())
    assert entities(nlp, "what is the clinic's phone number") == set()  # "number" -> lemma "numb"
    assert entities(nlp, "are the needles sterile") == set()  # "needles" -> lemma of "needling"
    assert ("needling", "therapy") in entities(nlp, "does needling help")
