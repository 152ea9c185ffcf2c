"""One taught message must never take the assistant down (the teaching path's doors).

A patient types something a file cannot hold or Rasa reads as markup; a trainer teaches it from the
transcript. Each write goes through one door (clinic/faq/writing.py): refused with a reason, or written
so that Rasa's own reader and `rasa data validate` accept it and no other topic gains an example.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from clinic import PROJECT_ROOT
from clinic.faq.author import NewTopic, TopicRefused, add_topic
from clinic.faq.check import check
from clinic.faq.topics import faq_topics
from clinic.faq.writing import WriteRefused, cleaned, read_training_data, replace_file, trained_examples
from patient_channel import chat, new_session
from test_staff_console import console_knowledge, logged_in, serving_console, teacher

INVISIBLE = "does the soreness \uffff last long after the needles"  # U+FFFF: nothing shows on screen
MARKUP = 'my leg hurts [a lot]{"oops"} after needling'  # Rasa's entity markup, with JSON it cannot read
UNSET = "is ${CLINIC_NEVER_SET_ANYWHERE} dry needling sore"  # Rasa expands ${...} in plain YAML values
HOSTILE = [INVISIBLE, MARKUP, UNSET, "a\x00b\x1b[31m c", "\ud800 half an emoji", "\u202eright to left\u202c",
           "[x][{\"entity\": \"a\"}] y", "[x](a:b) y", "- dash: colon # hash", "'quote\" \\ back", "tab\there"]


def knowledge_copy(root: Path) -> Path:
    shutil.copytree(PROJECT_ROOT / "data", root / "data")
    shutil.copy(PROJECT_ROOT / "domain.yml", root / "domain.yml")
    return root


def other_topics_example(root: Path) -> str:
    return faq_topics(root)["is_it_safe"].examples[0]


@pytest.fixture(scope="module")
def crafted(assistant):
    """The crafted messages of the review, each sent by a patient through the widget's channel."""
    channel = assistant["channel"]
    sent = {"invisible": INVISIBLE, "markup": MARKUP, "unset": UNSET, "new": 'can I park \uffff by [the door]{"x"}',
            "smuggled": f"[{other_topics_example(PROJECT_ROOT)}](x)"}
    conversations = {}
    for name, message in sent.items():
        session = new_session(channel, source="127.0.0.61")
        status, _, _ = chat(channel, session, message, source="127.0.0.61")
        assert status == 200
        conversations[name] = session["session_id"]
    return conversations


@pytest.fixture(scope="module")
def console(assistant, tmp_path_factory):
    """A console of its own (its own accounts and clinic database) on the assistant's conversations."""
    database = tmp_path_factory.mktemp("teaching") / "clinic.db"
    with serving_console(assistant, tmp_path_factory, f"sqlite:///{database}") as url:
        yield url


@pytest.fixture(scope="module")
def trainer_at(console, crafted):
    web, token = logged_in(console, "admin", address="127.0.0.62")
    return web, token, teacher(console, crafted, web, token)


def test_a_taught_message_a_file_cannot_hold_leaves_every_file_readable_by_rasa(console, crafted,
                                                                                trainer_at):
    knowledge = console_knowledge[console]
    web, _, correct = trainer_at
    for name in ("invisible", "markup"):
        status, said = correct(name, "topic:does_it_hurt")
        assert status == 200 and said.startswith("Added to “"), said
    taught = trained_examples(knowledge / "data" / "faq" / "session.yml", "faq/does_it_hurt")
    assert "does the soreness last long after the needles" in taught  # the words, without the invisible one
    assert 'my leg hurts [a lot] {"oops"} after needling' in taught  # the patient's words, not a label

    status, said = correct("invisible", "safety:emergency")
    assert status == 200, said
    assert "does the soreness last long after the needles" in yaml.safe_load(
        (knowledge / "tests" / "red_flags.yml").read_text())["emergency"]["from_the_console"]
    status, said = correct("new", "new")
    assert status == 200 and said.startswith("Drafted"), said
    read_training_data(knowledge / "drafts" / "new_questions.yml")  # a developer can move it into data/

    validated = subprocess.run([str(Path(sys.executable).parent / "rasa"), "data", "validate", "--fail-on-warnings"],
                               cwd=knowledge, capture_output=True, text=True, timeout=300)
    assert validated.returncode == 0, (validated.stdout + validated.stderr)[-3000:]
    assert check(knowledge).ok, check(knowledge).problems
    assert web.get(f"{console}/conversations/{crafted['invisible']}").status_code == 200  # titles re-read data/


