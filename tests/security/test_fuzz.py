"""Security finding 12: 400 fuzzed inputs through the widget's channel gave 13
server errors and 58 empty replies. A few hundred seeded hostile and odd
inputs here on every run; bench/fuzz.py sends 10,000."""
from clinic.channel.web import channel_messages
from hostile_inputs import hostile_cases, send_all


def test_hostile_and_odd_messages_all_get_a_clear_polite_answer(assistant):
    cases = hostile_cases(300, seed=12)
    verdict, statuses = send_all(assistant["channel"], cases, {channel_messages()["no_reply"]})
    assert sum(statuses.values()) == len(cases)
    assert verdict.problems == [], f"{len(verdict.problems)} problems, e.g.:\n" + "\n".join(verdict.problems[:15])
