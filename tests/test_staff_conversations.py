"""The console reads conversations from Rasa's tracker store (SQLite and
PostgreSQL): flags, filters, transcripts, unanswered questions, retention."""
from datetime import date, datetime, timezone

import pytest
import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from sqlalchemy import text

from clinic.staff.conversations import ConversationFilter, TrackerStoreReader
from clinic.staff.ignored import IgnoredQuestions
from clinic.staff.privacy import mask
from clinic.staff.summaries import ConversationSummaries
from clinic.staff.unanswered import as_nlu_yaml, group_questions, unanswered_questions
from tracker_events import Chat, postgres_tracker_store, save_conversations, sqlite_tracker_store
from databases import migrated_store


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


def summarised(reader, tmp_path, store=None) -> ConversationSummaries:
    """The console's summary of the tracker store (in `store`, or a SQLite clinic database), brought up to date."""
    store = store or migrated_store(f"sqlite:///{tmp_path / 'clinic.db'}")
    summaries = ConversationSummaries(store.engine, reader)
    assert summaries.refresh(most_steps=100).events_behind == 0
    return summaries


def test_filters_by_date_flag_tier_intent_and_words(reader, tmp_path):
    summaries = summarised(reader, tmp_path)

    def found(**wanted):
        return ids(summaries.each(ConversationFilter(**wanted)))

    assert found(since=date(2026, 11, 10), until=date(2026, 11, 12)) == ["booking-patient", "red-flag-patient"]
    assert found(flag="booking") == ["booking-patient"]
    assert found(red_flag_tier="emergency") == ["red-flag-patient"]
    assert found(red_flag_tier="urgent") == []
    assert found(flag="crisis") == ["crisis-patient"]
    assert found(red_flag_tier="crisis") == ["crisis-patient"]
    assert found(intent="nlu_fallback") == ["crisis-patient", "lost-patient"]
    assert found(intent="nlu%fallback") == found(intent="nlu_fallbacks") == []  # a LIKE's wildcards are letters
    assert found(text="QUICK PINCH") == ["faq-patient"]
    assert found(flag="unanswered", text="gym") == ["lost-patient"]
    newest_first = [c.conversation_id for c in summaries.each(ConversationFilter())]
    assert newest_first == [c.conversation_id for c in reader.conversations()]  # the summary reads as the store
    assert newest_first[0] == "failed-booking" and newest_first[-1] == "faq-patient"
    page = summaries.page(ConversationFilter(), number=2, size=4)
    assert [c.conversation_id for c in page.items] == newest_first[4:] and page.total == 6
    assert summaries.intents() == ["book_appointment", "faq", "inform", "nlu_fallback", "out_of_scope", "red_flag"]


def test_the_summary_follows_new_messages_a_replaced_store_and_retention(tmp_path, store):
    """In a clinic database on SQLite and on PostgreSQL."""
    path = tmp_path / "rasa.db"
    tracker = sqlite_tracker_store(path)
    ana = Chat("2026-11-20").patient("does it hurt?", "faq", 0.9, "faq/does_it_hurt")
    save_conversations(tracker, {"ana": ana.assistant("utter_faq/does_it_hurt", "A quick pinch.")})
    reader = TrackerStoreReader(f"sqlite:///{path}")
    summaries = summarised(reader, tmp_path, store)
    assert summaries.page(ConversationFilter(flag="red_flag")).total == 0
    # Ana comes back with a red flag; Ben writes for the first time.
    save_conversations(tracker, {"ana": ana.patient("I can't control my bladder", "red_flag")  # Rasa adds the new
                                 .action("action_escalate_red_flag", red_flag_tier="emergency"),  # events only
                                 "ben": Chat("2026-11-22").patient("blorf", "nlu_fallback", 0.2)
                                 .assistant("utter_rephrase", "Could you say that another way?")})
    assert summaries.refresh().events_behind == 0
    assert [c.conversation_id for c in summaries.page(ConversationFilter(flag="red_flag")).items] == ["ana"]
    assert summaries.unanswered() == ([("blorf", "fallback", "ben")], 1)
    IgnoredQuestions(summaries.engine).ignore(["Blorf"], "sam")
    assert summaries.unanswered() == ([], 0)
    # Events that become visible after one with a higher id (two replicas committing at once) are still
    # read: while this console runs, and by a console started afterwards.
    copy = "insert into events (id, sender_id, type_name, timestamp, intent_name, action_name, data) " \
           "select :id, :sender, type_name, timestamp, intent_name, action_name, data from events where id = :from"
    with reader.engine.begin() as db:
        top = db.execute(text("select max(id) from events")).scalar()
        db.execute(text(copy), {"id": top + 3, "sender": "cleo", "from": top})
    summaries.refresh()
    with reader.engine.begin() as db:
        first_user = db.execute(text("select id from events where sender_id = 'ben' and type_name = 'user'")).scalar()
        db.execute(text(copy), {"id": top + 1, "sender": "dan", "from": first_user})
    summaries.refresh()
    restarted = ConversationSummaries(store.engine, reader)
    with reader.engine.begin() as db:
        db.execute(text(copy), {"id": top + 2, "sender": "fay", "from": first_user})
    restarted.refresh()
    assert {"cleo", "dan", "fay"} <= set(ids(summaries.each(ConversationFilter())))
    # Retention drops the summary with the conversation.
    assert reader.delete_older_than(datetime(2026, 11, 21, tzinfo=timezone.utc)) == 1
    summaries.forget_older_than(datetime(2026, 11, 21, tzinfo=timezone.utc))
    assert "ana" not in ids(summaries.each(ConversationFilter()))
    # A new, empty tracker store (ids start again): the summary starts again too.
    path.unlink()
    save_conversations(sqlite_tracker_store(path), {"eve": Chat("2026-11-23").patient("hi", "greet")})
    summaries.refresh()
    assert ids(summaries.each(ConversationFilter())) == ["eve"]
    # The console pointed at another tracker store: a summary of that one, not a mix.
    other = tmp_path / "other.db"
    save_conversations(sqlite_tracker_store(other), {"gus": Chat("2026-11-24").patient("hi", "greet"),
                                                     "hal": Chat("2026-11-24").patient("hello", "greet")})
    moved = summarised(TrackerStoreReader(f"sqlite:///{other}"), tmp_path, store)
    assert ids(moved.each(ConversationFilter())) == ["gus", "hal"]


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


def test_the_dashboard_counts_answers_given_not_words_typed_into_a_form(reader, tmp_path):
    figures = summarised(reader, tmp_path).glance(date(2026, 11, 24), {"booking": 2}, days=30)
    assert dict(figures.top_questions) == {"does_it_hurt": 1, "ask_clinic_price": 1}
    assert (figures.unanswered_messages, figures.patient_messages) == (3, 12)
    assert figures.escalations == {"emergency": 1, "crisis": 1}
    assert sum(n for _, n in figures.per_day) == 6 and figures.booking_requests == {"booking": 2}
