"""Brings the clinic database to the current schema (Alembic, clinic/db/migrations/).

    python -m clinic.db.migrate     # make run, make prod, systemd and Kubernetes do this before starting

A database made by the first release, before migrations, is upgraded in place.
A PostgreSQL database that does not exist yet is created first. This is the only
place the schema changes: the processes check it is current and refuse to start
otherwise (require_current_schema), so two replicas never race to upgrade it.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


@lru_cache(maxsize=1)
def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@lru_cache(maxsize=1)
def head() -> str:
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert found is not None  # None only for no revisions at all: clinic/db/migrations/versions ships them
    return found


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """(revision before, revision after)."""
    before = current(engine)
    if before != head():
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        logger.info("clinic database upgraded from %s to %s", before or "the first release", head())
    return before, head()


class SchemaBehind(RuntimeError):
    def __init__(self, at: str | None) -> None:
        super().__init__(
            f"the clinic database is at schema {at or 'none (empty)'}, not {head()}: run "
            "`python -m clinic.db.migrate` first (make run and make prod do)"
        )


def require_current_schema(engine: Engine) -> None:
    """Raises SchemaBehind unless the database is at the migrations' head."""
    at = current(engine)
    if at != head():
        raise SchemaBehind(at)


def create_database_if_missing(url: str) -> None:
    """PostgreSQL only: CREATE DATABASE through the server's maintenance database."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        return
    maintenance = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as db:
            exists = db.execute(
                text("select 1 from pg_database where datname = :name"), {"name": parsed.database}
            ).first()
            if not exists:
                db.execute(text(f'create database "{parsed.database}"'))
                logger.info("created the PostgreSQL database %s", parsed.database)
    finally:
        maintenance.dispose()


def main() -> None:
    import os

    from clinic.db import clinic_db_url

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    url = clinic_db_url()
    create_database_if_missing(url)
    if os.environ.get("CLINIC_TRACKER_DB_URL"):  # conversations: Rasa's tracker store expects the database
        create_database_if_missing(os.environ["CLINIC_TRACKER_DB_URL"])
    engine = create_engine(url, future=True)
    before, after = upgrade(engine)
    print(
        f"==> Clinic database at schema {after}"
        + ("" if before == after else f" (was {before or 'the first release'})")
    )


if __name__ == "__main__":
    main()
