"""The parts that read a whole message, on their own: clauses, follow-up
rewrites and the language guess (no trained model needed)."""
import pytest
import spacy

from clinic.nlp.follow_ups import with_topic
from clinic.nlp.language import language_reader
from clinic.nlp.pipeline import ensure_built
from clinic.nlp.questions import Clause, Word, clauses, questions


@pytest.fixture(scope="module")
def split():
    nlp = spacy.load(ensure_built())

    def split(text):
        words = [Word(t.text, t.lemma_, t.idx, t.idx + len(t.text)) for t in nlp(text) if t.text.strip()]
        return [(c.text, c.asks) for c in clauses(text, words)]
    return split


@pytest.mark.parametrize("text, expected", [
    ("how long do the needles stay in, and is it safe?", ["how long do the needles stay in", "and is it safe?"]),
    ("what is sciatica and what causes it?", ["what is sciatica", "what causes it?"]),
    ("1) is it painful 2) how soon does it work", ["is it painful", "how soon does it work"]),
    # a statement before a comma is the question's context, not a question of its own
    ("I'm pregnant, can I still have dry needling?", ["I'm pregnant, can I still have dry needling?"]),
    # "and" between two things is no new question
    ("does it help numbness and tingling?", ["does it help numbness and tingling?"]),
])
def test_a_message_is_cut_where_a_new_question_starts(split, text, expected):
    assert [clause for clause, _ in split(text)] == expected


def test_a_story_sentence_does_not_ask_but_a_question_inside_it_does(split):
    found = split("I'm a nurse on my feet all day. My doctor suggested needling. "
                  "I'd also like to know whether it hurts. How soon would I notice a difference?")
    assert [asks for _, asks in found] == [False, False, True, True]


def test_confident_distinct_questions_come_in_the_order_asked_and_at_most_three():
    found = [Clause(t, [t], [t], asks=True) for t in ["a", "b", "c", "d", "e"]]
    topics = {"a": ("faq/x", 0.9), "b": ("faq/y", 0.3), "c": ("faq/x", 0.95), "d": ("faq/z", 0.8), "e": ("faq/w", 0.7)}
    unsure = ("faq/x", 0.1)  # "b" read again with the clause before it is still unsure
    asked = questions(found, lambda samples: [topics.get(text, unsure) for text, _ in samples], 0.6)
    assert [q.topic for q in asked] == ["faq/x", "faq/z", "faq/w"]


def test_a_question_at_the_end_of_a_long_sentence_is_read_on_its_own():
    words = "i get that it 's the nerve , but i do n't understand how a needle fixes that ?".split()
    story = Clause(" ".join(words), words, words, asks=True)
    # sure only of the part after "but"; the whole sentence reads like another topic
    said = {"i do n't understand how a needle fixes that ?": ("faq/how_it_helps", 0.8)}
    asked = questions([Clause("hi", ["hi"], ["hi"], asks=False), story],
                      lambda samples: [said.get(text, ("faq/what_is_sciatica", 0.4)) for text, _ in samples], 0.6)
    assert [q.topic for q in asked] == ["faq/how_it_helps"]


def test_a_follow_up_gets_the_topic_in_place_of_its_pronoun_or_after_it():
    assert with_topic("does that hurt ?".split(), "faq/trigger_points") == "does trigger point hurt ?".split()
    assert with_topic("how long ?".split(), "faq/does_it_hurt") == "how long ? about dry needling".split()
    assert with_topic(["word"] * 30, "faq/does_it_hurt") is None  # a long message is no follow-up


@pytest.mark.parametrize("text, language", [
    ("¿es segura la punción seca?", "es"), ("cuánto cuesta?", "es"), ("est-ce que ça fait mal ?", "fr"),
    ("坐骨神经痛怎么治疗？", "zh"),
    # English, however short or odd: never taken for another language
    ("ok", "en"), ("no", "en"), ("and the sauna?", "en"), ("José García", "en"), ("Ana Ruiz", "en"),
    ("asdkjh qwpoe zxmn", "en"), ("sciatica", "en"), ("does dry needling hurt", "en"),
])
def test_the_language_of_a_message(text, language):
    assert language_reader().read(text).code == language
