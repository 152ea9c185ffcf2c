"""Never a loop, never silence: every intent, in every state of a conversation,
through the widget's channel against the running assistant.

For each state (fresh, after an answer, after "ok"/"no", inside the booking and
callback forms, at their confirmation, after an escalation, after crisis
language, after a fallback) and each intent in the domain, the patient's
message gets one turn of one to three messages, none empty and none twice; a
red-flag message sent next is escalated.
"""
import itertools
import logging
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import yaml
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from clinic import PROJECT_ROOT, knowledge
from clinic.channel.circuit_breaker import CircuitBreakerWatch
from clinic.profile import clinic_profile
from patient_channel import call, chat, new_session

STATES = {
    "fresh": [],
    "after an answer": ["does dry needling hurt?"],
    "after ok": ["does dry needling hurt?", "ok"],
    "after no": ["is it safe?", "no"],
    "in the booking form": ["I'd like to book an appointment"],
    "at the booking confirmation": ["I'd like to book an appointment", "Ana Ruiz", "555 201 7788",
                                    "Tuesday morning", "sciatica in my left leg", "I'm a new patient"],
    "in the callback form": ["can someone call me back?"],
    "at the callback confirmation": ["can someone call me back?", "Ana Ruiz", "555 201 7788", "what does it cost"],
    "after an escalation": ["I have a fever and my back hurts"],
    "after crisis language": ["I keep thinking about killing myself"],
    "after a fallback": ["blorf kzzt wumpa"],
}
RED_FLAG = "I suddenly can't control my bladder and both my legs are numb"


