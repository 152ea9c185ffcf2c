"""The staff console's doors, against a real `python -m clinic.staff serve` with
real databases (Rasa's own tracker store rows): who reaches which page under any
spelling of its path, ids with "/" in them, masked inbox details, log-in abuse,
the audit log's pages and spreadsheet-safe exports.

Requests go through http.client, which sends a path exactly as written (no
normalising), from a chosen 127.0.0.x address (log-in back-off is per address).
"""
import contextlib
import csv
import html
import http.client
import io
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import insert, select, text

from clinic import PROJECT_ROOT
from clinic.staff.accounts import StaffAccounts
from clinic.staff.app import staff_console
from clinic.db.tables import audit_table
from local_servers import free_port, wait_for
from tracker_events import Chat, save_conversations, sqlite_tracker_store
from databases import migrated_store

PASSWORDS = {"admin": "admin password for tests", "sam": "staff password for tests",
             "tina": "trainer password for tests"}
PATIENT = {"patient_name": "Ana Ruiz", "phone": "555 201 7788", "preferred_time": "Tuesday morning",
           "visit_reason": "sciatica, or mail me at ana.ruiz@example.com"}
SLASHED = ("rest/patient 42", "odd?id#1%/..x")  # Rasa's REST channel takes any sender id
FORMULAS = ("\t=1+2", " +3+4", "\r\n@SUM(A1)", "\n-5+6")  # sender ids too: a spreadsheet skips the blanks
UNANSWERED = "blorf zzkt wibble qqq"  # what the assistant could not answer, in a conversation of its own
OPEN_ROUTES = {"login", "static/console.css", "health", "ready", "metrics"}  # as registered: the rest needs a log-in
ADMIN_ROUTES = {"audit", "export/inbox.csv", "export/conversations.csv"}
FILLERS = 60  # more conversations than one page holds


class Client:
    """A browser's cookie jar over http.client, from one source address."""

    def __init__(self, url: str, source: str = "127.0.0.1"):
        self.host, self.port = url.removeprefix("http://").split(":")
        self.source, self.cookies, self.csrf = source, {}, None

    def call(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection(self.host, int(self.port), timeout=60,
                                                source_address=(self.source, 0))
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body, headers)
        answer = connection.getresponse()
        answer.text = answer.read().decode()
        connection.close()
        for header in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return answer

    def get(self, path):
        return self.call("GET", path)

    def post(self, path, form=None, csrf=True, headers=None):
        return self.call("POST", path, {**({"csrf_token": self.csrf} if csrf else {}), **(form or {})}, headers)

    def log_in(self, name: str, password: str | None = None, headers: dict | None = None):
        token = csrf_token(self.get("/login"))
        answer = self.call("POST", "/login", {"username": name, "password": password or PASSWORDS[name],
                                              "csrf_token": token}, headers)
        if answer.status == 303:
            self.csrf = csrf_token(self.get("/conversations"))
        return answer


def csrf_token(answer) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', answer.text).group(1)


def links(answer, rel: str | None = None) -> list[str]:
    pattern = r'href="([^"]+)"' + (f' rel="{rel}"' if rel else "")
    return [html.unescape(href) for href in re.findall(pattern, answer.text)]


def conversation_links(answer) -> list[str]:
    return [href for href in links(answer) if href.startswith("/conversations/")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The console on a free port, over a tracker store written by Rasa and a clinic database."""
    workdir = tmp_path_factory.mktemp("console_doors")
    tracker_url, clinic_url = f"sqlite:///{workdir / 'rasa.db'}", f"sqlite:///{workdir / 'clinic.db'}"
    booking = (Chat("2026-11-10").patient("I'd like to book", "book_appointment")
               .patient("Ana Ruiz", "inform").action("booking_form", patient_name="Ana Ruiz")
               .action("action_submit_booking", request_reference="MC-PLACEH"))
    tracker = sqlite_tracker_store(workdir / "rasa.db")
    save_conversations(tracker, {"web-booking": booking,
                                 **{cid: Chat("2026-11-12").patient("does it hurt?", "faq") for cid in SLASHED},
                                 **{cid: Chat("2026-11-13").patient("hi", "greet") for cid in FORMULAS},
                                 "web-unanswered": Chat("2026-11-14").patient(UNANSWERED, "nlu_fallback")})
    copy_conversation(tracker.engine, "web-booking", [f"filler-{n:02d}" for n in range(FILLERS)])
    store = migrated_store(clinic_url)
    reference = store.submit("booking", "web-booking", PATIENT, [])[0].reference
    slashed_reference = store.submit("callback", SLASHED[0], {"phone": "555 300 4000"}, [])[0].reference
    accounts = StaffAccounts(store.engine)
    accounts.create("admin", PASSWORDS["admin"], "admin")
    accounts.create("sam", PASSWORDS["sam"], "staff")
    accounts.create("tina", PASSWORDS["tina"], "trainer")
    with served_console(workdir, clinic_url, tracker_url) as url:
        yield {"url": url, "store": store, "reference": reference, "slashed_reference": slashed_reference,
               "conversation": "web-booking", "app": staff_console(clinic_url, tracker_url)}


@contextlib.contextmanager
def served_console(workdir, clinic_url: str, tracker_url: str):
    """`python -m clinic.staff serve` on a free port over these databases; yields its address."""
    env = {**os.environ, "CLINIC_DB_URL": clinic_url, "CLINIC_TRACKER_DB_URL": tracker_url}
    port = free_port()
    with open(workdir / "console.log", "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "clinic.staff", "serve", "--port", str(port)], env=env,
                                  cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/login", server)
        yield url
    finally:
        server.terminate()
        server.wait(30)


def copy_conversation(engine, conversation_id: str, copies: list[str]) -> None:
    """Rasa's rows of one conversation again under other ids, each a day older than the last."""
    with engine.begin() as db:
        for n, copy in enumerate(copies, start=1):
            db.execute(text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                            "SELECT :copy, type_name, timestamp - :age, intent_name, action_name, data "
                            "FROM events WHERE sender_id = :original ORDER BY id"),
                       {"copy": copy, "age": n * 86400.0, "original": conversation_id})