def test_markup_cannot_smuggle_another_topics_example_in(console, crafted, trainer_at):
    knowledge = console_knowledge[console]
    before = {path: path.read_bytes() for path in (knowledge / "data").rglob("*.yml")}
    _, _, correct = trainer_at
    status, said = correct("smuggled", "topic:does_it_hurt")
    assert status == 400 and "already belongs to “" in said, said
    assert {path: path.read_bytes() for path in (knowledge / "data").rglob("*.yml")} == before


def test_markup_written_by_hand_into_another_topic_fails_the_knowledge_base_check(tmp_path):
    knowledge_copy(tmp_path)
    session = tmp_path / "data" / "faq" / "session.yml"
    smuggled = f"    - [{other_topics_example(tmp_path)}](x)\n"
    session.write_text(session.read_text().replace("  examples: |\n", "  examples: |\n" + smuggled, 1))
    assert any("is an example of faq/" in problem and "faq/is_it_safe" in problem for problem in check(tmp_path).problems)


def test_a_conversation_saved_as_a_test_keeps_the_patients_dollar_words_as_typed(console, crafted,
                                                                               trainer_at):
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.utils.io import read_yaml_file

    knowledge = console_knowledge[console]
    web, token, _ = trainer_at
    answer = web.post(f"{console}/conversations/{crafted['unset']}/save-test", data={"csrf_token": token})
    assert answer.status_code == 200, answer.text[:500]
    path = knowledge / "tests" / "test_conversations_from_the_console.yml"
    stories = read_yaml_file(path)["stories"]  # Rasa's reading: an unset ${VAR} would stop `make test` here
    assert any("${CLINIC_NEVER_SET_ANYWHERE}" in step.get("user", "") for story in stories for step in story["steps"])
    YAMLStoryReader().read_from_file(path)
    answer = web.post(f"{console}/conversations/{crafted['markup']}/save-test", data={"csrf_token": token})
    assert answer.status_code == 400 and "read as labels" in answer.text  # the patient's own brackets
    assert read_yaml_file(path)["stories"] == stories


def test_an_unreadable_knowledge_base_leaves_the_console_open_and_teaching_says_why(console, crafted,
                                                                                   trainer_at):
    knowledge = console_knowledge[console]
    broken = knowledge / "data" / "faq" / "zz_mended_by_hand.yml"
    broken.write_text('version: "3.1"\nnlu:\n- intent: faq/does_it_hurt\n  examples: |\n    - oops \uffff\n')
    web, _, correct = trainer_at
    try:
        assert web.get(f"{console}/conversations/{crafted['markup']}").status_code == 200
        status, said = correct("invisible", "topic:is_it_safe")
        assert status == 400 and "cannot be read" in said, said
    finally:
        broken.unlink()


@pytest.mark.parametrize("text", HOSTILE)
def test_every_cleaned_text_reads_back_from_rasa_as_the_same_words(text, tmp_path):
    words = cleaned(text)
    path = tmp_path / "nlu.yml"
    path.write_text(f'version: "3.1"\nnlu:\n- intent: faq/x\n  examples: |\n    - {words}\n', encoding="utf-8")
    assert trained_examples(path, "faq/x") == [words]


def test_a_write_that_does_not_read_back_leaves_the_file_byte_for_byte(tmp_path):
    path = tmp_path / "data.yml"
    path.write_bytes(b'version: "3.1"\nnlu: []\n')

    def refuse(written):
        raise ValueError("the reader refused it")
    with pytest.raises(WriteRefused, match="would not read back"):
        replace_file(path, "anything", refuse)
    assert path.read_bytes() == b'version: "3.1"\nnlu: []\n'
    assert [p.name for p in tmp_path.iterdir()] == ["data.yml"]  # no temporary file left


def test_clinic_faq_add_cleans_every_example_and_quotes_the_answer(tmp_path):
    knowledge_copy(tmp_path)
    examples = [f"{text} about parking number {n}" for n, text in enumerate(HOSTILE)]
    path = add_topic(NewTopic("parking_near_the_clinic", "The article does not say where to park. Please ask the clinic: ${NOT_A_VARIABLE}.",
                              "not in the article", examples), tmp_path)
    assert len(trained_examples(path, "faq/parking_near_the_clinic")) == len(HOSTILE)
    assert read_training_data(path).responses["utter_faq/parking_near_the_clinic"][0]["text"].endswith(
        "${NOT_A_VARIABLE}.")
    with pytest.raises(TopicRefused, match="already belongs to faq/is_it_safe"):
        add_topic(NewTopic("smuggled_in", "Ask the clinic.", "not in the article",
                           [f"[{other_topics_example(tmp_path)}](x)"] + examples), tmp_path)
