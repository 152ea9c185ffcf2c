"""What each service counts for Prometheus, and its /health, /ready and /metrics routes.

Every process has its own registry and its own /metrics (a Rasa replica, the
action server, the staff console, the notification worker); Prometheus scrapes
each on its own address, never through nginx. Counts only: no patient text,
no conversation id in a label. Still, the counts say how many patients were in
crisis: /ready and /metrics answer only a caller with the monitoring token
(`Authorization: Bearer $CLINIC_METRICS_TOKEN`, 401 without it), and without a
token set they are off (404). /health, yes or no, answers anyone.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import secrets
from typing import Awaitable, Callable, Union

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

logger = logging.getLogger(__name__)
disable_created_metrics()  # the *_created series double what is scraped and say nothing here

# The patient channel (each Rasa replica).
MESSAGES = Counter("clinic_patient_messages_total", "Patient messages answered by the assistant")
REPLY_SECONDS = Histogram(
    "clinic_reply_seconds",
    "Time from a patient's message to the assistant's reply",
    buckets=(0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10),
)
FALLBACKS = Counter("clinic_fallbacks_total", "Replies asking the patient to rephrase (unanswered)")
REFUSALS = Counter("clinic_refusals_total", "Calls refused, by HTTP status (401, 403, 413, 429)", ["service", "status"])
REPEATED_MESSAGES = Counter(
    "clinic_repeated_messages_total", "Patient messages sent again (a retry) and answered with the reply already given"
)
FAILED_REPLIES = Counter("clinic_failed_replies_total", "Messages answered with the 'something went wrong' text")

# The action server.
RED_FLAGS = Counter("clinic_red_flags_total", "Red flags escalated, by tier (crisis, emergency, urgent, ...)", ["tier"])
SAFETY_ALERTS = Counter("clinic_safety_alerts_total", "Safety alerts stored for the clinic, by tier", ["tier"])
REQUESTS = Counter("clinic_requests_total", "Booking and callback requests stored", ["kind"])
REQUESTS_NOT_STORED = Counter(
    "clinic_requests_not_stored_total", "Requests the database refused (patient told)", ["kind"]
)

# The notification worker.
NOTIFICATIONS = Counter(
    "clinic_notifications_total", "Notification attempts, by channel and result", ["channel", "result"]
)
OUTBOX_BACKLOG = Gauge("clinic_outbox_backlog", "Notifications not sent yet")
OUTBOX_FAILING = Gauge("clinic_outbox_failing", "Notifications not sent yet that failed at least once")

Check = Callable[[], Union[None, Awaitable[None]]]  # raises when its part is not ready


MONITORING_ERRORS = {404: "not_found", 401: "unauthorized"}


def monitoring_refusal(authorization: str | None, environ=None) -> int | None:
    """None when the caller may read /ready and /metrics; else the status that refuses it."""
    environ = os.environ if environ is None else environ
    token = environ.get("CLINIC_METRICS_TOKEN")
    if not token:
        return 404
    if not secrets.compare_digest((authorization or "").encode(), f"Bearer {token}".encode()):
        return 401
    return None


def monitoring_headers(token: str | None) -> dict[str, str]:
    """What a caller of /ready and /metrics sends (the rollout, the tests, Prometheus' `authorization`)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def exposition() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST


async def readiness(checks: dict[str, Check]) -> tuple[bool, dict[str, str]]:
    """Runs every check (each raises when its part is not ready); (all ready, {part: "ok" or why})."""
    results = {}
    for name, check in checks.items():
        try:  # a blocking check runs in a thread: a database that hangs never stalls patients' replies
            outcome = check() if inspect.iscoroutinefunction(check) else asyncio.to_thread(check)
            await asyncio.wait_for(outcome, timeout=5)
            results[name] = "ok"
        except Exception as error:  # the reason is the error's type: never a URL with a password
            results[name] = f"not ready: {type(error).__name__}"
    return all(v == "ok" for v in results.values()), results


def add_service_routes(
    app, service: str, checks: dict[str, Check], mark=lambda handler: handler, health: bool = True
) -> None:
    """GET /health (the process answers), /ready (its parts answer: 200 or 503) and /metrics on a Sanic app.
    `mark` decorates each handler (the staff console marks them open to all); `health=False` where the
    app has its own /health (rasa_sdk's)."""
    from sanic import response

    if health:

        @app.get("/health", name=f"{service}_health")
        @mark
        async def alive(request):
            return response.json({"status": "ok", "service": service})

    def refused(request):
        status = monitoring_refusal(request.headers.get("authorization"))
        if status is None:
            return None
        if status == 401:  # a 404 is no refusal: the routes are off
            REFUSALS.labels(service, "401").inc()
        return response.json({"error": MONITORING_ERRORS[status]}, status=status)

    @app.get("/ready", name=f"{service}_ready")
    @mark
    async def ready(request):
        if (refusal := refused(request)) is not None:
            return refusal
        ok, parts = await readiness(checks)
        if not ok:
            logger.warning("not ready: %s", parts)
        return response.json({"ready": ok, "service": service, "checks": parts}, status=200 if ok else 503)

    @app.get("/metrics", name=f"{service}_metrics")
    @mark
    async def metrics(request):
        if (refusal := refused(request)) is not None:
            return refusal
        body, content_type = exposition()
        return response.raw(body, content_type=content_type)