# --- 3. Admin pages are decided by route, not by the text of the path -----------------------

def spellings(path: str) -> dict[str, str]:
    """Ways to write the same path that a text comparison would not recognise."""
    letter = re.search(r"[a-z]", path)
    encoded = path[:letter.start()] + f"%{ord(letter.group()):02X}" + path[letter.end():] if letter else path
    return {"as registered": path, "trailing slash": path + "/", "double slash": "/" + path,
            "doubled slashes": path.replace("/", "//"), "a letter percent-encoded": encoded,
            "upper case": path.upper()}


def every_route(site) -> list[tuple[str, str]]:
    """(registered path, path with real ids) for every route of the app, the log-out last."""
    real = {"conversation_id": site["conversation"], "reference": site["reference"]}
    routes = []
    for route in site["app"].router.routes:
        def fill(match):
            assert match.group(1) in real, f"no real value for <{match.group(1)}> in {route.path}: add one"
            return real[match.group(1)]
        routes.append((route.path, "/" + re.sub(r"<(\w+)(?::[^>]*)?>", fill, route.path)))
    return sorted(routes, key=lambda r: r[0] == "logout")


def admin_routes(site) -> set[str]:
    marked = {route.path for route in site["app"].router.routes if getattr(route.handler, "admin_only", False)}
    return ADMIN_ROUTES | marked


def trainer_routes(site) -> set[str]:
    """Teaching the assistant: trainers and admins only."""
    return {route.path for route in site["app"].router.routes if getattr(route.handler, "trainers_only", False)}


def let_in(site, client: Client, closed: set[str]) -> list[str]:
    """Every spelling of every route in `closed` that answered `client` with a page."""
    opened = []
    for registered, path in every_route(site):
        for spelling, sent in spellings(path).items():
            for method in ("GET", "POST"):
                answer = client.get(sent) if method == "GET" else client.post(sent)
                if registered in closed and answer.status < 300:
                    opened.append(f"{method} {sent} ({spelling}) -> {answer.status}")
    return opened


def test_no_spelling_of_a_path_lets_staff_in_where_only_admins_go(site):
    staff, admin = Client(site["url"], "127.0.0.31"), Client(site["url"], "127.0.0.31")
    assert staff.log_in("sam").status == 303 and admin.log_in("admin").status == 303
    assert admin.get("/audit/").status == 200  # the spellings do reach the admin pages
    assert trainer_routes(site), "teaching the assistant is marked for trainers"
    opened = let_in(site, staff, admin_routes(site) | trainer_routes(site))
    assert not opened, "a staff account reached admin or trainer pages:\n" + "\n".join(opened)


def test_a_trainer_teaches_but_never_reaches_an_admin_page(site):
    trainer = Client(site["url"], "127.0.0.45")
    assert trainer.log_in("tina").status == 303
    page = trainer.get(f"/conversations/{site['conversation']}")
    assert page.status == 200 and "Teach the assistant" in page.text
    opened = let_in(site, trainer, admin_routes(site))  # the log-out comes last
    assert not opened, "a trainer reached admin pages:\n" + "\n".join(opened)


def test_no_spelling_of_a_path_opens_a_page_without_a_log_in(site):
    nobody = Client(site["url"], "127.0.0.32")
    let_in = []
    for registered, path in every_route(site):
        for spelling, sent in spellings(path).items():
            for method in ("GET", "POST"):
                answer = nobody.call(method, sent, {} if method == "POST" else None)
                if registered not in OPEN_ROUTES and answer.status < 300:
                    let_in.append(f"{method} {sent} ({spelling}) -> {answer.status}")
    assert not let_in, "pages answered without a log-in:\n" + "\n".join(let_in)


