"""Security around every page of the staff console, log-in and log-out.

Every page needs a live session (else: the log-in page); every POST needs the
session's CSRF token; every response carries a strict CSP and is never cached.
Who may open a page is decided by the route Sanic matched (`open_to_all`,
`admin_only`, `trainers_only`), never by the text of the path, which has many spellings.
The pages themselves are in `pages.py`; the app is put together in `app.py`.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from jinja2 import Environment
from sanic import Sanic, response
from sanic.request import Request

from clinic import metrics
from clinic.staff.accounts import THROTTLE_WINDOW, LoginThrottled, StaffAccounts
from clinic.staff.audit import AuditLog
from clinic.staff.conversations import TrackerStoreReader
from clinic.staff.ignored import IgnoredQuestions
from clinic.staff.reviews import ConversationReviews
from clinic.staff.summaries import ConversationSummaries
from clinic.staff.training import TrainAndLoad
from clinic.store import ClinicStore

HERE = Path(__file__).parent
SESSION_COOKIE = "clinic_staff"
LOGIN_COOKIE = "clinic_staff_login"  # double-submit CSRF token for the log-in form itself
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
UNKNOWN_ACCOUNT = "(unknown account)"  # never a username: those are letters, digits, '.', '-' and '_'


@dataclass
class Console:
    store: ClinicStore
    accounts: StaffAccounts
    audit: AuditLog
    reviews: ConversationReviews
    ignored: IgnoredQuestions
    tracker: TrackerStoreReader
    summaries: ConversationSummaries  # what list pages read: the tracker store, summarised
    knowledge_root: Path  # where corrections land: the project (data/, tests/), CLINIC_KNOWLEDGE_ROOT in tests
    training: TrainAndLoad
    secure_cookies: bool
    templates: Environment


def open_to_all(handler):
    """Marks a route anyone may open without logging in."""
    handler.open_to_all = True
    return handler


def admin_only(handler):
    """Marks a route only admins may open."""
    handler.admin_only = True
    return handler


def trainers_only(handler):
    """Marks a route only trainers and admins may open: teaching the assistant."""
    handler.trainers_only = True
    return handler


def route_is(request: Request, mark: str) -> bool:
    # request.route is the route Sanic matched, so "/audit/" or any other spelling
    # of an admin page's path carries the admin page's mark.
    return getattr(getattr(request.route, "handler", None), mark, False)


def path_segment(value) -> str:
    """A value (a conversation id may hold "/", "?" or "#") as one segment of a link's path."""
    return quote(str(value), safe="")


def page_url(request: Request, number: int) -> str:
    """This page's address with its filters, showing page `number` of the results."""
    args = [(k, v) for k, v in request.query_args if k != "page"] + ([("page", str(number))] if number > 1 else [])
    return request.path + ("?" + urlencode(args) if args else "")


def address(request: Request) -> str:
    return request.remote_addr or request.ip or "?"


def set_cookie(resp, name: str, value: str, console: Console, path: str = "/") -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = path
    if console.secure_cookies:
        cookie["secure"] = True


def render(request: Request, template: str, status: int = 200, **context) -> response.HTTPResponse:
    console: Console = request.app.ctx.console
    staff = getattr(request.ctx, "staff", None)
    if staff:
        context.setdefault("new_requests", console.store.count("new"))  # on every page: a COUNT, not the rows
        context.setdefault("csrf_token", staff.csrf_token)
    context.setdefault("page_url", lambda number: page_url(request, number))
    context.setdefault("events_behind", getattr(request.ctx, "events_behind", 0))
    page = console.templates.get_template(template).render(staff=staff, path=request.path, **context)
    return response.html(page, status=status)


def refused(request: Request, why: str, status: int = 403) -> response.HTTPResponse:
    return render(request, "refused.html", status=status, why=why)


MOST_CARRIED = 50  # form fields kept across a log-in (an inbox save has four)


def local_path(path: str | None) -> str:
    """Where to go after logging in: a page of this console, never another site (no "//", no "\\")."""
    path = path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path or path.startswith("/login"):
        return "/"
    return path


def login_page(request: Request, console: Console, status: int = 200, **context) -> response.HTTPResponse:
    # Reuse the token of an open log-in page: a second tab (or the browser's
    # favicon request, redirected here) must not invalidate the first form.
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    resp = render(request, "login.html", status=status, csrf_token=token, **context)
    set_cookie(resp, LOGIN_COOKIE, token, console, path="/login")
    return resp


def logged_out_notice(console: Console) -> str:
    minutes = round(console.accounts.idle_timeout.total_seconds() / 60)
    return f"You were logged out after {minutes} minutes without activity. Log in to carry on where you were."


