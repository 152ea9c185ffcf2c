"""Hands requests to the clinic: email over SMTP and a signed JSON webhook.

Delivery goes through the outbox (clinic/requests/store.py): a mail server or webhook
outage delays a notification, retried with backoff, but never loses it.
Configured by environment variables:

    CLINIC_SMTP_HOST, CLINIC_SMTP_PORT (25; 465 with implicit TLS),
    CLINIC_SMTP_USER, CLINIC_SMTP_PASSWORD, CLINIC_MAIL_FROM, CLINIC_MAIL_TO
    CLINIC_SMTP_SECURITY  starttls (the default): STARTTLS is required, a server
                          that does not offer it is refused (the mail stays in
                          the outbox); tls: implicit TLS (SMTPS); none: clear
                          text, only for a local test mailbox. Any other value
                          is logged as an error and taken as starttls.
    CLINIC_SMTP_CA_FILE   PEM bundle to trust instead of the system's CAs (a
                          private mail relay). The certificate and the host name
                          are always verified.
                          (CLINIC_SMTP_STARTTLS is no longer read: TLS is the default.)
    CLINIC_WEBHOOK_URL, CLINIC_WEBHOOK_SECRET

    python -m clinic.requests.notifications     # the delivery worker (`make run` starts it)

Webhook calls are POSTs of a JSON body with these headers:

    X-Clinic-Timestamp: 1767225600              (Unix seconds when this call was made)
    X-Clinic-Signature: sha256=<hex HMAC-SHA256, keyed with CLINIC_WEBHOOK_SECRET,
                        of the bytes  f"{timestamp}." + body>
    X-Clinic-Delivery:  MC-7K4Q9P-12            (one id per outbox item, the same on
                        every retry; also in the signed body as "delivery")
    Idempotency-Key:    the same id

A receiver verifies a call before it acts on it, e.g. with `verify_webhook`
below (or a copy of it: it uses the standard library only):

    1. compute the HMAC over the timestamp header, a ".", and the raw body bytes
       exactly as received, and compare it with the signature in constant time;
    2. reject the call if the timestamp is more than 5 minutes from its own clock
       (a captured call cannot be replayed later);
    3. de-duplicate on the delivery id: a retry after a timeout can bring a call
       it has already handled; remember ids for longer than the 5 minutes.

Redirects are never followed (the signed body goes only to CLINIC_WEBHOOK_URL):
a 3xx answer, like any answer but 2xx, is a failed delivery, retried later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Mapping, Protocol

import requests
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from clinic.operations import metrics
from clinic.requests.store import ClinicRequest, ClinicStore, OutboxItem

logger = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
SIGNATURE_HEADER = "X-Clinic-Signature"
TIMESTAMP_HEADER = "X-Clinic-Timestamp"
DELIVERY_HEADER = "X-Clinic-Delivery"
SIGNATURE_MAX_AGE = 300  # seconds a receiver accepts a call for, either side of its clock
SMTP_SECURITY = ("starttls", "tls", "none")


class Notifier(Protocol):
    channel: str

    def send(self, request: ClinicRequest, delivery_id: str | None = None) -> None: ...


class DeliveryRefused(Exception):
    """The receiver answered, but not with a 2xx: the delivery failed and is retried."""

    def __init__(self, status: int, location: str | None = None):
        self.status = status
        text = f"webhook answered HTTP {status}"
        if 300 <= status < 400:
            text += f" (a redirect to {(location or '?')[:200]!r}, not followed: correct CLINIC_WEBHOOK_URL)"
        super().__init__(text)


# Safety alerts name the tier, the conversation and the time, never the patient's words.
ALERT_WORDING = {
    "crisis": "a patient wrote crisis language",
    "emergency": "a patient described signs of an emergency",
}


def subject(request: ClinicRequest) -> str:
    if request.kind == "alert":
        return f"Safety alert {request.reference}: {ALERT_WORDING[request.details['tier']]}"
    return f"New {request.kind} request {request.reference}"


def summary_lines(request: ClinicRequest) -> list[str]:
    if request.kind == "alert":
        return [
            f"Safety alert: {ALERT_WORDING[request.details['tier']]}; conversation {request.conversation_id}, "
            f"{request.created_at:%Y-%m-%d %H:%M} UTC.",
            "The assistant gave the patient the crisis line or emergency number. "
            "Read the conversation in the staff console.",
        ]
    return [f"{key.replace('_', ' ')}: {value}" for key, value in request.details.items() if value]


@dataclass
class EmailNotifier:
    host: str
    port: int
    sender: str
    recipient: str
    user: str | None = None
    password: str | None = None
    security: str = "starttls"  # "starttls", "tls" (implicit) or "none" (clear text: local test mailbox only)
    ca_file: str | None = None  # PEM bundle to trust instead of the system's CAs
    channel: str = "email"

    def __post_init__(self) -> None:
        if self.security not in SMTP_SECURITY:
            raise ValueError(f"SMTP security must be one of {SMTP_SECURITY}, not {self.security!r}")

    def tls_context(self) -> ssl.SSLContext:
        """Verifies the server's certificate and host name; TLS 1.2 at least."""
        context = ssl.create_default_context(cafile=self.ca_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context

    def send(self, request: ClinicRequest, delivery_id: str | None = None) -> None:
        message = EmailMessage()
        message["Subject"] = subject(request)
        message["From"], message["To"] = self.sender, self.recipient
        message.set_content("\n".join([f"Reference: {request.reference}", *summary_lines(request)]))
        if self.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=10, context=self.tls_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=10)
        with smtp:
            if self.security == "starttls":
                # Raises (nothing is sent) if the server offers no STARTTLS or refuses it.
                smtp.starttls(context=self.tls_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


def signature(secret: str, timestamp: str | int, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256 of f"{timestamp}." followed by the body."""
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_webhook(
    secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None, max_age: float = SIGNATURE_MAX_AGE
) -> bool:
    """For a receiver: True if a call is signed with `secret` and its timestamp is
    within `max_age` seconds of `now` (this clock). `body` is the raw bytes received;
    `headers` any mapping of the call's headers (looked up as sent, then lower case)."""

    def get(name: str) -> str:
        return headers.get(name) or headers.get(name.lower()) or ""

    timestamp, claimed = get(TIMESTAMP_HEADER).strip(), get(SIGNATURE_HEADER).strip()
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > max_age:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body).encode(), claimed.encode())