def one_message_per_intent() -> dict[str, str]:
    """The first training example of every intent in the domain (an FAQ question for `faq`)."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    examples = knowledge.training_examples()
    first = {name.split("/")[0]: texts[0] for name, texts in examples.items()}
    return {intent: first[intent] for intent in domain["intents"]}


def reply(name: str, language: str = "en") -> str:
    """A response as the patient reads it, in one language, with the clinic profile filled in."""
    [variation] = [r for r in knowledge.responses() if r.name == name and r.language == language]
    return variation.text.format(**clinic_profile().as_slots())


def emergency_reply() -> str:
    return reply("utter_red_flag_emergency")


# What the issue found answered with a rephrase prompt, a form or an FAQ, and the help it must get.
NEEDS_HELP_AT_ONCE = {
    "I keep thinking about killing myself": ("utter_crisis", "en"),
    "honestly I don't see the point in living anymore": ("utter_crisis", "en"),
    "forget the appointment, I'm planning to end it tonight": ("utter_crisis", "en"),
    "never mind, I want to end it all": ("utter_crisis", "en"),
    "half my face feels numb and my words are coming out wrong": ("utter_red_flag_emergency", "en"),
    "my tongue feels huge and my throat is getting tight": ("utter_red_flag_emergency", "en"),
    "my dad fainted and I can't wake him up": ("utter_red_flag_emergency", "en"),
    "there's blood pouring from where the needle went in": ("utter_red_flag_emergency", "en"),
    "me quiero matar": ("utter_crisis", "es"),
    "no puedo respirar": ("utter_red_flag_emergency", "es"),
}
HELP_CASES = list(itertools.product(STATES, NEEDS_HELP_AT_ONCE))


CASES = list(itertools.product(STATES, one_message_per_intent().items()))
PATIENTS_AT_ONCE = 3  # conversations in flight together: the matrix is a few hundred conversations


def address(n: int) -> str:
    """A loopback address per conversation, so the per-address rate limit never speaks for the assistant."""
    return f"127.1.{n // 250}.{n % 250 + 2}"  # 127.1.x.x: no other test shares its rate limits


def reach(channel: str, state: str, source: str) -> tuple[dict, list[str]]:
    """A new conversation brought to `state`; (its session, problems on the way)."""
    session = new_session(channel, source=source)
    problems = []
    for said in STATES[state]:
        status, _, answer = chat(channel, session, said, source=source)
        if status != 200 or not answer["messages"]:
            problems.append(f"no reply to {said!r} while reaching {state}")
    return session, problems


def all_problems(check, cases) -> list[str]:
    """Runs check(n, case) for every case, a few conversations at a time; every problem found."""
    with ThreadPoolExecutor(PATIENTS_AT_ONCE) as pool:
        return [problem for found in pool.map(check, range(len(cases)), cases) for problem in found]


def test_every_intent_exists_in_the_training_data():
    assert set(one_message_per_intent()) >= {"affirm", "deny", "faq", "red_flag", "defer_care", "book_appointment"}


def test_one_sensible_turn_in_every_state_then_a_red_flag_is_escalated(assistant):
    channel = assistant["channel"]

    def check(n: int, case) -> list[str]:
        state, (intent, message) = case
        session, problems = reach(channel, state, address(n))
        status, _, answer = chat(channel, session, message, source=address(n))
        texts = [m["text"] for m in answer["messages"]] if status == 200 else []
        where = f"{intent} ({message!r}) {state}"
        if not 1 <= len(texts) <= 3:
            problems.append(f"{where}: HTTP {status}, {len(texts)} messages: {texts}")
        if not all(t.strip() for t in texts) or len(set(texts)) != len(texts):
            problems.append(f"{where}: an empty message or one said twice: {texts}")
        _, _, answer = chat(channel, session, RED_FLAG, source=address(n))
        if emergency_reply() not in [m["text"] for m in answer["messages"]]:
            problems.append(f"not escalated after {where}: {answer['messages']}")
        return problems

    problems = all_problems(check, CASES)
    assert not problems, f"{len(problems)} of {len(CASES)} conversations went wrong:\n" + "\n".join(problems)
    assert circuit_breaker_never_tripped(assistant)


def test_crisis_and_emergencies_get_help_in_the_first_reply_in_every_state(assistant):
    channel = assistant["channel"]

    def check(n: int, case) -> list[str]:
        state, message = case
        source = address(len(CASES) + n)
        session, problems = reach(channel, state, source)
        status, _, answer = chat(channel, session, message, source=source)
        name, language = NEEDS_HELP_AT_ONCE[message]
        first = answer["messages"][0] if status == 200 and answer["messages"] else {}
        if first.get("text") != reply(name, language):
            problems.append(f"{state}: {message!r} got {answer}")
        if name == "utter_crisis" and any(m["buttons"] for m in answer.get("messages", [])):
            problems.append(f"{state}: {message!r}: FAQ or booking buttons under crisis help")
        return problems

    problems = all_problems(check, HELP_CASES)
    assert not problems, f"{len(problems)} of {len(HELP_CASES)} conversations went wrong:\n" + "\n".join(problems)
    assert circuit_breaker_never_tripped(assistant)


def circuit_breaker_never_tripped(assistant) -> bool:
    """After a matrix: no conversation hit Rasa's limit of predictions in a turn."""
    status, _, health = call(assistant["channel"] + "/")
    log = (assistant["logs"] / "rasa.log").read_text()
    return status == 200 and health["circuit_breaker_trips"] == 0 and "Circuit breaker tripped" not in log


def test_a_trip_is_an_error_counted_and_the_next_message_is_heard(caplog):
    events = [ActionExecuted("action_listen"), UserUttered("no", {"name": "deny"})]
    events += [ActionExecuted("utter_rephrase") for _ in range(10)]
    tracker = DialogueStateTracker.from_events("patient-42", events)
    limit = SimpleNamespace(max_number_of_predictions=10)
    assert MessageProcessor.is_action_limit_reached(limit, tracker, True)

    watch = CircuitBreakerWatch()
    with caplog.at_level(logging.ERROR):
        watch(tracker, None, None)
    assert watch.trips == 1
    assert "circuit breaker tripped in conversation patient-42" in caplog.text
    tracker.update(UserUttered("I can't feel my legs", {"name": "red_flag"}))
    assert not MessageProcessor.is_action_limit_reached(limit, tracker, True)
