"""How a staff console session ends, and what crosses a log-in, against a real
`python -m clinic.staff serve` and its database: a form from another site is
refused or dropped, never offered to save after the log-in; only the staff
member's own form, sent after their session timed out, waits for that same
account; the front page's self-refresh never keeps an idle session open; and no
session outlives its lifetime, however busy.

Time passes by moving the sessions' stored times back (the console's clock reads
them against now): no sleeps, no mocks.
"""
import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from clinic.staff.accounts import StaffAccounts
from clinic.db.tables import sessions_table
from test_console_doors import PASSWORDS, Client, csrf_token, served_console
from tracker_events import Chat, save_conversations, sqlite_tracker_store
from databases import migrated_store

NOTE = {"status": "contacted", "assignee": "sam", "note": "left a voicemail"}


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("console_sessions")
    save_conversations(sqlite_tracker_store(workdir / "rasa.db"), {"web-1": Chat("2026-11-10").patient("hi", "greet")})
    clinic_url = f"sqlite:///{workdir / 'clinic.db'}"
    store = migrated_store(clinic_url)
    accounts = StaffAccounts(store.engine)
    accounts.create("sam", PASSWORDS["sam"], "staff")
    accounts.create("tina", PASSWORDS["tina"], "trainer")
    with served_console(workdir, clinic_url, f"sqlite:///{workdir / 'rasa.db'}") as url:
        yield {"url": url, "store": store}


@pytest.fixture
def reference(console, request):
    """A booking request of this test's own (the same details are the same request), for a form to change."""
    details = {"patient_name": "Ana Ruiz", "visit_reason": request.node.name}
    return console["store"].submit("booking", "web-1", details, [])[0].reference


def let_time_pass(engine, **elapsed) -> None:
    """As if `elapsed` had passed since every session's log-in and last activity (row by row: SQLite
    has no date arithmetic)."""
    sessions, back = sessions_table, timedelta(**elapsed)
    with engine.begin() as db:
        for row in db.execute(select(sessions.c.token_hash, sessions.c.created_at, sessions.c.last_seen_at)).all():
            db.execute(update(sessions).where(sessions.c.token_hash == row.token_hash)
                       .values(created_at=row.created_at - back, last_seen_at=row.last_seen_at - back))


