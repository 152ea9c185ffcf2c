"""`ClinicWebInput`: the REST channel the website widget talks to.

Routes, under /webhooks/clinic_web/:
  POST /sessions                        -> 201 {"session_id", "token"}   a new visitor
  POST /sessions/<id>/messages          -> {"messages": [...]}           Authorization: Bearer <token>
  GET  /sessions/<id>/history           -> {"messages": [...]}           the visitor's own transcript
  DELETE /sessions/<id>                 -> 204                           "End chat": the token stops working
A message carries the widget's id for it (`message_id`): sent again (a retry through
nginx or the widget, on any replica) it gets the reply already given, never a second
turn (once.py). Unlike Rasa's `rest` channel the browser never picks the conversation id, every
message is checked against its signed token, messages are capped in length and
cleaned, "/commands" pass only as offered quick replies, callers are rate
limited (429) and only the clinic's own origins get CORS.
"""

from __future__ import annotations

import asyncio
import logging
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Awaitable, Callable

import yaml
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from clinic import names
from clinic.channel.circuit_breaker import circuit_breaker
from clinic.channel.once import earlier_replies, handle_once, message_id_of
from clinic.channel.patient_text import as_sent, clean, offered_payloads
from clinic.channel.rate_limits import RateLimit, rate_limiter
from clinic.channel.revocations import RevokedSessions
from clinic.channel.sessions import PatientSessions, SessionRefused
from clinic.channel.settings import ChannelSettings
from clinic.channel.transcript import quick_replies, transcript
from clinic.nlp.follow_ups import QUESTION_METADATA_KEY, TOPIC_METADATA_KEY
from clinic.operations import logs, metrics
from clinic.profile import clinic_profile
from clinic.requests.store import ClinicStore

logger = logging.getLogger(__name__)

MESSAGES_FILE = Path(__file__).with_name("messages.yml")
CORS_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "600",
}


@lru_cache(maxsize=1)
def channel_messages() -> dict[str, str]:
    profile = clinic_profile()
    texts = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8"))
    return {
        key: " ".join(text.split())
        .replace("{clinic_phone}", profile.phone)
        .replace("{clinic_emergency_number}", profile.emergency_number)
        for key, text in texts.items()
    }


def refusal(status: int, reason: str, headers: dict | None = None, **values) -> response.HTTPResponse:
    """A JSON refusal with a polite sentence the widget shows the patient."""
    if status != 500:  # a failed turn is counted as one (FAILED_REPLIES)
        metrics.REFUSALS.labels("channel", str(status)).inc()
    message = channel_messages()[reason].format(**values)
    return response.json({"error": reason, "message": message}, status=status, headers=headers)


def assistant_replies(messages: list[dict]) -> list[dict]:
    """What the widget shows of the assistant's messages (the collector's, or stored `bot` events)."""
    replies = []
    for m in messages:
        buttons = m.get("buttons") or (m.get("data") or {}).get("buttons")
        if m.get("text") or buttons:
            replies.append({"from": "assistant", "text": m.get("text") or "", "buttons": quick_replies(buttons)})
    if not replies:  # never silence: say so, with the ways to get help
        logger.error("no reply to a message in conversation %s", logs.conversation.get())
        replies = [{"from": "assistant", "text": channel_messages()["no_reply"], "buttons": []}]
    return replies


def patient_address(request: Request) -> str:
    """The address nginx vouched for (a Forwarded header with the proxy secret: clinic.servers.assistant),
    else the connection's own; Sanic reads X-Forwarded-For only if told to, and the replicas never are."""
    return request.remote_addr or request.ip


class ReplyCollector(CollectingOutputChannel):
    """Rasa's collector, also noting which response each reply was (utter_rephrase, ...)."""

    def __init__(self) -> None:
        super().__init__()
        self.responses: list[str | None] = []

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.responses.append(message.get("utter_action"))
        await super().send_response(recipient_id, message)


class ClinicWebInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "clinic_web"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "ClinicWebInput":
        return cls(ChannelSettings.load(credentials))

    def __init__(self, settings: ChannelSettings):
        self.settings = settings
        self.ended = RevokedSessions(ClinicStore().engine)
        self.sessions = PatientSessions(settings.secret, settings.session_days * 86400, self.ended.is_revoked)
        self.limiter = rate_limiter(settings.limits_storage)

    async def _limited(self, key: str, limit: RateLimit) -> response.HTTPResponse | None:
        try:
            wait = await self.limiter.hit(key, limit)
        except Exception as error:  # Redis down: let the message through; an emergency must never wait on a counter
            logger.error("rate limit not checked: %s", type(error).__name__)
            return None
        if wait:
            return refusal(429, "rate_limited", {"Retry-After": str(max(1, round(wait)))})
        return None

    def _offered(self, tracker) -> set[str]:
        """What a "/..." message may be: the quick replies just shown, or an always-allowed command."""
        shown = offered_payloads(e.as_dict() for e in reversed(tracker.events)) if tracker else []
        return set(shown) | self.settings.commands

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("clinic_web", __name__)
        settings = self.settings

        def refuse_origin_or_preflight(request: Request) -> response.HTTPResponse | None:
            origin = request.headers.get("origin")
            if origin and origin not in settings.allowed_origins:
                metrics.REFUSALS.labels("channel", "403").inc()
                return response.json({"error": "origin_not_allowed"}, status=403)
            if request.method == "OPTIONS":
                return response.empty(status=204, headers=CORS_HEADERS)
            return None

        @bp.middleware("request")
        async def guard(request: Request):
            refused = refuse_origin_or_preflight(request)
            if refused:
                return refused
            return await self._limited(f"ip:{patient_address(request)}", settings.limit_per_ip)

        @bp.middleware("response")
        async def allow_clinic_origin(request: Request, resp):
            if request.method == "OPTIONS":  # Rasa's own CORS layer answers preflights before `guard` runs
                resp = refuse_origin_or_preflight(request)
            origin = request.headers.get("origin")
            if origin and origin in settings.allowed_origins:
                resp.headers["Access-Control-Allow-Origin"] = origin  # exact origin, no credentials
                resp.headers["Vary"] = "Origin"
            resp.headers["Cache-Control"] = "no-store"
            resp.headers["X-Content-Type-Options"] = "nosniff"
            return resp

        @bp.exception(Exception)
        async def failed(request: Request, error: Exception):
            # E.g. the clinic database is down while a session is checked: the widget shows a sentence
            # with the clinic's phone and the emergency number, never Sanic's error page.
            logger.error("%s %s failed: %s", request.method, request.path, type(error).__name__)
            metrics.FAILED_REPLIES.inc()
            return refusal(500, "failed")

        @bp.route("/", methods=["GET"])
        async def health(request: Request):
            return response.json({"status": "ok", "circuit_breaker_trips": circuit_breaker.trips})

        @bp.route("/sessions", methods=["POST", "OPTIONS"])
        async def start_session(request: Request):
            session = self.sessions.start()
            logger.info("patient session started", extra={"conversation_id": session.session_id})
            return response.json({"session_id": session.session_id, "token": session.token}, status=201)

        @bp.route("/sessions/<session_id:str>/messages", methods=["POST", "OPTIONS"])
        async def receive(request: Request, session_id: str):
            logs.conversation.set(session_id)  # on every line logged during this turn, Rasa's too
            return await self._patient_message(request, session_id)

        @bp.route("/sessions/<session_id:str>/history", methods=["GET", "OPTIONS"])
        async def history(request: Request, session_id: str):
            return await self._history(request, session_id)

        @bp.route("/sessions/<session_id:str>", methods=["DELETE", "OPTIONS"])
        async def end_session(request: Request, session_id: str):
            return self._end_session(request, session_id)

        return bp

    async def _patient_message(self, request: Request, session_id: str) -> response.HTTPResponse:
        """One patient message: checked, answered once, the reply returned."""
        started = time.monotonic()
        refused = await self._refused_session(request, session_id)
        if refused:
            return refused
        text, message_id = read_message(request)
        if len(text) > self.settings.max_message_length:
            return refusal(413, "too_long", max_length=self.settings.max_message_length)
        tracker = await conversation_before(request, session_id)
        earlier = earlier_replies((e.as_dict() for e in tracker.events) if tracker else [], message_id)
        if earlier is not None:
            return repeated(earlier)
        if text.startswith("/"):
            text = as_sent(text, self._offered(tracker))
        if not text:
            return refusal(400, "empty")
        collector = ReplyCollector()
        circuit_breaker.watch(request.app.ctx.agent.processor)
        message = UserMessage(
            text,
            collector,
            session_id,
            input_channel=self.name(),
            message_id=message_id,
            metadata=follow_up_context(tracker),
        )
        try:
            earlier = await handle_once(request.app.ctx.agent, message, message_id)
        except (Exception, asyncio.CancelledError) as error:  # said so, never silence
            logger.error("message for %s failed: %s", session_id, type(error).__name__)
            metrics.FAILED_REPLIES.inc()
            return refusal(500, "failed")
        if earlier is not None:  # sent again while its first turn ran (on this replica or another)
            return repeated(earlier)
        replied(collector, time.monotonic() - started)
        return response.json({"messages": assistant_replies(collector.messages)})

    async def _refused_session(self, request: Request, session_id: str) -> response.HTTPResponse | None:
        """A refusal when the token is not this session's or the session sends too fast."""
        try:
            self.sessions.verify(request.headers.get("authorization"), session_id)
        except SessionRefused as why:
            logger.warning("refused a call for %s: %s", session_id, why)
            return refusal(401, "session_refused")
        return await self._limited(f"session:{session_id}", self.settings.limit_per_session)

    async def _history(self, request: Request, session_id: str) -> response.HTTPResponse:
        refused = await self._refused_session(request, session_id)
        if refused:
            return refused
        tracker = await request.app.ctx.agent.tracker_store.retrieve_full_tracker(session_id)
        events = [event.as_dict() for event in tracker.events] if tracker else []
        return response.json({"messages": transcript(events)})

    def _end_session(self, request: Request, session_id: str) -> response.HTTPResponse:
        try:
            claims = self.sessions.verify(request.headers.get("authorization"), session_id)
        except SessionRefused:
            return refusal(401, "session_refused")
        self.ended.revoke(session_id, claims["exp"])
        logger.info("patient ended session %s", session_id)
        return response.empty(status=204)


