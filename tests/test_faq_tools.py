"""`clinic faq`: adding, checking and drafting topics, on a copy of the knowledge base."""
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from clinic import PROJECT_ROOT
from clinic.faq.author import NewTopic, TopicRefused, add_topic
from clinic.faq.baseline import compare
from clinic.faq.check import check
from clinic.faq.drafts import draft_article, draft_unanswered, write_drafts
from clinic.faq.topics import faq_topics
from clinic.staff.unanswered import QuestionGroup, as_nlu_yaml
from new_faq import EXERCISE

@pytest.fixture
def project(tmp_path):
    """A copy of the project's knowledge base to change."""
    shutil.copy(PROJECT_ROOT / "domain.yml", tmp_path / "domain.yml")
    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data")
    return tmp_path


def test_the_clinics_knowledge_base_passes_its_own_check():
    report = check()
    assert report.problems == []


def test_a_new_topic_is_written_where_rasa_reads_it(project):
    before = (project / "data/faq/dry_needling.yml").read_text()
    path = add_topic(EXERCISE, project)
    assert path == project / "data/faq/dry_needling.yml"
    assert path.read_text().startswith(before.split("\nresponses:")[0])  # what was there stays as it was
    training = load_data(str(path))
    examples = [m.get("text") for m in training.intent_examples
                if m.get("intent_response_key") == "faq/exercise_after_needling"]
    assert sorted(examples) == sorted(EXERCISE.examples)
    assert training.responses["utter_faq/exercise_after_needling"][0]["text"].startswith("Some soreness")
    assert check(project).problems == []


def test_a_new_family_gets_its_own_file(project):
    add_topic(NewTopic(**{**EXERCISE.__dict__, "family": "aftercare"}), project)
    assert "faq/exercise_after_needling" in {m.get("intent_response_key") for m in
                                             load_data(str(project / "data/faq/aftercare.yml")).intent_examples}


@pytest.mark.parametrize("change, reason", [
    ({"key": "does_it_hurt"}, "already exists"),
    ({"examples": EXERCISE.examples[:-1] + ["does dry needling hurt?"]}, "already belongs to faq/does_it_hurt"),
    ({"examples": EXERCISE.examples[:4]}, "at least 10"),
    ({"answer": "Post-interventional myofascial hypersensitivity generally resolves spontaneously. "
                "Consequently, recommencement of strenuous physical exertion is permissible."}, "grade"),
    ({"source": "a blog I read"}, "not a section of the article"),
    ({"key": "Exercise After"}, "lower_case"),
])
def test_a_topic_that_would_break_the_knowledge_base_is_refused_and_nothing_is_written(project, change, reason):
    before = {p: p.read_text() for p in (project / "data").rglob("*.yml")}
    with pytest.raises(TopicRefused, match=reason):
        add_topic(NewTopic(**{**EXERCISE.__dict__, **change}), project)
    assert {p: p.read_text() for p in (project / "data").rglob("*.yml")} == before


def test_check_finds_shared_examples_and_likely_confusions(project):
    add_topic(EXERCISE, project)
    path = project / "data/faq/dry_needling.yml"
    path.write_text(path.read_text().replace("    - can I exercise after dry needling\n",
                                             "    - can I exercise after dry needling\n    - is dry needling safe\n"
                                             "    - can I stretch after dry needling\n"))
    report = check(project)
    assert any("'is dry needling safe' is an example of faq/exercise_after_needling and faq/is_it_safe" in p
               for p in report.problems)
    # "can I stretch after dry needling" reads almost like aftercare_soreness's "do i need to stretch after ..."
    assert any({a, b} == {"exercise_after_needling", "aftercare_soreness"} for a, _, b, _, _ in report.confusions)