def hidden(answer) -> dict[str, str]:
    """The hidden fields of a page's forms, as a browser would send them back."""
    return {name: html.unescape(value)
            for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', answer.text)}


def status_of(console, reference) -> str:
    return console["store"].get(reference).status


# --- 1. Forms from another site ---------------------------------------------------------------

def test_a_form_from_another_site_is_not_carried_through_the_log_in(console, reference):
    """A stranger's page posts to the console from the staff member's browser, which sends no session cookie
    (SameSite=Strict) and, as an old browser, neither Origin nor Sec-Fetch-Site. The staff member logs in on
    the page that comes back: nothing of the stranger's form is offered to save, under their name."""
    browser = Client(console["url"], "127.0.0.61")
    forged = {"status": "closed", "assignee": "", "note": "patient cancelled, do not call", "csrf_token": "x"}
    sent = browser.call("POST", f"/inbox/{reference}", forged)
    assert sent.status == 401 and "Staff log-in" in sent.text
    assert "carry:" not in sent.text and "What you typed is kept" not in sent.text
    landed = browser.call("POST", "/login", {**hidden(sent), "username": "sam", "password": PASSWORDS["sam"]})
    assert landed.status == 303 and "Your changes are kept" not in landed.text

    # Nor do fields written into the log-in form itself cross it: no timed-out session of sam's sent them.
    token = csrf_token(browser.get("/login"))
    landed = browser.call("POST", "/login", {"csrf_token": token, "next": f"/inbox/{reference}",
                                             "carry:status": "closed", "username": "sam",
                                             "password": PASSWORDS["sam"]})
    assert landed.status == 303 and "Your changes are kept" not in landed.text
    assert status_of(console, reference) == "new"


def test_in_chromium_a_form_another_site_sends_is_refused(console, reference, browser):
    """The attack end to end: sam is logged in, and a stranger's page in the same browser posts to the inbox.
    (`browser` last: Playwright's event loop would stop the console fixture's asyncio.run().)"""
    page = browser.new_context().new_page()
    page.goto(console["url"] + "/login")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORDS["sam"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(console["url"] + "/")
    stranger = (f'<form method="post" action="{console["url"]}/inbox/{reference}">'
                '<input type="hidden" name="status" value="closed"><input type="hidden" name="note" value="cancelled">'
                '<button>See the prize</button></form>')
    page.route("http://stranger.example/", lambda route: route.fulfill(body=stranger, content_type="text/html"))
    page.goto("http://stranger.example/")
    page.get_by_role("button", name="See the prize").click()
    page.wait_for_url(f"{console['url']}/inbox/{reference}")
    assert "this form was sent from another website" in page.content()
    assert "Staff log-in" not in page.content() and status_of(console, reference) == "new"


@pytest.mark.parametrize("header", ["Origin: https://evil.example", "Origin: null", "Origin: http://127.0.0.1:1",
                                    "Sec-Fetch-Site: cross-site", "Sec-Fetch-Site: same-site"])
def test_a_post_the_browser_says_came_from_elsewhere_is_refused_the_log_in_too(console, reference, header):
    name, value = header.split(": ")
    staff = Client(console["url"], "127.0.0.62")
    assert staff.log_in("sam").status == 303
    sent = staff.post(f"/inbox/{reference}", {"status": "closed"}, headers={name: value})  # its CSRF token too
    assert sent.status == 403 and sent.getheader("Content-Type").startswith("text/plain"), sent.text
    assert "another website" in sent.text and status_of(console, reference) == "new"

    stranger = Client(console["url"], "127.0.0.62")
    form = {"username": "sam", "password": PASSWORDS["sam"], "csrf_token": csrf_token(stranger.get("/login"))}
    refused = stranger.call("POST", "/login", form, {name: value})
    assert refused.status == 403 and "clinic_staff" not in stranger.cookies


def test_the_consoles_own_pages_still_post(console, reference):
    own = {"Origin": console["url"], "Sec-Fetch-Site": "same-origin"}  # what a browser sends from its pages
    staff = Client(console["url"], "127.0.0.62")
    assert staff.log_in("sam", headers=own).status == 303
    assert staff.post(f"/inbox/{reference}", NOTE, headers=own).status == 303
    typed = staff.post("/conversations/web-1/review", {"tags": "checked"}, headers={"Sec-Fetch-Site": "none"})
    assert typed.status == 303  # "none": the staff member's own doing, not another site's
    assert status_of(console, reference) == "contacted"


# --- 1. What waits across a log-in: the owner's own form, for the owner -------------------------

def test_only_the_owners_own_form_waits_across_the_log_in_and_only_for_that_account(console, reference):
    engine = console["store"].engine
    sam = Client(console["url"], "127.0.0.63")
    assert sam.log_in("sam").status == 303
    let_time_pass(engine, minutes=31)
    # The timed-out session's cookie, but not its CSRF token: not a form of that session's pages.
    guessed = sam.post(f"/inbox/{reference}", {**NOTE, "csrf_token": "guessed"}, csrf=False)
    assert guessed.status == 401 and "logged out after 30 minutes" in guessed.text
    assert "carry:" not in guessed.text and "What you typed is kept" not in guessed.text

    kept = sam.post(f"/inbox/{reference}", NOTE)  # with its own token: sam typed it
    assert kept.status == 401 and "What you typed is kept" in kept.text
    assert hidden(kept)["carry:note"] == "left a voicemail"
    # Someone else logs in at that computer: it was not theirs to save.
    other = sam.call("POST", "/login", {**hidden(kept), "username": "tina", "password": PASSWORDS["tina"]})
    assert other.status == 303 and "Your changes are kept" not in other.text
    assert status_of(console, reference) == "new"

    sam = Client(console["url"], "127.0.0.63")
    assert sam.log_in("sam").status == 303
    let_time_pass(engine, minutes=31)
    kept = sam.post(f"/inbox/{reference}", NOTE)
    resumed = sam.call("POST", "/login", {**hidden(kept), "username": "sam", "password": PASSWORDS["sam"]})
    assert resumed.status == 200 and "Your changes are kept" in resumed.text
    assert sam.call("POST", f"/inbox/{reference}", hidden(resumed)).status == 303  # one click saves it
    assert status_of(console, reference) == "contacted"


# --- 2. Idle timeout and lifetime -------------------------------------------------------------------

def test_an_idle_session_ends_after_30_minutes_and_only_the_staff_members_own_clicks_keep_it_open(console):
    engine = console["store"].engine
    staff = Client(console["url"], "127.0.0.64")
    assert staff.log_in("sam").status == 303
    assert 'http-equiv="refresh"' not in staff.get("/").text  # no page reloads itself (WCAG 2.2.1)

    let_time_pass(engine, minutes=20)
    assert [staff.get(path).status for path in ("/static/console.css", "/favicon.ico")][0] == 200
    let_time_pass(engine, minutes=11)  # 31 minutes since sam last did something; the stylesheet does not count
    ended = staff.get("/")
    assert ended.status == 303 and "expired=" in ended.headers["Location"]
    assert "logged out after 30 minutes without activity" in staff.get(ended.headers["Location"]).text

    assert staff.log_in("sam").status == 303  # a click of sam's own does keep it open
    let_time_pass(engine, minutes=20)
    assert staff.get("/").status == 200
    let_time_pass(engine, minutes=20)
    assert staff.get("/inbox").status == 200


def test_a_session_ends_after_its_lifetime_however_busy(console, reference):
    engine = console["store"].engine
    staff = Client(console["url"], "127.0.0.65")
    assert staff.log_in("sam").status == 303
    for _ in range(24):  # 11 h 36 min of work, a page every 29 minutes
        let_time_pass(engine, minutes=29)
        assert staff.get("/inbox").status == 200
    let_time_pass(engine, minutes=25)  # 12 h 1 min after the log-in
    ended = staff.get("/inbox")
    assert ended.status == 303 and ended.headers["Location"].startswith("/login?")
    assert "a log-in lasts 12 hours at most" in staff.get(ended.headers["Location"]).text
    kept = staff.post(f"/inbox/{reference}", NOTE)  # a form sent then is still the staff member's own
    assert kept.status == 401 and "What you typed is kept" in kept.text
    assert staff.log_in("sam").status == 303 and staff.get("/inbox").status == 200  # then 12 hours more


def test_a_timed_out_session_is_kept_ended_and_forgotten_after_the_lifetime(store):
    """On SQLite and PostgreSQL: a timed-out session never opens again, but is known as its owner's
    (for their late form) until it is older than a session's lifetime; then a log-in forgets it."""
    accounts = StaffAccounts(store.engine, idle_timeout=timedelta(minutes=30), lifetime=timedelta(hours=12))
    accounts.create("sam", PASSWORDS["sam"])
    token = accounts.log_in("sam", PASSWORDS["sam"], "10.0.0.9")
    live = accounts.session(token)
    let_time_pass(store.engine, minutes=10)
    assert accounts.session(token, renew=False) == live  # a page reloading itself: read, not renewed
    let_time_pass(store.engine, minutes=21)
    assert accounts.session(token) is None and accounts.session(token) is None
    ended = accounts.ended(token)
    assert (ended.username, ended.csrf_token, ended.why) == ("sam", live.csrf_token, "idle")
    assert accounts.ended(accounts.log_in("sam", PASSWORDS["sam"], "10.0.0.9")) is None  # a live one has not
    let_time_pass(store.engine, hours=12)
    accounts.log_in("sam", PASSWORDS["sam"], "10.0.0.9")
    assert accounts.ended(token) is None
