"""Security around every page of the staff console, log-in and log-out.

Every page needs a live session (else: the log-in page); every POST needs the
session's CSRF token, and is refused when the browser says another site sent it
(Origin, Sec-Fetch-Site); every response carries a strict CSP and is never cached.
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

from clinic.operations import metrics
from clinic.requests.store import ClinicStore
from clinic.staff.accounts import THROTTLE_WINDOW, EndedSession, LoginThrottled, StaffAccounts
from clinic.staff.audit import AuditLog
from clinic.staff.conversations import TrackerStoreReader
from clinic.staff.ignored import IgnoredQuestions
from clinic.staff.reviews import ConversationReviews
from clinic.staff.summaries import ConversationSummaries
from clinic.staff.training import TrainAndLoad

HERE = Path(__file__).parent
SESSION_COOKIE = "clinic_staff"
LOGIN_COOKIE = "clinic_staff_login"  # double-submit CSRF token for the log-in form itself
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # No address of the console leaves for another site; its own forms keep their Origin, which a
    # browser sends as "null" under no-referrer, and which a POST must show (from_this_console).
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
UNKNOWN_ACCOUNT = "(unknown account)"  # never a username: those are letters, digits, '.', '-' and '_'
FROM_ELSEWHERE = "Not done: this form was sent from another website."


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
    """Marks a route only trainers and admins may open: teaching the assistant (corrections, tests,
    and what the Unanswered page hides for good or exports for the knowledge base)."""
    handler.trainers_only = True
    return handler


def route_is(request: Request, mark: str) -> bool:
    # request.route is the route Sanic matched, so "/audit/" or any other spelling
    # of an admin page's path carries the admin page's mark.
    return getattr(getattr(request.route, "handler", None), mark, False)


def owners_action(request: Request) -> bool:
    """Whether the staff member did this, so their session's idle time starts again: a page, not
    what a page fetches along (the stylesheet; a favicon, which is no page). No page reloads itself."""
    return request.route is not None and not route_is(request, "open_to_all")


def from_this_console(request: Request, console: Console) -> bool:
    """Whether a POST comes from the console's own pages, as far as the browser says. One that says
    nothing (no Origin, no Sec-Fetch-Site: an old browser, curl) still needs the CSRF token."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site.lower() not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    # Behind the clinic's HTTPS proxy the console sees plain HTTP; its pages were https:// then.
    schemes = {request.scheme, "https"} if console.secure_cookies else {request.scheme}
    return origin is None or origin.lower() in {f"{scheme}://{request.host}".lower() for scheme in schemes}


def same_token(sent: str | None, expected: str) -> bool:
    # As bytes: compare_digest raises on a str with non-ASCII characters, which a forged token may hold.
    return secrets.compare_digest((sent or "").encode(), expected.encode())


def owners_form(ended: EndedSession | None, sent: str | None) -> bool:
    """Whether a form sent without a live session was typed in this browser's timed-out session:
    it holds that session's CSRF token. Only such a form waits across the log-in (never a form
    another site made the browser send, which would be saved under the staff member's name)."""
    return ended is not None and same_token(sent, ended.csrf_token)


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


def logged_out_notice(console: Console, why: str) -> str:
    if why == "lifetime":
        hours = round(console.accounts.lifetime.total_seconds() / 3600)
        said = f"You were logged out: a log-in lasts {hours} hours at most."
    else:
        minutes = round(console.accounts.idle_timeout.total_seconds() / 60)
        said = f"You were logged out after {minutes} minutes without activity."
    return said + " Log in to carry on where you were."