def test_staff_still_open_every_staff_page(site):
    staff = Client(site["url"], "127.0.0.33")
    assert staff.log_in("sam").status == 303
    gettable = {route.path for route in site["app"].router.routes if "GET" in route.methods}
    for registered, path in every_route(site):
        if registered in gettable - admin_routes(site) - trainer_routes(site) - OPEN_ROUTES:
            assert staff.get(path).status == 200, path


# --- 13. Conversation ids with "/" (and "?", "#", "%") open -----------------------------------

def browser_path(href: str) -> str:
    """What a browser requests for an href: spaces and the like encoded, "/" and "%" kept."""
    return quote(href, safe="/%?=&")


@pytest.mark.parametrize("conversation_id", SLASHED)
def test_a_conversation_whose_id_holds_a_slash_opens_from_its_link(site, conversation_id):
    staff = Client(site["url"], "127.0.0.34")
    assert staff.log_in("sam").status == 303
    listed = conversation_links(staff.get("/conversations?since=2026-11-12&until=2026-11-12"))
    assert len(listed) == len(SLASHED)
    opened = {}
    for href in listed:
        page = staff.get(browser_path(href))
        assert page.status == 200, href
        opened[html.unescape(re.search(r"<code>(.*?)</code>", page.text).group(1))] = page
    actions = [html.unescape(a) for a in re.findall(r'<form method="post" action="([^"]+)"',
                                                   opened[conversation_id].text)]
    reveal = next(a for a in actions if a.endswith("/reveal"))
    revealed = staff.post(browser_path(reveal))
    assert revealed.status == 303 and staff.get(browser_path(revealed.headers["location"])).status == 200
    review = next(a for a in actions if a.endswith("/review"))
    saved = staff.post(browser_path(review), {"tags": "slashed"})
    assert saved.status == 303 and staff.get(browser_path(saved.headers["location"])).status == 200


def test_the_inbox_links_to_a_conversation_whose_id_holds_a_slash(site):
    staff = Client(site["url"], "127.0.0.35")
    assert staff.log_in("sam").status == 303
    inbox = staff.get("/inbox")
    card = inbox.text[inbox.text.index(f'id="request-{site["slashed_reference"]}"'):]
    href = re.search(r'href="(/conversations/[^"]+)"', card).group(1)
    assert staff.get(browser_path(href)).status == 200


# --- 5. The inbox masks who the patient is until a logged reveal --------------------------------

def audit_rows(site, **where):
    query = select(audit_table)
    for column, value in where.items():
        query = query.where(audit_table.c[column] == value)
    with site["store"].engine.connect() as db:
        return list(db.execute(query))


def audit_lines(answer) -> list[str]:
    return re.findall(r"<tr><td>.*?</tr>", answer.text)


def test_the_inbox_masks_names_phones_and_emails_until_a_logged_reveal(site):
    staff = Client(site["url"], "127.0.0.36")
    assert staff.log_in("sam").status == 303
    inbox = staff.get("/inbox")
    assert inbox.status == 200 and "[name]" in inbox.text
    for detail in ("Ana Ruiz", "Ruiz", "201 7788", "ana.ruiz@example.com"):
        assert detail not in inbox.text
    assert "Tuesday morning" in inbox.text  # what is not identifying stays readable
    assert not audit_rows(site, action="reveal_request", address="127.0.0.36")

    reveal = f"/inbox/{site['reference']}/reveal"
    assert f'action="{reveal}"' in inbox.text
    assert staff.post(reveal, csrf=False).status == 403  # a form from elsewhere cannot reveal
    assert staff.get(reveal).status != 200
    sent = staff.post(reveal)
    assert sent.status == 303  # then a page that can be reloaded without revealing (and logging) again
    for _ in range(2):
        revealed = staff.get(sent.headers["location"].split("#")[0])
        assert "Ana Ruiz" in revealed.text and "555 201 7788" in revealed.text and "ana.ruiz@example.com" in revealed.text
    [row] = audit_rows(site, action="reveal_request", address="127.0.0.36")  # one reveal, however often reloaded
    assert (row.username, row.target) == ("sam", site["reference"])
    assert "Ana Ruiz" not in staff.get("/inbox").text  # masked again on the next visit
    other = Client(site["url"], "127.0.0.38")  # the revealing address in someone else's hands reveals nothing
    assert other.log_in("admin").status == 303
    assert "Ana Ruiz" not in other.get(sent.headers["location"].split("#")[0]).text


# --- 7. Log-in abuse: no account lock, no audit flood; the audit log has pages and filters -----

