"""A clinic upgrading from the first release (tables made without migrations) keeps
every request, notification, account, audit row, review and ended session."""
import json
import subprocess
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, inspect, select, text

from clinic import PROJECT_ROOT
from clinic.requests.heartbeats import beat, last_beats
from clinic.db.migrate import head
from clinic.db.tables import metadata
from clinic.requests.store import ClinicStore
from local_servers import BIN, POSTGRES_URL, require_postgres

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
STAMP = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
FIRST_RELEASE_ROWS = [
    ("clinic_requests", dict(id=1, reference="MC-K7Q2PX", idempotency_key="k" * 64, kind="booking",
                             conversation_id="patient-1", status="contacted", assignee="sam",
                             details=json.dumps({"patient_name": "Ana Ruiz", "contact": "+1 555 0100"}),
                             notes="called back, booked Tuesday", created_at=STAMP, updated_at=STAMP)),
    ("clinic_outbox", dict(id=1, request_id=1, channel="email", status="pending", attempts=2,
                           next_attempt_at=STAMP, last_error="SMTPConnectError")),
    ("staff_accounts", dict(id=1, username="sam", password_hash="$argon2id$v=19$x", role="admin", created_at=STAMP)),
    ("staff_audit", dict(id=1, at=STAMP, username="sam", action="login", address="10.0.0.8")),
    ("conversation_reviews", dict(conversation_id="patient-1", reviewed=True, tags="booking", notes="fine",
                                  updated_by="sam", updated_at=STAMP)),
    ("patient_sessions_ended", dict(session_id="s" * 32, expires_at=STAMP)),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def first_release_db(request, tmp_path):
    """A database exactly as the first release left it, with a row in every table."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'clinic.db'}"
    else:
        require_postgres()
        url = POSTGRES_URL.rsplit("/", 1)[0] + f"/clinic_upgrade_{uuid.uuid4().hex[:8]}"
        with create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT").connect() as db:
            db.execute(text(f"create database {url.rsplit('/', 1)[1]}"))
    engine = create_engine(url)
    schema = (FIXTURES / f"clinic_db_first_release.{request.param}.sql").read_text()
    schema = "\n".join(line for line in schema.splitlines() if not line.startswith("--"))
    with engine.begin() as db:
        for statement in filter(str.strip, schema.split(";")):
            db.execute(text(statement))
        for table, row in FIRST_RELEASE_ROWS:
            columns = ", ".join(row)
            db.execute(text(f"insert into {table} ({columns}) values ({', '.join(':' + c for c in row)})"), row)
    engine.dispose()
    yield url
    if request.param == "postgresql":
        with create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT").connect() as db:
            db.execute(text(f"drop database {url.rsplit('/', 1)[1]} with (force)"))


def migrate(url):
    return subprocess.run([BIN / "python", "-m", "clinic.db.migrate"], env={"CLINIC_DB_URL": url, "PATH": str(BIN)},
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)


def test_the_first_releases_database_is_upgraded_in_place_and_loses_nothing(first_release_db):
    upgraded = migrate(first_release_db)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"at schema {head()} (was the first release)" in upgraded.stdout

    engine = create_engine(first_release_db)
    with engine.connect() as db:
        for table, row in FIRST_RELEASE_ROWS:
            kept = db.execute(select(metadata.tables[table])).mappings().all()
            assert len(kept) == 1, table
            for column, value in row.items():
                got = kept[0][column]
                if isinstance(value, datetime):
                    got = got.replace(tzinfo=timezone.utc) if got.tzinfo is None else got
                assert got == value, (table, column)
    store = ClinicStore(first_release_db)
    request = store.get("MC-K7Q2PX")
    assert request.details["patient_name"] == "Ana Ruiz" and request.notes == "called back, booked Tuesday"
    (note,) = store.notes(["MC-K7Q2PX"])["MC-K7Q2PX"]  # the one note it kept opens the request's history
    assert (note.author, note.text) == ("(earlier note)", "called back, booked Tuesday")

    # The new table of this release works on the upgraded database.
    beat(engine, "notifications", sent=3, failed=1)
    assert [(b.worker, b.sent, b.failed) for b in last_beats(engine)] == [("notifications", 3, 1)]


def test_upgrading_twice_changes_nothing(first_release_db):
    assert migrate(first_release_db).returncode == 0
    again = migrate(first_release_db)
    assert again.returncode == 0 and again.stdout.strip() == f"==> Clinic database at schema {head()}"


def test_a_new_database_gets_every_table_of_the_code(tmp_path):
    """Types, nullability, keys and indexes as the code declares them: Alembic finds nothing to change."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert migrate(url).returncode == 0
    with create_engine(url).connect() as db:
        assert set(metadata.tables) <= set(inspect(db).get_table_names())
        assert compare_metadata(MigrationContext.configure(db), metadata) == []


def test_a_process_refuses_a_database_that_is_behind_and_changes_nothing(tmp_path):
    """Only the start-up step upgrades (python -m clinic.db.migrate); a store opened on an empty or
    old database says what to run, and leaves the schema as it found it."""
    from clinic.db.migrate import SchemaBehind

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(SchemaBehind, match=r"schema none \(empty\), not .*run `python -m clinic.db.migrate` first"):
        ClinicStore(url)
    with create_engine(url).connect() as db:
        assert inspect(db).get_table_names() == []


def test_the_staff_command_on_a_database_that_is_behind_says_what_to_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    ran = subprocess.run([BIN / "python", "-m", "clinic.staff", "add-account", "sam", "--role", "admin",
                          "--password-stdin"], input="a long enough passphrase\n", env={"CLINIC_DB_URL": url,
                          "PATH": str(BIN)}, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert ran.returncode != 0
    assert "run `python -m clinic.db.migrate` first" in ran.stderr
