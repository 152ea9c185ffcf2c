"""A follow-up whose pronoun is listed in whole_message.yml but whose lemma is not (were "him" listed:
its lemma is "he") has no topic reading by lemmas (with_topic gives None). It is then read without
the topic put in, as a follow-up with no pronoun is, rather than handing the classifier None for its
lemmas (text_model reads them: a TypeError for every such message). No trained model needed."""
from rasa.shared.nlu.training_data.message import Message

from clinic.nlp.answer_selector import LinearAnswerSelector
from clinic.nlp.questions import Clause, Question, Word, _in_context
from clinic.nlp.whole_message import settings

TOPIC = "faq/does_it_hurt"


def classify(samples):
    """Reads each sample's lemmas, as text_model.ranking does."""
    return [("faq/other", 0.9 if [lemma.lower() for lemma in lemmas] else 0.0) for _, lemmas in samples]


def test_a_clause_whose_pronoun_lemma_is_not_listed_gets_no_topic_reading(monkeypatch):
    monkeypatch.setitem(settings(), "pronouns", [*settings()["pronouns"], "him"])
    clause = Clause("can needling help him?", ["can", "needling", "help", "him", "?"],
                    ["can", "needling", "help", "he", "?"], True)
    assert _in_context([clause], 0, [Question(TOPIC, 0.9, "does it hurt?")], classify) is None


def test_a_follow_up_whose_pronoun_lemma_is_not_listed_gets_no_topic_reading(monkeypatch):
    monkeypatch.setitem(settings(), "pronouns", [*settings()["pronouns"], "him"])
    words = [Word("and", "and", 0, 3), Word("him", "he", 4, 7), Word("?", "?", 7, 8)]
    message = Message(data={"text": "and him?", "metadata": {}})
    # The selector's own state is not used: no trained component needed.
    assert LinearAnswerSelector._readings_with_topic(None, message, words, TOPIC, pronoun_only=True) == []


def test_a_listed_pronoun_with_a_listed_lemma_still_gets_its_topic_reading():
    clause = Clause("can needling help them?", ["can", "needling", "help", "them", "?"],
                    ["can", "needling", "help", "they", "?"], True)
    reading = _in_context([clause], 0, [Question(TOPIC, 0.9, "does it hurt?")], classify)
    assert reading == ("faq/other", 0.9)