def add_security_and_login(app: Sanic, console: Console) -> None:  # noqa: C901 (the log-in's routes)
    @app.middleware("request")
    async def require_session(request: Request):
        if request.method == "POST" and not from_this_console(request, console):  # the log-in's too
            metrics.REFUSALS.labels("staff_console", "403").inc()
            return response.text(FROM_ELSEWHERE, status=403)
        token = request.cookies.get(SESSION_COOKIE)
        request.ctx.staff = console.accounts.session(token, renew=owners_action(request))
        if route_is(request, "open_to_all"):
            return None
        if request.ctx.staff is None:
            ended = console.accounts.ended(token)
            here = request.path + (f"?{request.query_string}" if request.query_string else "")
            if request.method == "GET":
                wanted = urlencode({"next": here, **({"expired": ended.why} if ended else {})})
                return response.redirect("/login" + ("" if here == "/" and not ended else f"?{wanted}"), status=303)
            # The staff member's own form, sent after their session timed out: its fields wait in the
            # log-in page, nothing is lost. Any other (another site's, say) is dropped.
            form = request.form or {}
            fields = [(name, value) for name, values in form.items() if name != "csrf_token" for value in values][
                :MOST_CARRIED
            ]
            if not owners_form(ended, form.get("csrf_token")):
                fields = []
            return login_page(
                request,
                console,
                status=401,
                next_path=here,
                carried=fields,
                carried_from=ended.csrf_token if fields and ended else None,  # fields only with `ended`: owners_form
                notice=(logged_out_notice(console, ended.why) if ended else "Log in first.")
                + (" What you typed is kept." if fields else ""),
            )
        if route_is(request, "admin_only") and not request.ctx.staff.is_admin:
            return refused(request, "Only an admin can do this.")
        if route_is(request, "trainers_only") and not request.ctx.staff.can_teach:
            return refused(request, "Only a trainer or an admin can teach the assistant.")
        if request.method == "POST":
            sent = request.form.get("csrf_token") if request.form else None
            if not same_token(sent, request.ctx.staff.csrf_token):
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
        why = request.args.get("expired")
        return login_page(
            request,
            console,
            next_path=local_path(request.args.get("next")),
            notice=logged_out_notice(console, why) if why else None,
        )

    @app.post("/login")
    @open_to_all
    async def log_in(request: Request):
        form = request.form or {}
        expected = request.cookies.get(LOGIN_COOKIE) or ""
        if not expected or not same_token(form.get("csrf_token"), expected):
            return refused(request, "This form had no valid security token. Reload the page and try again.")
        next_path = local_path(form.get("next"))
        before = request.cookies.get(SESSION_COOKIE)  # this browser's session, ended or not: replaced now
        ended = console.accounts.ended(before)
        # Only fields the middleware kept cross the log-in: they come with the timed-out session's token.
        carried_from = form.get("carried_from") if owners_form(ended, form.get("carried_from")) else None
        carried = [
            (name[len("carry:") :], value)
            for name, values in form.items()
            if name.startswith("carry:")
            for value in values
        ][:MOST_CARRIED]
        if not carried_from:
            carried = []
        username = (form.get("username") or "").strip().lower()
        # Never write a name nobody has into the log: it is whatever an attacker typed.
        who = username if console.accounts.exists(username) else UNKNOWN_ACCOUNT
        try:
            token = console.accounts.log_in(username, form.get("password") or "", address(request))
        except LoginThrottled as throttled:
            # One row per address per window, however often it retries.
            console.audit.record_once(who, "login_throttled", address(request), within=THROTTLE_WINDOW)
            metrics.REFUSALS.labels("staff_console", "429").inc()
            resp = render(
                request,
                "login.html",
                status=429,
                csrf_token=expected,
                next_path=next_path,
                carried=carried,
                carried_from=carried_from,
                error=f"Too many failed log-ins from this computer. Wait {_wait_text(throttled.wait)} and try again.",
            )
            resp.headers["Retry-After"] = str(int(throttled.wait.total_seconds()) + 1)
            return resp
        if token is None:
            console.audit.record(who, "login_failed", address=address(request))
            metrics.REFUSALS.labels("staff_console", "401").inc()
            return render(
                request,
                "login.html",
                status=401,
                csrf_token=expected,
                next_path=next_path,
                carried=carried,
                carried_from=carried_from,
                error="Wrong username or password.",
            )
        console.audit.record(username, "login", address=address(request))
        if before:
            console.accounts.log_out(before)
        # Their form sent after the time-out (carried only with `ended`: owners_form): to save with one click.
        if carried and ended and ended.username == username:
            request.ctx.staff = console.accounts.session(token)
            resp = render(request, "resume.html", action=next_path, carried=carried)
        else:
            resp = response.redirect(next_path, status=303)
        set_cookie(resp, SESSION_COOKIE, token, console)
        return resp

    @app.post("/logout")
    async def log_out(request: Request):
        token = request.cookies.get(SESSION_COOKIE)
        assert token is not None  # not open_to_all: require_session found a live session for this cookie
        console.accounts.log_out(token)
        console.audit.record(request.ctx.staff.username, "logout", address=address(request))
        resp = response.redirect("/login", status=303)
        del resp.cookies[SESSION_COOKIE]
        return resp


def _wait_text(wait: timedelta) -> str:
    seconds = int(wait.total_seconds()) + 1
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes"