def read_message(request: Request) -> tuple[str, str | None]:
    """(the cleaned text, the widget's message id); broken JSON reads as no text."""
    try:
        body = request.json if request.content_type.startswith("application/json") else None
    except Exception:  # broken JSON gets the same polite answer as no text
        body = None
    text = body.get("message") if isinstance(body, dict) else None
    return (clean(text) if isinstance(text, str) else ""), message_id_of(body)


async def conversation_before(request: Request, session_id: str):
    """The conversation so far, for the quick replies offered and the topic; None if unreadable."""
    try:
        return await request.app.ctx.agent.tracker_store.retrieve(session_id)
    except Exception as error:  # without it the message still goes on
        logger.warning("could not read conversation %s before its message: %s", session_id, type(error).__name__)
        return None


def follow_up_context(tracker) -> dict | None:
    """The conversation's topic and the question that got it, so the NLU can read "does that
    hurt?" and "and a week later?" (clinic/nlp/follow_ups.py)."""
    topic = tracker.get_slot(names.TOPIC) if tracker else None
    if not topic:
        return None
    asked = tracker.latest_message if not tracker.active_loop_name else None  # in a form it answered the form
    return {TOPIC_METADATA_KEY: topic, QUESTION_METADATA_KEY: (asked.text if asked else "") or ""}


def repeated(events: list[dict]) -> response.HTTPResponse:
    metrics.REPEATED_MESSAGES.inc()
    logger.info(
        "message sent again: the reply already given",
        extra={"responses": [(e.get("metadata") or {}).get("utter_action") for e in events]},
    )
    return response.json({"messages": assistant_replies(events)})


def replied(collector: ReplyCollector, seconds: float) -> None:
    """Counted and logged; what was said stays out of the log: which responses, how long, whether unanswered."""
    unanswered = bool(names.FALLBACK_RESPONSES.intersection(collector.responses))
    metrics.MESSAGES.inc()
    metrics.REPLY_SECONDS.observe(seconds)
    metrics.FALLBACKS.inc(unanswered)
    extra = {"responses": [r for r in collector.responses if r], "ms": round(seconds * 1000), "unanswered": unanswered}
    logger.info("replied", extra=extra)
