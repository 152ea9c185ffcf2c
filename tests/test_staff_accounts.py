"""Staff accounts on SQLite and PostgreSQL: argon2 hashes, log-in throttling,
idle log-out, server-side sessions, the audit log."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from clinic.staff.accounts import AccountError, LoginThrottled, StaffAccounts
from clinic.staff.audit import AuditLog
from clinic.db.tables import accounts_table, sessions_table
from clinic.requests.store import now

PASSWORD = "correct horse battery staple"


@pytest.fixture
def accounts(store):
    accounts = StaffAccounts(store.engine, idle_timeout=timedelta(minutes=30))
    accounts.create("Sam.Reid", PASSWORD, "staff")
    return accounts


def test_a_password_is_stored_only_as_an_argon2_hash(accounts):
    with accounts.engine.connect() as db:
        stored = db.execute(select(accounts_table.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize("username, password, role, problem", [
    ("sam.reid", PASSWORD, "staff", "already exists"),
    ("new", "short", "staff", "at least 12"),
    ("new", PASSWORD, "owner", "role"),
    ("<script>", PASSWORD, "staff", "letters, digits"),
])
def test_bad_accounts_are_refused(accounts, username, password, role, problem):
    with pytest.raises(AccountError, match=problem):
        accounts.create(username, password, role)


def test_log_in_gives_a_session_whose_token_is_stored_hashed(accounts):
    token = accounts.log_in("SAM.REID ", PASSWORD, "10.0.0.1")
    session = accounts.session(token)
    assert (session.username, session.role, session.is_admin) == ("sam.reid", "staff", False)
    assert len(session.csrf_token) >= 40
    with accounts.engine.connect() as db:
        assert token not in list(db.execute(select(sessions_table.c.token_hash)).scalars())
    accounts.log_out(token)
    assert accounts.session(token) is None


def test_wrong_passwords_are_throttled_per_address(accounts):
    for _ in range(5):
        assert accounts.log_in("sam.reid", "wrong password!", "10.0.0.2") is None
    with pytest.raises(LoginThrottled):
        accounts.log_in("sam.reid", PASSWORD, "10.0.0.2")  # even the right password, for a while
    assert accounts.log_in("sam.reid", PASSWORD, "10.0.0.3")  # the account itself is never locked


def test_an_unknown_account_fails_like_a_wrong_password(accounts):
    assert accounts.log_in("nobody", PASSWORD, "10.0.0.4") is None


def test_an_idle_session_ends(accounts):
    token = accounts.log_in("sam.reid", PASSWORD, "10.0.0.5")
    with accounts.engine.begin() as db:
        db.execute(update(sessions_table).values(last_seen_at=now() - timedelta(minutes=31)))
    assert accounts.session(token) is None
    assert accounts.session(token) is None and accounts.session(None) is None


def test_the_audit_log_keeps_who_did_what(store):
    audit = AuditLog(store.engine)
    audit.record("sam.reid", "login", address="10.0.0.6")
    audit.record("sam.reid", "reveal", "web-abc", "10.0.0.6")
    assert [(e.username, e.action, e.target) for e in audit.entries()] == [
        ("sam.reid", "reveal", "web-abc"), ("sam.reid", "login", None)]
