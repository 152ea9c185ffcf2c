"""Every page of the staff console, scanned by axe-core (the copy that comes with
axe_playwright_python) in Debian's headless chromium, with the WCAG 2.0, 2.1 and
2.2 A and AA rules: any violation fails the page's test.

The console runs as in tests/test_staff_console.py (a real server, its three
accounts, a real SQLite clinic database), on conversations that Rasa's own
SQLTrackerStore wrote (tests/tracker_events.py), so no trained model is needed."""
import json
import os
import re
from datetime import date, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import text

from clinic.requests.store import now
from test_staff_console import PASSWORDS, console_knowledge, serving_console
from tracker_events import Chat, save_conversations, sqlite_tracker_store
from databases import migrated_store

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# axe-core ships its one WCAG 2.2 AA rule, target-size (2.5.8: 24 × 24 CSS px), switched off by default. Choosing
# rules by tag runs it all the same; it is switched on by name too, so that it runs whatever axe's defaults become.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "rules": {"target-size": {"enabled": True}}}
TARGETS_SHOWN = 5  # targets of each violation named in a failure message
ROLES = {"staff": "sam", "trainer": "tina", "admin": "admin"}


def day(days_ago: int) -> str:
    return (date.today() - timedelta(days=days_ago)).isoformat()


def conversations() -> dict[str, Chat]:
    """Enough for every page to show real content: an FAQ, a booking, a red flag, a crisis and
    a dozen unanswered questions, each asked by several patients (so the Unanswered page has groups
    of many links, and Ignore buttons)."""
    chats = {
        "faq-patient": Chat(day(1))
        .patient("does dry needling hurt?", "faq", 0.97, "faq/does_it_hurt", 0.91)
        .assistant("utter_faq/does_it_hurt", "You may feel a quick pinch."),
        "booking-patient": Chat(day(2))
        .patient("I'd like to book an appointment", "book_appointment")
        .assistant("utter_ask_patient_name", "What is your name?")
        .patient("Ana Ruiz", "inform")
        .action("booking_form", patient_name="Ana Ruiz")
        .assistant("utter_ask_phone", "What phone number can the clinic call?")
        .patient("555 318 4927", "inform")
        .action("action_submit_booking", request_reference="MC-ABC234", patient_name=None)
        .assistant("utter_booking_sent", "Thank you: the clinic will call you to confirm."),
        "red-flag-patient": Chat(day(3))
        .patient("I can't control my bladder and my legs are numb", "red_flag", 1.0)
        .action("action_escalate_red_flag", red_flag_tier="emergency")
        .assistant("utter_red_flag_emergency", "Call 911 now."),
        "crisis-patient": Chat(day(4))
        .patient("I want to kill myself", "red_flag", 1.0, red_flags=[("suicide_or_self_harm", "crisis")])
        .action("action_escalate_red_flag", red_flag_tier="crisis")
        .assistant("utter_crisis", "Please call or text 988 now."),
    }
    lost = ["can I bring my dog to the appointment", "is there parking near the clinic",
            "do you treat horses", "blorf zzkt wibble qqq", "can I exercise after dry needling?",
            "what should I wear", "do you have a wheelchair ramp", "can my kid come along",
            "is the clinic open on sundays", "do you sell gift cards", "zibble zorp ouchy needles",
            "can I pay in bitcoin"]
    for n, question in enumerate(lost):  # each asked by five patients, in their own words: groups of ten
        for k, (first, again) in enumerate([("", " please"), (" ?", " thanks"), ("??", " pls"),
                                             (" !", " again"), (" …", " hello?")]):
            chats[f"lost-patient-{n}-{k}"] = (
                Chat(day((n + k) % 10))
                .patient(question + first, "nlu_fallback", 0.31)
                .assistant("utter_rephrase", "Could you say that another way?")
                .patient(question + again, "out_of_scope", 0.7)
                .assistant("utter_out_of_scope", "I can only help with sciatica and dry needling."))
    return chats


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """The console on its own conversations and clinic database: a booking, a callback (with notes)
    and a safety alert in the inbox, one notification failing, as on a working day."""
    work = tmp_path_factory.mktemp("console-a11y")
    tracker = work / "rasa.db"
    save_conversations(sqlite_tracker_store(tracker), conversations())
    clinic_url = f"sqlite:///{work / 'clinic.db'}"
    store = migrated_store(clinic_url)
    booking, _ = store.submit("booking", "booking-patient", {
        "patient_name": "Ana Ruiz", "phone": "555 318 4927", "preferred_time": "next Tuesday morning",
        "reason": "sciatica", "new_patient": "yes"}, ["email"])
    callback, _ = store.submit("callback", "faq-patient", {
        "patient_name": "Ben Okafor", "contact": "ben.okafor@example.com", "question": "do you take insurance?"},
        ["email", "webhook"])
    store.submit("alert", "crisis-patient", {"tier": "crisis"}, ["email"])
    store.update(callback.reference, status="contacted", assignee="sam", notes="left a voicemail", author="sam")
    item = store.due_outbox()[0]
    store.mark_failed(item.id, "SMTP 451: try again later", timedelta(minutes=5))
    # Only what serving_console reads of the running assistant: no Rasa server is needed for these pages.
    assistant = {"tracker_store": tracker, "rasa": "http://127.0.0.1:9"}
    with serving_console(assistant, tmp_path_factory, clinic_url) as url:
        yield {"url": url, "clinic_url": clinic_url, "booking": booking.reference}


