"""Log-in abuse against the staff accounts, on SQLite and PostgreSQL: an address
that keeps failing waits longer each time, an account is never locked, and what
an attacker types as a username is never stored."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from clinic.staff.accounts import LoginThrottled, StaffAccounts
from clinic.db.tables import login_failures_table

PASSWORD = "correct horse battery staple"
WRONG = "not the password at all"


@pytest.fixture
def accounts(store):
    accounts = StaffAccounts(store.engine)
    accounts.create("sam", PASSWORD, "staff")
    return accounts


def fail_until_throttled(accounts, address: str, username: str = "sam") -> LoginThrottled:
    for _ in range(20):
        try:
            assert accounts.log_in(username, WRONG, address) is None
        except LoginThrottled as throttled:
            return throttled
    pytest.fail("20 wrong passwords in a row were never throttled")


def let_time_pass(accounts, address: str, wait: timedelta) -> None:
    """As if `wait` had passed for this address's failures (the database's clock, not a mock)."""
    failures = login_failures_table
    with accounts.engine.begin() as db:
        for row in db.execute(select(failures.c.id, failures.c.at).where(failures.c.address == address)).all():
            db.execute(update(failures).where(failures.c.id == row.id).values(at=row.at - wait))


def test_wrong_passwords_from_one_address_never_lock_the_account(accounts):
    fail_until_throttled(accounts, "10.0.0.66")
    with pytest.raises(LoginThrottled):
        accounts.log_in("sam", PASSWORD, "10.0.0.66")  # that address waits, even with the right password
    assert accounts.session(accounts.log_in("sam", PASSWORD, "10.0.0.7")).username == "sam"


def test_an_address_that_keeps_failing_waits_longer_each_time(accounts):
    waits = []
    for _ in range(4):
        waits.append(fail_until_throttled(accounts, "10.0.0.66").wait)
        let_time_pass(accounts, "10.0.0.66", waits[-1] + timedelta(seconds=1))
    assert timedelta(0) < waits[0] < waits[1] < waits[2] < waits[3] <= timedelta(minutes=15)
    let_time_pass(accounts, "10.0.0.66", timedelta(hours=2))
    assert accounts.log_in("sam", PASSWORD, "10.0.0.66")  # long after, the address starts afresh


def test_a_username_nobody_has_is_never_stored(accounts):
    chosen = "<script>alert(1)</script>" + "x" * 200  # longer than the column, too
    for _ in range(3):
        assert accounts.log_in(chosen, WRONG, "10.0.0.8") is None
    with accounts.engine.connect() as db:
        stored = set(db.execute(select(login_failures_table.c.username)).scalars())
    assert stored == {""}