def delivery_id(item: OutboxItem) -> str:
    """Names one outbox item; the same on every retry, so a receiver can de-duplicate."""
    return f"{item.request.reference}-{item.id}"


@dataclass
class WebhookNotifier:
    url: str
    secret: str
    channel: str = "webhook"

    def send(self, request: ClinicRequest, delivery_id: str | None = None) -> None:
        delivery = delivery_id or request.reference
        body = json.dumps(
            {
                "reference": request.reference,
                "kind": request.kind,
                "status": request.status,
                "created_at": request.created_at.isoformat(),
                "details": request.details,
                "conversation_id": request.conversation_id,
                "summary": subject(request),
                "delivery": delivery,
            },
            sort_keys=True,
        ).encode()
        timestamp = str(int(time.time()))
        # Never redirected: a 307/308 would carry the signed body to another server.
        with requests.post(
            self.url,
            data=body,
            timeout=10,
            allow_redirects=False,
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature(self.secret, timestamp, body),
                DELIVERY_HEADER: delivery,
                "Idempotency-Key": delivery,
            },
        ) as response:
            if not 200 <= response.status_code < 300:
                raise DeliveryRefused(response.status_code, response.headers.get("Location"))


def configured_notifiers(environ: dict | None = None) -> dict[str, Notifier]:
    env = os.environ if environ is None else environ
    notifiers: dict[str, Notifier] = {}
    if env.get("CLINIC_SMTP_HOST") and env.get("CLINIC_MAIL_TO"):
        security = (env.get("CLINIC_SMTP_SECURITY") or "starttls").strip().lower()
        if security not in SMTP_SECURITY:
            # Never weaker than the default by a typo, and never an exception here: the
            # actions call this on every booking and safety alert.
            logger.error(f"CLINIC_SMTP_SECURITY={security!r} is not one of {SMTP_SECURITY}: using starttls")
            security = "starttls"
        notifiers["email"] = EmailNotifier(
            host=env["CLINIC_SMTP_HOST"],
            port=int(env.get("CLINIC_SMTP_PORT") or (465 if security == "tls" else 25)),
            sender=env.get("CLINIC_MAIL_FROM", "assistant@localhost"),
            recipient=env["CLINIC_MAIL_TO"],
            user=env.get("CLINIC_SMTP_USER"),
            password=env.get("CLINIC_SMTP_PASSWORD"),
            security=security,
            ca_file=env.get("CLINIC_SMTP_CA_FILE") or None,
        )
    if env.get("CLINIC_WEBHOOK_URL") and env.get("CLINIC_WEBHOOK_SECRET"):
        notifiers["webhook"] = WebhookNotifier(env["CLINIC_WEBHOOK_URL"], env["CLINIC_WEBHOOK_SECRET"])
    return notifiers


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... at most an hour: exponential backoff."""
    return min(FIRST_RETRY * (2**attempts), LONGEST_RETRY)


def deliver_due(store: ClinicStore, notifiers: dict[str, Notifier]) -> tuple[int, int]:
    """Tries every due notification once; (sent, failed)."""
    sent = failed = 0
    for item in store.due_outbox():
        notifier = notifiers.get(item.channel)
        try:
            if notifier is None:
                raise RuntimeError(f"channel {item.channel} is not configured")
            notifier.send(item.request, delivery_id(item))
        except Exception as error:  # any failure: keep it, try again later
            failed += 1
            metrics.NOTIFICATIONS.labels(item.channel, "failed").inc()
            store.mark_failed(item.id, f"{type(error).__name__}: {error}", retry_delay(item.attempts))
            # Never the body or the patient's details: the error type, and an HTTP status.
            logger.warning(
                "notification failed",
                extra={
                    "outbox_id": item.id,
                    "channel": item.channel,
                    "attempts": item.attempts + 1,
                    "error": type(error).__name__,
                    "status": getattr(error, "status", None),
                },
            )
        else:
            sent += 1
            metrics.NOTIFICATIONS.labels(item.channel, "sent").inc()
            store.mark_sent(item.id)
    return sent, failed


WORKER = "notifications"


def run_worker(poll_seconds: float = 5.0) -> None:
    """Goes through the outbox every `poll_seconds`, beats its heartbeat (the staff console shows it)
    and keeps the backlog gauges current. A database outage is logged and waited out."""
    from clinic.requests.heartbeats import beat

    store, notifiers = ClinicStore(), configured_notifiers()
    logger.info(f"notification worker started: channels {sorted(notifiers) or 'none (staff inbox only)'}")
    while True:
        try:
            beat(store.engine, WORKER, 0, 0)  # before the round too: a slow receiver is not a stopped worker
            sent, failed = deliver_due(store, notifiers)
            metrics.OUTBOX_BACKLOG.set((backlog := store.outbox_backlog())[0])
            metrics.OUTBOX_FAILING.set(backlog[1])
            beat(store.engine, WORKER, sent, failed)
        except SQLAlchemyError as error:
            logger.error("the clinic database does not answer: %s; trying again", type(error).__name__)
        time.sleep(poll_seconds)


def worker_readiness(store: ClinicStore) -> dict:
    def clinic_database() -> None:
        with store.engine.connect() as db:
            db.execute(text("select 1"))

    return {"clinic_database": clinic_database}


if __name__ == "__main__":
    from clinic.operations import logs
    from clinic.operations.service_port import serve_in_background

    logs.configure("notifications")
    serve_in_background(
        "notifications", int(os.environ.get("CLINIC_WORKER_PORT", 9105)), worker_readiness(ClinicStore())
    )
    run_worker()