def add_security_and_login(app: Sanic, console: Console) -> None:  # noqa: C901 (the log-in's routes)
    @app.middleware("request")
    async def require_session(request: Request):
        request.ctx.staff = console.accounts.session(request.cookies.get(SESSION_COOKIE))
        if route_is(request, "open_to_all"):
            return None
        if request.ctx.staff is None:
            expired = bool(request.cookies.get(SESSION_COOKIE))  # a session cookie, but no live session
            here = request.path + (f"?{request.query_string}" if request.query_string else "")
            if request.method == "GET":
                wanted = urlencode({"next": here, **({"expired": "1"} if expired else {})})
                return response.redirect("/login" + ("" if here == "/" and not expired else f"?{wanted}"), status=303)
            # A form sent after the session ended: its fields wait in the log-in page, nothing is lost.
            fields = [(name, value) for name, values in (request.form or {}).items() if name != "csrf_token"
                      for value in values][:MOST_CARRIED]
            return login_page(request, console, status=401, next_path=here, carried=fields,
                              notice=(logged_out_notice(console) if expired else "Log in first.")
                              + (" What you typed is kept." if fields else ""))
        if route_is(request, "admin_only") and not request.ctx.staff.is_admin:
            return refused(request, "Only an admin can do this.")
        if route_is(request, "trainers_only") and not request.ctx.staff.can_teach:
            return refused(request, "Only a trainer or an admin can teach the assistant.")
        if request.method == "POST":
            sent = (request.form.get("csrf_token") if request.form else None) or ""
            if not secrets.compare_digest(sent, request.ctx.staff.csrf_token):
                return refused(request, "This form had no valid security token. Reload the page and try again.")
        return None

    @app.middleware("response")
    async def security_headers(request: Request, resp):
        resp.headers.update(SECURITY_HEADERS)

    @app.get("/static/console.css")
    @open_to_all
    async def stylesheet(request: Request):
        return await response.file(HERE / "static" / "console.css")

    @app.get("/login")
    @open_to_all
    async def login_form(request: Request):
        return login_page(request, console, next_path=local_path(request.args.get("next")),
                          notice=logged_out_notice(console) if request.args.get("expired") else None)

    @app.post("/login")
    @open_to_all
    async def log_in(request: Request):
        form = request.form or {}
        expected = request.cookies.get(LOGIN_COOKIE) or ""
        if not expected or not secrets.compare_digest(form.get("csrf_token") or "", expected):
            return refused(request, "This form had no valid security token. Reload the page and try again.")
        next_path = local_path(form.get("next"))
        carried = [(name[len("carry:"):], value) for name, values in form.items() if name.startswith("carry:")
                   for value in values][:MOST_CARRIED]
        username = (form.get("username") or "").strip().lower()
        # Never write a name nobody has into the log: it is whatever an attacker typed.
        who = username if console.accounts.exists(username) else UNKNOWN_ACCOUNT
        try:
            token = console.accounts.log_in(username, form.get("password") or "", address(request))
        except LoginThrottled as throttled:
            # One row per address per window, however often it retries.
            console.audit.record_once(who, "login_throttled", address(request), within=THROTTLE_WINDOW)
            metrics.REFUSALS.labels("staff_console", "429").inc()
            resp = render(request, "login.html", status=429, csrf_token=expected, next_path=next_path, carried=carried,
                          error=f"Too many failed log-ins from this computer. Wait {_wait_text(throttled.wait)} "
                                "and try again.")
            resp.headers["Retry-After"] = str(int(throttled.wait.total_seconds()) + 1)
            return resp
        if token is None:
            console.audit.record(who, "login_failed", address=address(request))
            metrics.REFUSALS.labels("staff_console", "401").inc()
            return render(request, "login.html", status=401, csrf_token=expected, next_path=next_path,
                          carried=carried, error="Wrong username or password.")
        console.audit.record(username, "login", address=address(request))
        if carried:  # the form sent while logged out: shown again, filled in, to save with one click
            request.ctx.staff = console.accounts.session(token)
            resp = render(request, "resume.html", action=next_path, carried=carried)
        else:
            resp = response.redirect(next_path, status=303)
        set_cookie(resp, SESSION_COOKIE, token, console)
        return resp

    @app.post("/logout")
    async def log_out(request: Request):
        console.accounts.log_out(request.cookies.get(SESSION_COOKIE))
        console.audit.record(request.ctx.staff.username, "logout", address=address(request))
        resp = response.redirect("/login", status=303)
        del resp.cookies[SESSION_COOKIE]
        return resp


def _wait_text(wait: timedelta) -> str:
    seconds = int(wait.total_seconds()) + 1
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes"