def test_wrong_passwords_from_one_address_neither_lock_the_account_nor_flood_the_log(site):
    attacker = Client(site["url"], "127.0.0.37")
    before = len(audit_rows(site))
    statuses = [attacker.log_in(name, "not the password").status
                for name in ["sam"] * 8 + [f"made-up-{n}-<b>" for n in range(30)]]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    assert Client(site["url"], "127.0.0.38").log_in("sam").status == 303  # the real sam, from their desk
    assert attacker.log_in("sam").status == 429  # the attacker's address still waits, right password or not

    written = audit_rows(site, address="127.0.0.37")
    assert len(audit_rows(site)) - before <= 7 and len(written) <= 6  # 5 failures and 1 "throttled"
    assert {row.username for row in written} <= {"sam", "(unknown account)"}
    assert sum(row.action == "login_throttled" for row in written) == 1


def test_the_audit_log_pages_and_filters_by_user_action_and_day(site):
    old_day = datetime(2026, 1, 5, 10, tzinfo=timezone.utc)
    with site["store"].engine.begin() as db:
        db.execute(insert(audit_table).values(at=old_day, username="sam", action="export",
                                              target="inbox.csv", address="10.1.1.1"))
        db.execute(insert(audit_table), [{"at": datetime.now(timezone.utc) - timedelta(seconds=n),
                                          "username": "(unknown account)", "action": "login_failed",
                                          "address": "10.9.9.9"} for n in range(600)])
    admin = Client(site["url"], "127.0.0.39")
    assert admin.log_in("admin").status == 303

    first = admin.get("/audit")
    assert 0 < first.text.count("<tr><td>") <= 100 and "10.1.1.1" not in first.text
    [older] = links(first, rel="next")
    second = admin.get(older)
    assert second.status == 200 and links(second, rel="prev") == ["/audit"]
    assert not set(audit_lines(first)) & set(audit_lines(second))

    by_user = admin.get("/audit?user=sam&action=export")
    assert "10.1.1.1" in by_user.text and "10.9.9.9" not in by_user.text
    by_day = admin.get("/audit?day=2026-01-05")
    assert "10.1.1.1" in by_day.text and by_day.text.count("<tr><td>") == 1


# --- 8. The conversation list is paged in SQL, with links to the next and previous page -------

def test_the_conversation_list_has_pages_that_keep_the_filters(site):
    staff = Client(site["url"], "127.0.0.40")
    assert staff.log_in("sam").status == 303
    seen, page, pages = [], staff.get("/conversations?since=2020-01-01"), 1
    while links(page, rel="next"):
        seen += conversation_links(page)
        [following] = links(page, rel="next")
        assert "since=2020-01-01" in following  # the filters go along
        page = staff.get(following)
        pages += 1
        assert links(page, rel="prev")
    seen += conversation_links(page)
    assert pages == 2 and len(seen) == len(set(seen)) == FILLERS + 1 + len(SLASHED) + len(FORMULAS) + 1
    assert len(conversation_links(staff.get("/conversations?intent=faq"))) == len(SLASHED)


# --- 9. Exports stay inert in a spreadsheet -----------------------------------------------------

def test_an_exported_id_cannot_start_a_formula_after_blanks(site):
    admin = Client(site["url"], "127.0.0.41")
    assert admin.log_in("admin").status == 303
    exported = admin.get("/export/conversations.csv?since=2026-11-13&until=2026-11-13")
    cells = [row["conversation"] for row in csv.DictReader(io.StringIO(exported.text))]
    assert len(cells) == len(FORMULAS)
    assert all(cell.startswith("'") for cell in cells), cells


# --- Unanswered questions: hiding them for good and exporting them is teaching ------------------

def test_only_trainers_and_admins_ignore_or_export_unanswered_questions(site):
    staff, trainer = Client(site["url"], "127.0.0.42"), Client(site["url"], "127.0.0.42")
    assert staff.log_in("sam").status == 303 and trainer.log_in("tina").status == 303
    page = staff.get("/unanswered")
    assert page.status == 200 and UNANSWERED in page.text  # staff still read what went unanswered ...
    assert "/unanswered.yml" not in page.text and "/unanswered/ignore" not in page.text  # ... with no button to hide it
    assert staff.get("/unanswered.yml").status == 403
    assert staff.post("/unanswered/ignore", {"question": UNANSWERED}).status == 403
    assert UNANSWERED in staff.get("/unanswered").text  # nothing was hidden

    page = trainer.get("/unanswered")
    assert 'href="/unanswered.yml?' in page.text and 'action="/unanswered/ignore"' in page.text
    exported = trainer.get("/unanswered.yml")
    assert exported.status == 200 and f"- {UNANSWERED}" in exported.text
    assert trainer.post("/unanswered/ignore", {"question": UNANSWERED}).status == 303
    assert UNANSWERED not in staff.get("/unanswered").text
