"""The console reads conversations from Rasa's tracker store (SQLite and
PostgreSQL): flags, filters, transcripts, unanswered questions, retention."""
from datetime import date, datetime, timezone

import pytest
import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from clinic.staff.conversations import ConversationFilter, TrackerStoreReader
from clinic.staff.privacy import mask
from clinic.staff.unanswered import as_nlu_yaml, group_questions, unanswered_questions
from tracker_events import Chat, postgres_tracker_store, save_conversations, sqlite_tracker_store


CONVERSATIONS = {
    "faq-patient": Chat("2026-11-02")
    .patient("does dry needling hurt?", "faq", 0.97, "faq/does_it_hurt", 0.91)
    .assistant("utter_faq/does_it_hurt", "You may feel a quick pinch."),
    "booking-patient": Chat("2026-11-10")
    .patient("I'd like to book", "book_appointment")
    .assistant("utter_ask_patient_name", "What is your name?")
    .patient("Ana Ruiz", "inform")
    .action("booking_form", patient_name="Ana Ruiz")
    .patient("555 201 7788", "inform")
    .action("action_submit_booking", request_reference="MC-ABC234", patient_name=None),
    "red-flag-patient": Chat("2026-11-12")
    .patient("I can't control my bladder and my legs are numb", "red_flag", 1.0)
    .action("action_escalate_red_flag", red_flag_tier="emergency")
    .assistant("utter_red_flag_emergency", "Call 911 now."),
    "lost-patient": Chat("2026-11-20")
    .patient("can I exercise after dry needling?", "nlu_fallback", 0.31)
    .assistant("utter_rephrase", "Could you say that another way?")
    .patient("is gym ok after dry needling", "out_of_scope", 0.7)
    .assistant("utter_out_of_scope", "I can only help with sciatica and dry needling.")
    .patient("how much is a session", "faq", 0.9, "faq/ask_clinic_price")
    .assistant("utter_faq/ask_clinic_price", "I don't have information about prices."),
    "crisis-patient": Chat("2026-11-14")
    .patient("I want to kill myself", "red_flag", 1.0, red_flags=[("suicide_or_self_harm", "crisis")])
    .action("action_escalate_red_flag", red_flag_tier="crisis")
    .assistant("utter_crisis", "Please call or text 988 now.")
    .patient("I have a fever too", "red_flag", 1.0, red_flags=[("fever", "urgent")])
    .action("action_escalate_red_flag", red_flag_tier="urgent")
    .assistant("utter_red_flag_urgent", "A doctor should check this today.")
    # A crisis message that got a rephrase prompt (an older model): never a candidate FAQ.
    .patient("honestly I keep thinking about ending it", "nlu_fallback", 0.3,
             red_flags=[("wanting_to_die", "crisis")])
    .assistant("utter_rephrase", "Could you say that another way?"),
    "failed-booking": Chat("2026-11-21")
    .patient("book me in", "book_appointment")
    .action("action_submit_booking"),
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def reader(request, tmp_path_factory):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("tracker") / "rasa.db"
        save_conversations(sqlite_tracker_store(path), CONVERSATIONS)
        yield TrackerStoreReader(f"sqlite:///{path}")
        return
    with postgres_tracker_store() as (store, url):
        save_conversations(store, CONVERSATIONS)
        store.engine.dispose()
        reader = TrackerStoreReader(url)
        yield reader
        reader.engine.dispose()


def ids(conversations):
    return sorted(c.conversation_id for c in conversations)


def test_each_conversation_gets_the_flags_staff_look_for(reader):
    flags = {c.conversation_id: c.flags for c in reader.conversations()}
    assert flags == {
        "faq-patient": set(),
        "booking-patient": {"booking"},
        "red-flag-patient": {"red_flag"},
        "crisis-patient": {"red_flag", "crisis"},
        "lost-patient": {"unanswered", "out_of_scope"},
        "failed-booking": set(),  # no reference was stored, so no booking
    }
    assert reader.conversation("red-flag-patient").red_flag_tier == "emergency"
    assert reader.conversation("crisis-patient").red_flag_tier == "crisis"  # the most serious, not the latest


def test_filters_by_date_flag_tier_intent_and_words(reader):
    assert ids(reader.conversations(ConversationFilter(since=date(2026, 11, 10), until=date(2026, 11, 12)))) == \
        ["booking-patient", "red-flag-patient"]
    assert ids(reader.conversations(ConversationFilter(flag="booking"))) == ["booking-patient"]
    assert ids(reader.conversations(ConversationFilter(red_flag_tier="emergency"))) == ["red-flag-patient"]
    assert ids(reader.conversations(ConversationFilter(red_flag_tier="urgent"))) == []
    assert ids(reader.conversations(ConversationFilter(flag="crisis"))) == ["crisis-patient"]
    assert ids(reader.conversations(ConversationFilter(red_flag_tier="crisis"))) == ["crisis-patient"]
    assert ids(reader.conversations(ConversationFilter(intent="nlu_fallback"))) == ["crisis-patient", "lost-patient"]
    assert ids(reader.conversations(ConversationFilter(text="QUICK PINCH"))) == ["faq-patient"]
    newest_first = [c.conversation_id for c in reader.conversations()]
    assert newest_first[0] == "failed-booking" and newest_first[-1] == "faq-patient"


def test_a_transcript_shows_what_was_understood_per_turn(reader):
    conversation = reader.conversation("faq-patient")
    question, answer = conversation.turns
    assert (question.speaker, question.text, question.intent) == ("patient", "does dry needling hurt?", "faq")
    assert question.confidence == pytest.approx(0.97) and question.answer == "faq/does_it_hurt"
    assert question.answer_confidence == pytest.approx(0.91)
    assert (answer.speaker, answer.response) == ("assistant", "utter_faq/does_it_hurt")


def test_names_patients_typed_are_known_so_they_can_be_masked(reader):
    conversation = reader.conversation("booking-patient")
    assert conversation.names_given == {"Ana Ruiz"} and conversation.references == ["MC-ABC234"]
    shown = [mask(t.text, conversation.names_given) for t in conversation.turns if t.speaker == "patient"]
    assert shown == ["I'd like to book", "[name]", "[phone]"]
    assert mask("Ruiz here, Ana speaking", conversation.names_given) == "[name] here, [name] speaking"


def test_unanswered_questions_are_grouped_and_exported_as_rasa_nlu(reader):
    questions = unanswered_questions(reader.conversations())
    assert {(q, why) for q, why, _ in questions} == {
        ("can I exercise after dry needling?", "fallback"),
        ("is gym ok after dry needling", "out of scope"),
        ("how much is a session", "not in the article")}
    exported = as_nlu_yaml(group_questions(questions), date(2026, 11, 24))
    examples = RasaYAMLReader().reads(exported).intent_examples
    assert sorted(e.get("text") for e in examples) == sorted(q for q, _, _ in questions)
    assert all(e.get("intent") == "faq" for e in examples)
    assert yaml.safe_load(exported)["version"] == "3.1"


def test_similar_questions_land_in_one_group():
    asked = ["can I exercise after dry needling?", "can i excercise after dry needling", "Can I exercise after dry-needling",
             "is it ok to go to the gym after needling", "how much does it cost", "how much does a session cost"]
    groups = group_questions([(q, "fallback", f"c{i}") for i, q in enumerate(asked)])
    assert sorted(g.count for g in groups) == [1, 2, 3]
    assert groups[0].questions == asked[:3]


def test_retention_deletes_old_conversations_and_says_how_many(tmp_path):
    path = tmp_path / "rasa.db"
    save_conversations(sqlite_tracker_store(path), {"old": Chat("2025-01-01").patient("hi", "greet"),
                                                    "new": Chat("2026-11-20").patient("hi", "greet")})
    reader = TrackerStoreReader(f"sqlite:///{path}")
    assert reader.delete_older_than(datetime(2026, 1, 1, tzinfo=timezone.utc)) == 1
    assert ids(reader.conversations()) == ["new"]
    assert reader.delete_older_than(datetime(2026, 1, 1, tzinfo=timezone.utc)) == 0


def test_what_a_patient_types_into_a_form_is_never_unanswered_but_a_question_after_it_is(tmp_path):
    path = tmp_path / "rasa.db"
    save_conversations(sqlite_tracker_store(path), {"form": Chat("2026-11-20")
        .patient("can someone call me", "request_callback")
        .assistant("utter_ask_patient_name", "What name should the clinic ask for?").form("callback_form")
        .patient("José García", "nlu_fallback", 0.3)
        .assistant("utter_ask_contact", "How should the clinic reach you?")
        .patient("skip", "nlu_fallback", 0.2)
        .assistant("utter_rephrase", "Could you say that another way?")
        .patient("555 201 7788", "inform")
        .action("action_submit_callback", request_reference="MC-ABC234").form(None)
        .patient("what's the weather tomorrow", "nlu_fallback", 0.2)
        .assistant("utter_rephrase", "Could you say that another way?")})
    reader = TrackerStoreReader(f"sqlite:///{path}")
    assert [text for text, _, _ in unanswered_questions(reader.conversations())] == ["what's the weather tomorrow"]
    assert "unanswered" in reader.conversation("form").flags


def test_an_empty_tracker_store_is_not_an_error(tmp_path):
    reader = TrackerStoreReader(f"sqlite:///{tmp_path / 'none.db'}")
    assert reader.conversations() == [] and reader.conversation("x") is None
    assert reader.delete_older_than(datetime.now(timezone.utc)) == 0


@pytest.mark.parametrize("said, shown", [
    ("call me on +44 (20) 7946-0958 please", "call me on [phone] please"),
    ("mail ana.ruiz+clinic@example.co.uk", "mail [email]"),
    ("pain for 10 days, 3 sessions", "pain for 10 days, 3 sessions"),
])
def test_phone_numbers_and_emails_are_masked(said, shown):
    assert mask(said) == shown


def test_the_dashboard_counts_answers_given_not_words_typed_into_a_form(reader):
    from clinic.staff.dashboard import at_a_glance

    figures = at_a_glance(reader.conversations(), [], date(2026, 11, 24), days=30)
    assert dict(figures.top_questions) == {"does_it_hurt": 1, "ask_clinic_price": 1}
    assert (figures.unanswered_messages, figures.patient_messages) == (3, 12)
    assert figures.escalations == {"emergency": 1, "crisis": 1}
    assert sum(n for _, n in figures.per_day) == 6
