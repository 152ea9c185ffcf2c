"""Hands requests to the clinic: email over SMTP and a signed JSON webhook.

Delivery goes through the outbox (clinic/store.py): a mail server or webhook
outage delays a notification, retried with backoff, but never loses it.
Configured by environment variables:

    CLINIC_SMTP_HOST, CLINIC_SMTP_PORT (25), CLINIC_SMTP_USER, CLINIC_SMTP_PASSWORD,
    CLINIC_SMTP_STARTTLS (false), CLINIC_MAIL_FROM, CLINIC_MAIL_TO
    CLINIC_WEBHOOK_URL, CLINIC_WEBHOOK_SECRET

    python -m clinic.notifications     # the delivery worker (`make run` starts it)
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import smtplib
import time
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Protocol

import requests

from clinic.store import ClinicRequest, ClinicStore

logger = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
SIGNATURE_HEADER = "X-Clinic-Signature"


class Notifier(Protocol):
    channel: str

    def send(self, request: ClinicRequest) -> None: ...


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
        return [f"Safety alert: {ALERT_WORDING[request.details['tier']]}; conversation {request.conversation_id}, "
                f"{request.created_at:%Y-%m-%d %H:%M} UTC.",
                "The assistant gave the patient the crisis line or emergency number. "
                "Read the conversation in the staff console."]
    return [f"{key.replace('_', ' ')}: {value}" for key, value in request.details.items() if value]


@dataclass
class EmailNotifier:
    host: str
    port: int
    sender: str
    recipient: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    channel: str = "email"

    def send(self, request: ClinicRequest) -> None:
        message = EmailMessage()
        message["Subject"] = subject(request)
        message["From"], message["To"] = self.sender, self.recipient
        message.set_content("\n".join([f"Reference: {request.reference}", *summary_lines(request)]))
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class WebhookNotifier:
    url: str
    secret: str
    channel: str = "webhook"

    def send(self, request: ClinicRequest) -> None:
        body = json.dumps({
            "reference": request.reference, "kind": request.kind, "status": request.status,
            "created_at": request.created_at.isoformat(), "details": request.details,
            "conversation_id": request.conversation_id, "summary": subject(request),
        }, sort_keys=True).encode()
        response = requests.post(self.url, data=body, timeout=10, headers={
            "Content-Type": "application/json", SIGNATURE_HEADER: signature(self.secret, body),
            "Idempotency-Key": request.reference})
        response.raise_for_status()


def configured_notifiers(environ: dict | None = None) -> dict[str, Notifier]:
    env = os.environ if environ is None else environ
    notifiers: dict[str, Notifier] = {}
    if env.get("CLINIC_SMTP_HOST") and env.get("CLINIC_MAIL_TO"):
        notifiers["email"] = EmailNotifier(
            host=env["CLINIC_SMTP_HOST"], port=int(env.get("CLINIC_SMTP_PORT", "25")),
            sender=env.get("CLINIC_MAIL_FROM", "assistant@localhost"), recipient=env["CLINIC_MAIL_TO"],
            user=env.get("CLINIC_SMTP_USER"), password=env.get("CLINIC_SMTP_PASSWORD"),
            starttls=env.get("CLINIC_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"))
    if env.get("CLINIC_WEBHOOK_URL") and env.get("CLINIC_WEBHOOK_SECRET"):
        notifiers["webhook"] = WebhookNotifier(env["CLINIC_WEBHOOK_URL"], env["CLINIC_WEBHOOK_SECRET"])
    return notifiers


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... at most an hour: exponential backoff."""
    return min(FIRST_RETRY * (2 ** attempts), LONGEST_RETRY)


def deliver_due(store: ClinicStore, notifiers: dict[str, Notifier]) -> tuple[int, int]:
    """Tries every due notification once; (sent, failed)."""
    sent = failed = 0
    for item in store.due_outbox():
        notifier = notifiers.get(item.channel)
        try:
            if notifier is None:
                raise RuntimeError(f"channel {item.channel} is not configured")
            notifier.send(item.request)
        except Exception as error:  # any failure: keep it, try again later
            failed += 1
            store.mark_failed(item.id, f"{type(error).__name__}: {error}", retry_delay(item.attempts))
            logger.warning("notification failed", extra={"outbox_id": item.id, "channel": item.channel,
                                                          "attempts": item.attempts + 1})
        else:
            sent += 1
            store.mark_sent(item.id)
    return sent, failed


def run_worker(poll_seconds: float = 5.0) -> None:
    store, notifiers = ClinicStore(), configured_notifiers()
    logger.info(f"notification worker started: channels {sorted(notifiers) or 'none (staff inbox only)'}")
    while True:
        deliver_due(store, notifiers)
        time.sleep(poll_seconds)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    run_worker()
