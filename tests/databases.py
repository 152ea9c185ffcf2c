"""Clinic databases for tests, brought to the current schema as the start-up step does
(`python -m clinic.db.migrate`): no process changes the schema itself."""
from clinic.db import connect
from clinic.db.migrate import upgrade
from clinic.requests.store import ClinicStore


def migrate(url: str) -> str:
    engine = connect(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url


def migrated_store(url: str) -> ClinicStore:
    return ClinicStore(migrate(url))
