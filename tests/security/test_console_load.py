"""What a patient's text or a big tracker store costs the staff console: masking
is linear, grouping unanswered questions needs no questions² matrix, a page of
conversations reads only that page's events (SQLite and PostgreSQL), and an
export cell cannot become a spreadsheet formula."""
import csv
import io
import random
import string
import timeit
import tracemalloc
from datetime import date

import pytest
from sqlalchemy import text

from clinic.staff import conversations
from clinic.staff.conversations import ConversationFilter, TrackerStoreReader
from clinic.staff.pages import csv_file
from clinic.staff.privacy import mask
from clinic.staff.summaries import ConversationSummaries
from clinic.staff.unanswered import group_questions
from tracker_events import Chat, postgres_tracker_store, save_conversations, sqlite_tracker_store
from databases import migrated_store


# --- 8. Masking ------------------------------------------------------------------------------

def best_time(function, argument) -> float:
    return min(timeit.repeat(lambda: function(argument), number=1, repeat=3))


def test_masking_long_text_without_an_at_sign_takes_linear_time():
    words_and_dots = "word." * 10_000  # 50,000 characters that could all start an email
    took = best_time(mask, words_and_dots)
    linear = best_time(mask, "word " * 10_000)  # the same length, but spaces end every candidate at once
    assert took < 0.2 and took < 10 * linear + 0.01, f"{took:.3f} s (a linear pass: {linear:.3f} s)"
    assert mask("mail ana.ruiz+clinic@example.co.uk or x.y@z.com") == "mail [email] or [email]"


# --- 8. Grouping unanswered questions ---------------------------------------------------------

def test_grouping_many_unanswered_questions_needs_no_square_matrix():
    rng = random.Random(8)
    vocabulary = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(3000)]
    questions = [(" ".join(rng.choices(vocabulary, k=8)), "fallback", f"c{n}") for n in range(6000)]
    tracemalloc.start()
    try:
        groups = group_questions(questions)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    square = len(questions) ** 2 * 8  # a dense float64 questions × questions matrix: 288 MB
    assert peak < square / 3, f"peak {peak / 1e6:.0f} MB"
    assert sum(g.count for g in groups) == len(questions)


# --- 8. A page of conversations reads only that page ------------------------------------------

BOOKINGS = 3
COPIES = 120


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def reader(request, tmp_path_factory):
    """A tracker store written by Rasa, then copied in SQL to make it long."""
    chats = {"faq": Chat("2026-11-20").patient("does it hurt?", "faq", 0.97, "faq/does_it_hurt")
             .assistant("utter_faq/does_it_hurt", "You may feel a quick pinch."),
             **{f"booking-{n}": Chat(f"2026-10-0{n + 1}").patient("book me in", "book_appointment")
                .action("action_submit_booking", request_reference=f"MC-BOOK0{n}") for n in range(BOOKINGS)}}
    if request.param == "sqlite":
        store = sqlite_tracker_store(tmp_path_factory.mktemp("tracker") / "rasa.db")
        save_conversations(store, chats)
        make_copies(store.engine)
        yield TrackerStoreReader(str(store.engine.url))
        return
    with postgres_tracker_store() as (store, url):
        save_conversations(store, chats)
        make_copies(store.engine)
        store.engine.dispose()
        reader = TrackerStoreReader(url)
        yield reader
        reader.engine.dispose()


def make_copies(engine) -> None:
    """COPIES more FAQ conversations, each an hour older than the one before."""
    with engine.begin() as db:
        for n in range(1, COPIES + 1):
            db.execute(text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                            "SELECT :copy, type_name, timestamp - :age, intent_name, action_name, data "
                            "FROM events WHERE sender_id = 'faq' ORDER BY id"),
                       {"copy": f"faq-{n:03d}", "age": n * 3600.0})


@pytest.fixture
def built(monkeypatch):
    """The ids of the conversations whose events were read and folded."""
    folded, fold = [], conversations.build_conversation
    monkeypatch.setattr(conversations, "build_conversation",
                        lambda conversation_id, rows: folded.append(conversation_id) or fold(conversation_id, rows))
    return folded


@pytest.fixture
def summary(reader, tmp_path):
    """The console's summary of the store, brought up to date (which folds every conversation once)."""
    summaries = ConversationSummaries(migrated_store(f"sqlite:///{tmp_path / 'clinic.db'}").engine, reader)
    assert summaries.refresh(most_steps=100).events_behind == 0
    return summaries


def test_a_page_of_conversations_reads_only_that_page(reader, summary, built):
    everything = [c.conversation_id for c in reader.conversations()]
    assert len(everything) == COPIES + 1 + BOOKINGS
    built.clear()
    first = summary.page(ConversationFilter(), 1, size=10)
    assert [c.conversation_id for c in first.items] == everything[:10] and first.has_next
    assert first.total == len(everything) and not first.has_previous
    assert len(built) == 10
    second = summary.page(ConversationFilter(), 2, size=10)
    assert [c.conversation_id for c in second.items] == everything[10:20] and second.has_previous
    last = summary.page(ConversationFilter(), 13, size=10)
    assert [c.conversation_id for c in last.items] == everything[120:] and not last.has_next


def test_dates_and_flags_are_narrowed_in_sql(summary, built):
    built.clear()
    dated = summary.page(ConversationFilter(since=date(2026, 10, 1), until=date(2026, 10, 2)), 1, size=10)
    assert sorted(c.conversation_id for c in dated.items) == ["booking-0", "booking-1"]
    assert sorted(built) == ["booking-0", "booking-1"]
    built.clear()
    booked = summary.page(ConversationFilter(flag="booking"), 1, size=10)
    assert len(booked.items) == BOOKINGS and sorted(built) == sorted(c.conversation_id for c in booked.items)
    built.clear()
    asked = summary.page(ConversationFilter(intent="faq"), 1, size=10)
    assert len(asked.items) == 10 and asked.has_next and len(built) == 10


# --- 9. Export cells ---------------------------------------------------------------------------

@pytest.mark.parametrize("blank", ["\t", " ", "\r", "\n", "\r\n ", ""])
@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_an_export_cell_cannot_start_a_formula_even_after_blanks(blank, start):
    cell = f"{blank}{start}HYPERLINK(\"http://evil.test\")"
    exported = csv_file([["header"], [cell], ["plain text"]], "x.csv").body.decode()
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[1] == ["'" + cell] and rows[2] == ["plain text"]