ARTICLE_TEXT = """Helping Your Back Heal
Our clinic sees many people with back pain.
Why Does My Back Feel Stiff?
Stiffness often comes from muscles that guard a sore area. Gentle movement helps them relax.
FAQs About Back Care
1. Can I Sleep on My Side? Yes, many people find a pillow between the knees helps.
2. Should I Use Heat Or Ice? Both can help; ask your clinician which suits you.
"""
ARTICLE_HTML = """<html><head><style>h2 {}</style><script>alert(1)</script></head><body>
<h1>Helping Your Back Heal</h1><p>Our clinic sees many people with back pain.</p>
<h2>Why Does My Back Feel Stiff?</h2><p>Stiffness often comes from muscles that guard a sore area.</p>
<h2>FAQs About Back Care</h2>
<p>1. Can I Sleep on My Side? Yes, many people find a pillow between the knees helps.</p>
<p>2. Should I Use Heat Or Ice? Both can help; ask your clinician which suits you.</p></body></html>"""
ARTICLE_MARKDOWN = """# Helping Your Back Heal
Our clinic sees many people with back pain.
## Why Does My Back Feel Stiff?
Stiffness often comes from muscles that guard a sore area.
## FAQs About Back Care
1. Can I Sleep on My Side? Yes, many people find a pillow between the knees helps.
2. Should I Use Heat Or Ice? Both can help; ask your clinician which suits you.
"""


@pytest.mark.parametrize("name, text", [("back.txt", ARTICLE_TEXT), ("back.html", ARTICLE_HTML),
                                        ("back.md", ARTICLE_MARKDOWN)])
def test_an_article_becomes_draft_topics_that_check_refuses(project, name, text):
    article = project / name
    article.write_text(text)
    drafts = draft_article(article)
    assert {(d.key, d.source) for d in drafts} == {
        ("helping_your_back_heal", "Helping Your Back Heal"),
        ("why_does_my_back_feel_stiff", "Why Does My Back Feel Stiff?"),
        ("can_i_sleep_on_my_side", "FAQ 1: Can I Sleep on My Side?"),
        ("should_i_use_heat_or_ice", "FAQ 2: Should I Use Heat Or Ice?")}
    assert next(d for d in drafts if d.key == "can_i_sleep_on_my_side").examples == ["can i sleep on my side"]
    path, skipped = write_drafts(drafts, "back", project)
    assert skipped == [] and path.parent.name == "drafts"
    problems = check(project).problems
    assert sum("unreviewed draft" in p for p in problems) == 4


def test_unanswered_questions_become_drafts_with_their_closest_topic(project):
    export = project / "unanswered_questions.yml"
    export.write_text(as_nlu_yaml([
        QuestionGroup(["can I exercise after dry needling?", "can i go to the gym after needling"]),
        QuestionGroup(["does dry needling hurt"])], date(2026, 11, 24)))
    drafts = draft_unanswered(export, project)
    assert [(d.key, d.examples) for d in drafts] == [
        ("unanswered_1", ["can I exercise after dry needling?", "can i go to the gym after needling"])]
    assert drafts[0].notes[0].startswith("closest existing topic: faq/")
    path, _ = write_drafts(drafts, "unanswered", project)
    assert "draft: true" in path.read_text() and "unanswered_1" in faq_topics(project)


def test_the_baseline_gate_catches_drops_and_floors_and_reports_movement():
    baseline = {"answer": {"overall_f1": 0.98, "topics": {"faq/a": {"f1": 1.0, "floor": 0.85},
                                                          "faq/b": {"f1": 0.9, "floor": 0.75}}}}
    steady = {"answer": {"overall_f1": 0.975, "topics": {"faq/a": 1.0, "faq/b": 0.93}}}
    assert compare(baseline, steady) == ([], ["answer 'faq/b' F1 0.90 -> 0.93"])
    worse = {"answer": {"overall_f1": 0.96, "topics": {"faq/a": 0.8, "faq/b": 0.9, "faq/new": 0.7}}}
    problems, moved = compare(baseline, worse)
    assert problems == ["answer F1 0.960 dropped 0.020 from the baseline 0.980 (at most 0.01)",
                        "answer 'faq/a' F1 0.80 is below its floor 0.85",
                        "answer 'faq/new' F1 0.70 is below its floor 0.75"]
    assert "answer 'faq/new' is new: F1 0.70" in moved


@pytest.mark.parametrize("verb", ["add", "check", "import", "from-unanswered", "baseline"])
def test_every_verb_explains_itself(verb):
    clinic = Path(sys.executable).with_name("clinic")
    shown = subprocess.run([str(clinic), "faq", verb, "--help"], capture_output=True, text=True)
    assert shown.returncode == 0 and "usage: clinic faq" in shown.stdout
