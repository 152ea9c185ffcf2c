"""Whole messages through the running assistant: several questions, long
stories, follow-ups, other languages, "a person, please" (clinic/quality/whole_message.py).
The tuning half is gated; the blind half, written by a helper who saw only the
issue, is reported apart and never tuned against."""
from clinic.quality.whole_message import SETS, Responses, evaluate, judge, report, widget_conversations


def test_the_tuning_half_meets_every_gate(assistant, capsys):
    results = evaluate(widget_conversations(assistant["channel"]), SETS["tuning half"])
    with capsys.disabled():
        print()
        missed = report(results, "whole messages, tuning half (tests/whole_message.yml)", gated=True)
    assert not missed, missed


def test_the_blind_half_is_answered_and_reported_apart(assistant, capsys):
    results = evaluate(widget_conversations(assistant["channel"]), SETS["blind half"])
    with capsys.disabled():
        print()
        report(results, "whole messages, blind half (tests/whole_message_blind.yml, never tuned against)",
               gated=False)
    assert len(results) >= 90  # every item was sent and judged; its figures are a report, not a gate


ISSUE_TABLE = [  # the issue's table, row by row: (conversation, kind, what the last reply must hold)
    (["is dry needling painful and how many sessions would I need?"], "multi_question",
     {"expect": ["does_it_hurt", "how_many_sessions"]}),
    (["how long do the needles stay in, and is it safe?"], "multi_question", {"expect": ["needle_time", "is_it_safe"]}),
    (["what is sciatica and what causes it?"], "multi_question", {"expect": ["what_is_sciatica", "sciatica_causes"]}),
    (["I'm a nurse and on my feet 12 hours a day, the pain shoots from my buttock to my calf by the end of every "
      "shift and my doctor suggested trying needling alongside physio. How soon would I notice a difference?"],
     "long", {"expect": ["time_to_relief"]}),
    (["what is a trigger point?", "how do you treat them?"], "follow_up",
     {"turns": [{"message": "what is a trigger point?"},
                {"message": "how do you treat them?", "expect": ["trigger_points"]}]}),
    (["¿es segura la punción seca?"], "non_english", {"language": "es"}),
    (["hola, ¿cuántas sesiones necesito?"], "non_english", {"language": "es"}),
    (["cuánto cuesta?"], "non_english", {"language": "es"}),
    (["I want to talk to a human"], "human_handoff", {}),
]


def test_every_row_of_the_issue_gets_the_answer_a_patient_wants(assistant):
    say, responses = widget_conversations(assistant["channel"]), Responses.load()
    for conversation, kind, item in ISSUE_TABLE:
        replies = [" ".join(texts) for texts in say(conversation)]
        result = judge(kind, {"message": conversation[-1], **item}, replies, responses)
        assert result.passed, (conversation, replies[-1])