def log_in(page, console, role):
    page.goto(console["url"] + "/login")
    page.get_by_label("Username").fill(ROLES[role])
    page.get_by_label("Password").fill(PASSWORDS[ROLES[role]])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def expire_sessions(console, username):
    """As if `username` had left the console alone for 31 minutes."""
    with migrated_store(console["clinic_url"]).engine.begin() as db:
        db.execute(text("update staff_sessions set last_seen_at = :t where username = :u"),
                   {"t": now() - timedelta(minutes=31), "u": username})


# Each page: the role that opens it and how to get there (page, console) after logging in.
def login_page(page, console):
    page.goto(console["url"] + "/login")


def wrong_password(page, console):
    page.goto(console["url"] + "/login")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")


def timed_out_form(page, console):
    page.goto(console["url"] + "/conversations/booking-patient")
    page.get_by_label("Notes").fill("called back, all fine")
    expire_sessions(console, "sam")
    page.get_by_role("button", name="Save review").click()
    expect(page.get_by_role("status")).to_contain_text("What you typed is kept")


def resumed_form(page, console):
    timed_out_form(page, console)
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORDS["sam"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your changes are kept")).to_be_visible()


def opens(path):
    def go(page, console):
        page.goto(console["url"] + path)
    go.path = path
    return go


def training(state):
    """The Train and load page with a run in `state`, as TrainAndLoad keeps it in the run directory
    (no model is trained: "running" is this test's own process, alive)."""
    def go(page, console):
        run = console_knowledge[console["url"]] / "run"
        run.mkdir(exist_ok=True)
        (run / "train-and-load.json").write_text(json.dumps({"pid": os.getpid(), "by": "admin",
                                                             "at": now().isoformat()}))
        log = ["==> rasa data validate --fail-on-warnings", "==> Training the assistant", "Epochs: 100%"]
        (run / "train-and-load.log").write_text("\n".join(log + ([] if state == "running" else ["EXIT 1"])) + "\n")
        try:
            page.goto(console["url"] + "/model")
            expect(page.locator("#training-state")).to_contain_text("Running" if state == "running" else "Failed")
        finally:
            (run / "train-and-load.json").unlink()
    return go


def revealed_transcript(page, console):
    page.goto(console["url"] + "/conversations/booking-patient")
    page.get_by_role("button", name="Reveal personal details (logged)").click()
    expect(page.locator("ol.transcript")).to_contain_text("Ana Ruiz")


def corrected_transcript(page, console):
    page.goto(console["url"] + "/conversations/lost-patient-3-0")
    page.get_by_label("Teach the assistant").first.select_option("ignore")
    page.get_by_role("button", name="Correct").first.click()
    expect(page.locator("#correction")).to_be_visible()


def revealed_request(page, console):
    page.goto(console["url"] + "/inbox")
    page.locator(f"#request-{console['booking']}").get_by_role(
        "button", name="Reveal personal details (logged)").click()
    expect(page.locator(f"#request-{console['booking']}")).to_contain_text("Ana Ruiz")


def saved_request(page, console):
    page.goto(console["url"] + "/inbox")
    card = page.locator(f"#request-{console['booking']}")
    card.get_by_label("Add a note").fill("patient asked for a morning slot")
    card.get_by_role("button", name=f"Save {console['booking']}").click()
    expect(page.locator("#saved")).to_be_visible()


def ignored_question(page, console):
    page.goto(console["url"] + "/unanswered")
    page.get_by_role("button", name=re.compile("^Ignore")).first.click()
    expect(page.locator("#ignored")).to_be_visible()


PAGES = {  # id: (role or None for no session, how to get there)
    "login": (None, login_page),
    "login-wrong-password": (None, wrong_password),
    "login-after-time-out-with-kept-form": ("staff", timed_out_form),
    "kept-form-resumed": ("staff", resumed_form),
    "at-a-glance": ("staff", opens("/")),
    "conversations": ("admin", opens("/conversations")),
    "conversations-filtered": ("staff", opens("/conversations?flag=unanswered&q=clinic")),
    "transcript-staff": ("staff", opens("/conversations/booking-patient")),
    "transcript-trainer-teaching": ("trainer", opens("/conversations/booking-patient")),
    "transcript-revealed": ("staff", revealed_transcript),
    "transcript-after-a-correction": ("trainer", corrected_transcript),
    "inbox": ("admin", opens("/inbox")),
    "inbox-request-revealed": ("staff", revealed_request),
    "inbox-request-saved": ("staff", saved_request),
    "unanswered-staff": ("staff", opens("/unanswered")),
    "unanswered-trainer": ("trainer", opens("/unanswered")),
    "unanswered-after-ignoring": ("trainer", ignored_question),
    "audit-log": ("admin", opens("/audit")),
    "train-and-load": ("admin", opens("/model")),
    "train-and-load-running": ("admin", training("running")),
    "train-and-load-failed": ("admin", training("failed")),
    "refused": ("staff", opens("/audit")),
    "no-such-conversation": ("staff", opens("/conversations/nobody-had-this-one")),
}


def described(page_id: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} WCAG 2.2 AA violation(s) on the console page {page_id!r}:"]
    for v in violations:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"]]
        shown = ", ".join(targets[:TARGETS_SHOWN]) + (f" … (+{len(targets) - TARGETS_SHOWN})"
                                                      if len(targets) > TARGETS_SHOWN else "")
        lines.append(f"  [{page_id}] {v['id']} ({v['impact']}, {len(targets)} target(s)): {v['help']}\n"
                     f"      targets: {shown}")
    return "\n".join(lines)


@pytest.mark.parametrize("page_id", list(PAGES))
def test_console_page_meets_wcag_22_aa(console, browser, page_id):  # console first: it runs asyncio
    role, go = PAGES[page_id]
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        if role:
            log_in(page, console, role)
        go(page, console)
        assert page.locator("h1").count() == 1, f"{page_id}: the page did not render"
        results = Axe().run(page, options=AXE_OPTIONS)
        violations = results.response["violations"]
        assert not violations, described(page_id, violations)
    finally:
        context.close()
