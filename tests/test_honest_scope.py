"""Honest scope: a readable question no topic answers is told so, with the clinic's contact
details; a question naming a risk the article does not address gets "ask the clinic", never the
closest article answer; the rephrase prompt is left for messages with no readable question."""
import pytest

from clinic.nlp.questions import asks_something
from clinic.nlp.risk_guard import RiskReader
from clinic.quality.whole_message import Responses, widget_conversations


@pytest.fixture(scope="module")
def reply(assistant):
    say, responses = widget_conversations(assistant["channel"]), Responses.load()
    return lambda message: (" ".join(say([message])[-1]), responses)


@pytest.mark.parametrize("message", ["can i bring my service dog into the treatment room?",
                                     "is there a lift up to your floor, i use a wheelchair"])
def test_a_question_no_topic_answers_gets_the_honest_reply(reply, message):
    said, responses = reply(message)
    assert responses.said("utter_not_in_article", said), said
    assert not responses.said("utter_rephrase", said)


def test_words_with_no_question_still_get_the_rephrase_prompt(reply):
    said, responses = reply("glorp vrrm thwack")  # not the console tests' own unanswered words
    assert responses.said("utter_rephrase", said) and not responses.said("utter_not_in_article", said)


@pytest.mark.parametrize("message, answer, article", [
    ("can i have dry needling a year after my spinal fusion, will i be sore", "utter_faq/ask_clinic_health_conditions",
     "utter_faq/aftercare_soreness"),
    ("im on xarelto, how long does the needling take", "utter_faq/ask_clinic_medications", "utter_faq/needle_time"),
])
def test_a_question_naming_a_risk_gets_ask_the_clinic_before_any_article_answer(reply, message, answer, article):
    said, responses = reply(message)
    assert responses.said(answer, said), said
    if responses.said(article, said):  # the article's answer may follow, never come first as if it applied
        assert responses.position(answer, said) < responses.position(article, said), said


def test_a_question_about_a_child_gets_the_honest_reply_not_an_article_answer(reply):
    said, responses = reply("my 13 year old plays football and hurt his back, does the needling hurt")
    assert responses.said("utter_not_in_article", said) and not responses.said("utter_faq/does_it_hurt", said), said


@pytest.mark.parametrize("text, risk", [
    ("I'm not pregnant, is it safe?", None), ("is it safe when pregnant", "pregnancy"),
    ("my daughter is 15, can she come", "child"), ("i am 45 and have sciatica", None),
    ("no surgery ever, just pain", None), ("after my discectomy", "surgery"),
    ("does it help with diabetes pain", "condition"), ("I take warfarin", "medicine"),
])
def test_the_risk_reader_finds_risks_but_not_denials(text, risk):
    assert RiskReader().named(text) == risk


@pytest.mark.parametrize("text, asks", [("do you open on sundays", True), ("is it ok on eliquis", True),
                                        ("i'd like to know about parking", True), ("what?", False),
                                        ("hmm", False), ("my back hurts", False), ("thanks so much", False)])
def test_what_reads_as_a_question(text, asks):
    assert asks_something(text) == asks
