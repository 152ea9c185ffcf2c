"""The staff console's pages: at a glance, conversations, inbox, unanswered
questions, exports and the audit log."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode

from sanic import Sanic, response
from sanic.request import Request

from clinic.faq.corrections import CorrectionRefused
from clinic.nlp.tiers import ESCALATION_TIERS as TIERS
from clinic.requests.store import KINDS, STATUSES
from clinic.staff.audit import AuditFilter
from clinic.staff.clock import clinic_today
from clinic.staff.conversations import FLAGS, ConversationFilter
from clinic.staff.corrections import Correction, apply_correction
from clinic.staff.dashboard import bar_chart, notification_delivery
from clinic.staff.inbox_queue import SORTS, WHO, InboxFilter, changes_said, contact_link
from clinic.staff.paging import page_number
from clinic.staff.privacy import mask, mask_details
from clinic.staff.reviews import Review, parse_tags, review_changes
from clinic.staff.summaries import MOST_SEARCHED
from clinic.staff.test_stories import refusal, save_test_story
from clinic.staff.unanswered import MOST_GROUPED, as_nlu_yaml, group_questions
from clinic.staff.web import Console, address, admin_only, path_segment, refused, render, trainers_only
from clinic.staff.words import topic_titles

PAGE_SIZE = 50  # conversations on a page
AUDIT_PAGE_SIZE = 100
FORMULA_STARTS = ("=", "+", "-", "@")


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def conversation_filter(args) -> ConversationFilter:
    return ConversationFilter(
        since=_day(args.get("since")),
        until=_day(args.get("until")),
        flag=args.get("flag") if args.get("flag") in FLAGS else None,
        red_flag_tier=args.get("tier") if args.get("tier") in TIERS else None,
        intent=(args.get("intent") or "").strip() or None,
        text=(args.get("q") or "").strip() or None,
    )


REVEAL_LASTS = timedelta(minutes=15)  # a reveal shows the details this long; then it takes another (logged) one


def add_pages(app: Sanic, console: Console) -> None:  # noqa: C901 (one route per page)
    def exported(request: Request, rows: list[list], filename: str) -> response.HTTPResponse:
        console.audit.record(request.ctx.staff.username, "export", filename, address(request))
        return csv_file(rows, filename)

    def summarised(request: Request) -> None:
        """The summary brought up to date before a list page reads it: one step at most, and none while
        the background thread is at it (after an upgrade, say); the page says when it is still behind."""
        request.ctx.events_behind = console.summaries.refresh(wait=False).events_behind

    @app.get("/")
    async def glance(request: Request):
        summarised(request)
        figures = console.summaries.glance(clinic_today(), console.store.count_by_kind())
        return render(
            request,
            "dashboard.html",
            figures=figures,
            per_day=bar_chart(figures.per_day),
            top_questions=bar_chart(figures.top_questions, height=120),
            delivery=notification_delivery(console.store),
        )

    @app.get("/conversations")
    async def conversations(request: Request):
        summarised(request)
        wanted = conversation_filter(request.args)
        tag = (request.args.get("tag") or "").strip().lower()
        if tag:
            wanted = replace(wanted, only=frozenset(console.reviews.tagged(tag)))
        page = console.summaries.page(wanted, page_number(request.args.get("page")), PAGE_SIZE)
        return render(
            request,
            "conversations.html",
            page=page,
            reviews=console.reviews.all_for([c.conversation_id for c in page.items]),
            wanted=wanted,
            tag=tag,
            flags=FLAGS,
            tiers=TIERS,
            intents=console.summaries.intents(),
            most_searched=MOST_SEARCHED,
            mask=mask,
            request_query=request.query_string,
        )

    def transcript_page(request: Request, conversation_id: str, correction=None, status: int = 200):
        conversation = console.tracker.conversation(conversation_id)
        if conversation is None:
            return refused(request, "There is no such conversation.", status=404)
        # Shown unmasked after a reveal by this person, for a while: reloading it is not another reveal.
        revealed = bool(request.args.get("revealed")) and console.audit.recently(
            request.ctx.staff.username, "reveal", conversation_id, REVEAL_LASTS
        )
        console.audit.record(request.ctx.staff.username, "view_transcript", conversation_id, address(request))
        names = set() if revealed else conversation.names_given
        shown = (lambda text: text) if revealed else (lambda text: mask(text, names))
        return render(
            request,
            "transcript.html",
            status=status,
            conversation=conversation,
            shown=shown,
            revealed=revealed,
            review=console.reviews.get(conversation_id),
            flags=FLAGS,
            csrf_token=request.ctx.staff.csrf_token,
            correction=correction,
            topic_titles=topic_titles(console.knowledge_root) if request.ctx.staff.can_teach else {},
            not_a_test=refusal(conversation),
        )

    # unquote: a conversation id may hold "/" (Rasa's REST channel takes any sender id), so links
    # percent-encode it (web.path_segment) and the route decodes it.
    @app.get("/conversations/<conversation_id:str>", unquote=True)
    async def transcript(request: Request, conversation_id: str):
        return transcript_page(request, conversation_id)

    @app.post("/conversations/<conversation_id:str>/reveal", unquote=True)
    async def reveal(request: Request, conversation_id: str):
        if console.tracker.conversation(conversation_id) is None:
            return refused(request, "There is no such conversation.", status=404)
        console.audit.record(request.ctx.staff.username, "reveal", conversation_id, address(request))
        return response.redirect(f"/conversations/{path_segment(conversation_id)}?revealed=1", status=303)

    @app.post("/conversations/<conversation_id:str>/correct", unquote=True)
    @trainers_only
    async def correct(request: Request, conversation_id: str):
        """A patient turn taught to the assistant: an example of the right topic (data/faq), a phrasing
        the safety net must escalate (tests/), or ignored. The same checks as `clinic faq add`."""
        conversation = console.tracker.conversation(conversation_id)
        turn_index = request.form.get("turn") or ""
        turns = conversation.turns if conversation else []
        if not turn_index.isdigit() or int(turn_index) >= len(turns) or turns[int(turn_index)].speaker != "patient":
            return refused(request, "There is no such patient message.", status=404)
        assert conversation is not None  # else no turns, refused above
        words = mask(turns[int(turn_index)].text, conversation.names_given)  # personal details never become data
        try:
            said = apply_correction(console, request.form.get("correction") or "", words, request.ctx.staff.username)
        except CorrectionRefused as why:
            return transcript_page(request, conversation_id, Correction(f"Not added: {why}.", True), 400)
        console.audit.record(
            request.ctx.staff.username, "correct", f"{conversation_id} turn {turn_index}: {said}", address(request)
        )
        return transcript_page(request, conversation_id, Correction(said, False))

    @app.post("/conversations/<conversation_id:str>/save-test", unquote=True)
    @trainers_only
    async def save_as_test(request: Request, conversation_id: str):
        """The conversation as a Rasa test story in tests/: `make test` holds the assistant to it."""
        conversation = console.tracker.conversation(conversation_id)
        if conversation is None:
            return refused(request, "There is no such conversation.", status=404)
        try:
            path = save_test_story(conversation, request.ctx.staff.username, console.knowledge_root)
        except CorrectionRefused as why:
            return transcript_page(request, conversation_id, Correction(f"Not saved: {why}.", True), 400)
        said = (
            f"Saved as a test ({path.relative_to(console.knowledge_root)}): before every release, the "
            "assistant is checked to still answer this conversation this way."
        )
        console.audit.record(request.ctx.staff.username, "save_test", f"{conversation_id}: {said}", address(request))
        return transcript_page(request, conversation_id, Correction(said, False))

    @app.get("/model")
    @admin_only
    async def model(request: Request):
        return render(request, "model.html", training=console.training.state())

    @app.post("/model/train")
    @admin_only
    async def train_and_load(request: Request):
        if console.training.start(request.ctx.staff.username):
            console.audit.record(request.ctx.staff.username, "train_and_load", None, address(request))
        return response.redirect("/model", status=303)

    @app.post("/conversations/<conversation_id:str>/review", unquote=True)
    async def review(request: Request, conversation_id: str):
        form = request.form
        before = console.reviews.get(conversation_id)
        after = Review(
            reviewed=form.get("reviewed") == "yes",
            tags=parse_tags(form.get("tags") or ""),
            notes=(form.get("notes") or "").strip(),
        )
        console.reviews.save(conversation_id, after, request.ctx.staff.username)
        console.audit.record(
            request.ctx.staff.username,
            "review",
            f"{conversation_id}: {review_changes(before, after)}",
            address(request),
        )
        return response.redirect(f"/conversations/{path_segment(conversation_id)}", status=303)

    def inbox_page(
        request: Request, requests: list, wanted: InboxFilter, revealed: str | None = None, saved: str | None = None
    ):
        return render(
            request,
            "inbox.html",
            requests=requests,
            revealed=revealed,
            saved=saved,
            wanted=wanted,
            mask_details=mask_details,
            contact_link=contact_link,
            notes=console.store.notes([r.reference for r in requests]),
            statuses=STATUSES,
            kinds=KINDS,
            who_choices=WHO,
            sorts=SORTS,
            staff_names=console.accounts.usernames(),
            csrf_token=request.ctx.staff.csrf_token,
        )

    @app.get("/inbox")
    async def inbox(request: Request):
        wanted = InboxFilter.from_args(request.args)
        found = wanted.apply(console.store.requests(), request.ctx.staff.username)
        saved, revealed = request.args.get("saved"), (request.args.get("revealed") or "").upper()
        if revealed and console.audit.recently(request.ctx.staff.username, "reveal_request", revealed, REVEAL_LASTS):
            return inbox_page(request, [r for r in found if r.reference == revealed], InboxFilter(), revealed=revealed)
        return inbox_page(request, found, wanted, saved=saved if any(r.reference == saved for r in found) else None)

    @app.post("/inbox/<reference:str>/reveal")
    async def reveal_request(request: Request, reference: str):
        found = console.store.get(reference)
        if found is None:
            return refused(request, "There is no such request.", status=404)
        console.audit.record(request.ctx.staff.username, "reveal_request", found.reference, address(request))
        return response.redirect(f"/inbox?revealed={found.reference}#request-{found.reference}", status=303)

    @app.post("/inbox/<reference:str>")
    async def update_request(request: Request, reference: str):
        form, before = request.form, console.store.get(reference)
        note = (form.get("note") or "").strip()
        try:
            if before is None:
                raise KeyError(reference)
            after = console.store.update(
                reference,
                status=form.get("status") or None,
                assignee=(form.get("assignee") or "").strip(),
                notes=note,
                author=request.ctx.staff.username,
            )
        except (KeyError, ValueError):
            return refused(request, "That request or status does not exist.", status=400)
        console.audit.record(
            request.ctx.staff.username,
            "update_request",
            f"{after.reference}: {changes_said(before, after, bool(note))}",
            address(request),
        )
        # Back to the same list (its filters came with the form), with "Saved" beside the request.
        back = InboxFilter.from_query(form.get("back") or "").query()
        return response.redirect(
            f"/inbox?{back + '&' if back else ''}saved={after.reference}#request-{after.reference}", status=303
        )

    def unanswered_groups(request: Request):
        """Groups of the newest unanswered questions, and how many older ones were left out."""
        summarised(request)
        wanted = conversation_filter(request.args)
        questions, total = console.summaries.unanswered(wanted.since, wanted.until, MOST_GROUPED)
        return group_questions(questions), total - len(questions)

    @app.get("/unanswered")
    async def unanswered(request: Request):
        groups, left_out = unanswered_groups(request)
        return render(
            request,
            "unanswered.html",
            groups=groups,
            left_out=left_out,
            wanted=conversation_filter(request.args),
            request_query=request.query_string,
            ignored=request.args.get("ignored"),
            csrf_token=request.ctx.staff.csrf_token,
        )

    @app.post("/unanswered/ignore")
    @trainers_only
    async def ignore_unanswered(request: Request):
        """Hides a group's questions for good ("hi", a test message): they never count as unanswered again."""
        questions = [q for q in request.form.getlist("question") or [] if q.strip()][:200]
        added = console.ignored.ignore(questions, request.ctx.staff.username)
        console.audit.record(
            request.ctx.staff.username,
            "ignore_unanswered",
            f"{added} question(s), e.g. {questions[0][:80]!r}" if questions else "none",
            address(request),
        )
        back = (request.form.get("back") or "").lstrip("?")
        query = urlencode({k: v for k, v in parse_qsl(back) if k in ("since", "until")} | {"ignored": str(added)})
        return response.redirect(f"/unanswered?{query}", status=303)

    @app.get("/unanswered.yml")
    @trainers_only
    async def unanswered_export(request: Request):
        groups, _ = unanswered_groups(request)
        console.audit.record(request.ctx.staff.username, "export", "unanswered questions (NLU YAML)", address(request))
        return response.text(
            as_nlu_yaml(groups, clinic_today()),
            content_type="text/yaml",
            headers={"Content-Disposition": 'attachment; filename="unanswered_questions.yml"'},
        )

    @app.get("/export/conversations.csv")
    @admin_only
    async def conversations_csv(request: Request):
        summarised(request)
        found = list(console.summaries.each(conversation_filter(request.args)))
        reviews = console.reviews.all_for([c.conversation_id for c in found])
        rows: list[list[str | int]] = [
            [
                "conversation",
                "started (UTC)",
                "last (UTC)",
                "patient messages",
                "flags",
                "red flag tier",
                "intents",
                "reviewed",
                "tags",
            ]
        ]
        for c in found:
            r = reviews.get(c.conversation_id, Review())
            rows.append(
                [
                    c.conversation_id,
                    f"{c.started_at:%Y-%m-%d %H:%M}",
                    f"{c.last_at:%Y-%m-%d %H:%M}",
                    c.patient_turns,
                    " ".join(sorted(c.flags)),
                    c.red_flag_tier or "",
                    " ".join(sorted(c.intents)),
                    "yes" if r.reviewed else "no",
                    ",".join(r.tags),
                ]
            )
        return exported(request, rows, "conversations.csv")

    @app.get("/export/inbox.csv")
    @admin_only
    async def inbox_csv(request: Request):
        rows = [["reference", "kind", "status", "created (UTC)", "assignee", "notes", "conversation"]]
        rows += [
            [
                r.reference,
                r.kind,
                r.status,
                f"{r.created_at:%Y-%m-%d %H:%M}",
                r.assignee or "",
                r.notes or "",
                r.conversation_id,
            ]
            for r in console.store.requests()
        ]
        return exported(request, rows, "inbox.csv")

    @app.get("/audit")
    @admin_only
    async def audit(request: Request):
        wanted = AuditFilter(
            username=(request.args.get("user") or "").strip().lower() or None,
            action=(request.args.get("action") or "").strip() or None,
            day=_day(request.args.get("day")),
        )
        page = console.audit.page(wanted, page_number(request.args.get("page")), AUDIT_PAGE_SIZE)
        return render(request, "audit.html", page=page, wanted=wanted, actions=console.audit.actions())


def csv_file(rows: list[list], filename: str) -> response.HTTPResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([_inert(v) for v in row])
    return response.text(
        out.getvalue(), content_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _inert(value):
    """A cell starting with = + - @ would run as a formula in a spreadsheet, even after
    leading spaces, tabs or line breaks, which spreadsheets skip."""
    return "'" + str(value) if str(value).lstrip().startswith(FORMULA_STARTS) else value
