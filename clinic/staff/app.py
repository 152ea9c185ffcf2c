"""The staff console app (Sanic, its own port; not the patient-facing server).

python -m clinic.staff serve [--port 8001]
"""

from __future__ import annotations

import os
from asyncio import AbstractEventLoop
from datetime import timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from sanic import Sanic
from sqlalchemy import text

from clinic import PROJECT_ROOT
from clinic.operations import metrics
from clinic.prod.topology import run_dir
from clinic.requests.store import ClinicStore
from clinic.staff.accounts import StaffAccounts
from clinic.staff.audit import AuditLog
from clinic.staff.clock import local
from clinic.staff.conversations import TrackerStoreReader
from clinic.staff.ignored import IgnoredQuestions
from clinic.staff.pages import add_pages
from clinic.staff.reviews import ConversationReviews
from clinic.staff.summaries import ConversationSummaries
from clinic.staff.training import TrainAndLoad
from clinic.staff.web import HERE, Console, add_security_and_login, open_to_all, path_segment
from clinic.staff.words import PlainWords


def staff_console(clinic_db_url: str | None = None, tracker_db_url: str | None = None) -> Sanic:
    store = ClinicStore(clinic_db_url)
    idle = timedelta(minutes=int(os.environ.get("CLINIC_STAFF_IDLE_MINUTES", "30")))
    lifetime = timedelta(hours=int(os.environ.get("CLINIC_STAFF_SESSION_HOURS", "12")))  # then a log-in again
    console = Console(
        store=store,
        accounts=StaffAccounts(store.engine, idle, lifetime),
        audit=AuditLog(store.engine),
        reviews=ConversationReviews(store.engine),
        ignored=IgnoredQuestions(store.engine),
        tracker=(tracker := TrackerStoreReader(tracker_db_url)),
        summaries=ConversationSummaries(store.engine, tracker),
        knowledge_root=(root := Path(os.environ.get("CLINIC_KNOWLEDGE_ROOT") or PROJECT_ROOT)),
        training=TrainAndLoad(root, run_dir()),
        secure_cookies=os.environ.get("CLINIC_STAFF_SECURE_COOKIES", "") == "1",
        templates=Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True),
    )
    console.templates.filters["path_segment"] = path_segment
    console.templates.filters["local"] = local  # times in the clinic's zone (CLINIC_TIME_ZONE)
    console.templates.globals["words"] = PlainWords(console.knowledge_root)  # no Rasa names on screen
    app = Sanic("clinic_staff_console")
    app.ctx.console = console
    add_security_and_login(app, console)
    add_pages(app, console)

    # Not at import: tests build the app to list its routes without serving it.
    def catch_up(app: Sanic, loop: AbstractEventLoop) -> None:
        console.summaries.start_catching_up()

    app.register_listener(catch_up, "after_server_start")
    metrics.add_service_routes(app, "staff_console", readiness_checks(console), mark=open_to_all)
    return app


def readiness_checks(console: Console) -> dict:
    def clinic_database() -> None:
        with console.store.engine.connect() as db:
            db.execute(text("select 1"))

    def conversations() -> None:
        with console.tracker.engine.connect() as db:
            db.execute(text("select 1"))

    return {"clinic_database": clinic_database, "conversations": conversations}
