"""The clinic database: where it is, how to connect, its tables (tables.py) and their
migrations (migrate.py, migrations/).

SQLAlchemy 1.4 (Rasa's version). A SQLite file by default (`clinic.db`), any
SQLAlchemy URL via CLINIC_DB_URL (PostgreSQL in production). The schema is
brought up to date once, by the start-up step (`python -m clinic.db.migrate`:
make run, make prod, the systemd unit, the Kubernetes Job); the processes only
check that it is, and refuse to start on a database that is behind.
"""

from __future__ import annotations

import os

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool

from clinic import PROJECT_ROOT

DEFAULT_URL = f"sqlite:///{PROJECT_ROOT / 'clinic.db'}"


def clinic_db_url(environ=None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get("CLINIC_DB_URL") or DEFAULT_URL


def connect(url: str | None = None) -> Engine:
    """An engine for the clinic database: connections checked before use, SQLite files kept open."""
    url = url or clinic_db_url()
    return create_engine(url, future=True, pool_pre_ping=True, **pooled(url))


def pooled(url) -> dict:
    """create_engine options that keep connections to a SQLite file open between uses.

    SQLAlchemy 1.4 opens a SQLite file afresh for every connection (NullPool), a few
    tenths of a millisecond each, several times a patient's turn. A pool, shared by
    threads one at a time, is what SQLAlchemy 2.0 does by default. Like a PostgreSQL
    connection, an open file stays the one read: a database file replaced under a
    running service is seen after its restart (the console's reader opens afresh)."""
    parsed = make_url(str(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}}
    return {}
