"""Brings the clinic database to the current schema (Alembic, clinic/migrations/).

    python -m clinic.migrate        # make run and make prod do this before starting

A database made by the first release, before migrations, is upgraded in place.
A PostgreSQL database that does not exist yet is created first. Every process
that opens the clinic database also upgrades it if it is behind, so a test's
fresh SQLite file or a `clinic.staff` command works without this step.
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
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


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


def create_database_if_missing(url: str) -> None:
    """PostgreSQL only: CREATE DATABASE through the server's maintenance database."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        return
    maintenance = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as db:
            exists = db.execute(text("select 1 from pg_database where datname = :name"),
                                {"name": parsed.database}).first()
            if not exists:
                db.execute(text(f'create database "{parsed.database}"'))
                logger.info("created the PostgreSQL database %s", parsed.database)
    finally:
        maintenance.dispose()


def main() -> None:
    import os

    from clinic.store import DEFAULT_URL

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    url = os.environ.get("CLINIC_DB_URL") or DEFAULT_URL
    create_database_if_missing(url)
    if os.environ.get("CLINIC_TRACKER_DB_URL"):  # conversations: Rasa's tracker store expects the database
        create_database_if_missing(os.environ["CLINIC_TRACKER_DB_URL"])
    engine = create_engine(url, future=True)
    before, after = upgrade(engine)
    print(f"==> Clinic database at schema {after}" + ("" if before == after else f" (was {before or 'the first release'})"))


if __name__ == "__main__":
    main()
