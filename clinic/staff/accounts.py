"""Staff accounts, logins and console sessions.

Passwords are hashed with argon2id. Failed logins are counted per address: after
a few, that address waits before its next try, longer after each failure. An
account is never locked, so nobody can lock a colleague out by guessing wrong
from elsewhere, and the real user still logs in from their own computer.
Sessions live server-side: the cookie carries a random token, the table only
its SHA-256, so a leaked database does not hand out sessions. A session ends
after `idle_timeout` without its owner doing anything (a page reloading itself
is not them) and `lifetime` after its log-in, however busy. A timed-out session
is kept, ended, for a while, so that a form its owner sent after it is known to
be theirs (its CSRF token) and can wait across the log-in.

An admin on the clinic's server can disable an account (its password hash gets a
"!" in front, as `passwd -l` does, so no password matches and the old one comes
back with `enable`), reset a password, and lift an address's or an account's
login waits (`python -m clinic.staff ...`); each ends the account's sessions
where it should and is audited by the command.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from clinic.db.tables import accounts_table, login_failures_table, sessions_table
from clinic.requests.store import now

ROLES = ("staff", "trainer", "admin")  # a trainer also teaches the assistant; an admin does all
DISABLED = "!"  # in front of a disabled account's password hash
MIN_PASSWORD_LENGTH = 12
THROTTLE_WINDOW = timedelta(hours=1)  # failures older than this are forgotten
FREE_FAILURES = 5  # per address in the window, before it has to wait
FIRST_WAIT = timedelta(seconds=30)  # then doubled after each further failure ...
LONGEST_WAIT = timedelta(minutes=15)  # ... up to this

hasher = PasswordHasher()
# Checked against when the account does not exist, so timing does not tell.
UNKNOWN_ACCOUNT_HASH = hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A bad username, password or role when creating an account."""


class LoginThrottled(Exception):
    """Too many failed logins recently from this address: it must wait."""

    def __init__(self, wait: timedelta):
        super().__init__(f"wait {wait}")
        self.wait = wait


def backoff(failures: int) -> timedelta:
    """How long an address waits after its latest failure, given its failures in the window."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES, 16)  # far past the longest wait already, and no overflow
    return min(FIRST_WAIT * 2**doublings, LONGEST_WAIT)


@dataclass(frozen=True)
class EndedSession:
    """A session that timed out: whose it was, its CSRF token, and why ("idle" or "lifetime")."""

    username: str
    csrf_token: str
    why: str


@dataclass(frozen=True)
class StaffSession:
    username: str
    role: str
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_teach(self) -> bool:
        """May correct the assistant from a transcript (the "Teach the assistant" form)."""
        return self.role in ("trainer", "admin")


class StaffAccounts:
    def __init__(
        self, engine: Engine, idle_timeout: timedelta = timedelta(minutes=30), lifetime: timedelta = timedelta(hours=12)
    ):
        self.engine = engine
        self.idle_timeout = idle_timeout
        self.lifetime = lifetime

    def create(self, username: str, password: str, role: str = "staff") -> None:
        username = username.strip().lower()
        if not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
            raise AccountError("a username is letters, digits, '.', '-' or '_'")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        try:
            with self.engine.begin() as db:
                db.execute(
                    insert(accounts_table).values(
                        username=username, password_hash=hasher.hash(password), role=role, created_at=now()
                    )
                )
        except IntegrityError:
            raise AccountError(f"an account '{username}' already exists") from None

    def usernames(self) -> list[str]:
        with self.engine.connect() as db:
            return list(db.execute(select(accounts_table.c.username).order_by(accounts_table.c.username)).scalars())

    def exists(self, username: str) -> bool:
        with self.engine.connect() as db:
            return (
                db.execute(
                    select(accounts_table.c.id).where(accounts_table.c.username == username.strip().lower())
                ).first()
                is not None
            )

    def disabled(self) -> list[str]:
        with self.engine.connect() as db:
            return list(
                db.execute(
                    select(accounts_table.c.username)
                    .where(accounts_table.c.password_hash.startswith(DISABLED))
                    .order_by(accounts_table.c.username)
                ).scalars()
            )

    def disable(self, username: str) -> None:
        """No password opens the account any more, and its open sessions end now."""
        with self.engine.begin() as db:
            account = self._account(db, username)
            if not account.password_hash.startswith(DISABLED):
                db.execute(
                    update(accounts_table)
                    .where(accounts_table.c.id == account.id)
                    .values(password_hash=DISABLED + account.password_hash)
                )
            db.execute(delete(sessions_table).where(sessions_table.c.username == account.username))

    def set_role(self, username: str, role: str) -> str:
        """Gives the account another role (open sessions have it at their next page); the role it had."""
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        with self.engine.begin() as db:
            account = self._account(db, username)
            db.execute(update(accounts_table).where(accounts_table.c.id == account.id).values(role=role))
        return account.role

    def enable(self, username: str) -> None:
        """A disabled account opens again with the password it had."""
        with self.engine.begin() as db:
            account = self._account(db, username)
            db.execute(
                update(accounts_table)
                .where(accounts_table.c.id == account.id)
                .values(password_hash=account.password_hash.lstrip(DISABLED))
            )

    def reset_password(self, username: str, password: str) -> None:
        """A new password (the account is enabled again); every session of the old one ends."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        with self.engine.begin() as db:
            account = self._account(db, username)
            db.execute(
                update(accounts_table)
                .where(accounts_table.c.id == account.id)
                .values(password_hash=hasher.hash(password))
            )
            db.execute(delete(sessions_table).where(sessions_table.c.username == account.username))

    def lift_waits(self, username: str | None = None, address: str | None = None) -> int:
        """Forgets the failed logins of an account or from an address; how many were forgotten."""
        if not (username or address):
            raise AccountError("name an account or an address")
        with self.engine.begin() as db:
            if username:
                self._account(db, username)
            query = delete(login_failures_table)
            if username:
                query = query.where(login_failures_table.c.username == username.strip().lower())
            if address:
                query = query.where(login_failures_table.c.address == address[:64])
            return db.execute(query).rowcount

    @staticmethod
    def _account(db, username: str):
        account = db.execute(
            select(accounts_table).where(accounts_table.c.username == username.strip().lower())
        ).first()
        if account is None:
            raise AccountError(f"there is no account '{username.strip().lower()}'")
        return account

    def log_in(self, username: str, password: str, address: str) -> str | None:
        """A new session token for a right password, None for a wrong one; raises LoginThrottled."""
        username = username.strip().lower()
        with self.engine.begin() as db:
            self._check_backoff(db, address)
            account = db.execute(select(accounts_table).where(accounts_table.c.username == username)).first()
            try:
                hasher.verify(account.password_hash if account else UNKNOWN_ACCOUNT_HASH, password)
                valid = account is not None
            except (VerificationError, InvalidHashError):
                valid = False
            if not valid:  # the username only if it is an account: never a string an attacker chose
                db.execute(
                    insert(login_failures_table).values(
                        username=account.username if account else "", address=address[:64], at=now()
                    )
                )
                return None
            if hasher.check_needs_rehash(account.password_hash):
                db.execute(
                    update(accounts_table)
                    .where(accounts_table.c.id == account.id)
                    .values(password_hash=hasher.hash(password))
                )
            # Idle longer than a lifetime, a session has ended either way (it began before its last
            # activity); until then a timed-out one is kept, for its owner's late form.
            db.execute(delete(sessions_table).where(sessions_table.c.last_seen_at < now() - self.lifetime))
            token = secrets.token_urlsafe(32)
            db.execute(
                insert(sessions_table).values(
                    token_hash=_digest(token),
                    username=username,
                    csrf_token=secrets.token_urlsafe(32),
                    created_at=now(),
                    last_seen_at=now(),
                )
            )
            return token

    @staticmethod
    def _check_backoff(db, address: str) -> None:
        failures, latest = db.execute(
            select(func.count(), func.max(login_failures_table.c.at)).where(
                login_failures_table.c.address == address[:64], login_failures_table.c.at > now() - THROTTLE_WINDOW
            )
        ).one()
        if not failures:
            return
        wait = _aware(latest) + backoff(failures) - now()
        if wait > timedelta(0):
            raise LoginThrottled(wait)

    def session(self, token: str | None, renew: bool = True) -> StaffSession | None:
        """The live session for a cookie token. `renew`: its owner did something, so its idle time
        starts again; not for a page reloading itself, or the session would never go idle."""
        if not token:
            return None
        with self.engine.begin() as db:
            row = self._row(db, token)
            if row is None or self._why_ended(row):
                return None
            if renew:
                db.execute(
                    update(sessions_table)
                    .where(sessions_table.c.token_hash == row.token_hash)
                    .values(last_seen_at=now())
                )
            return StaffSession(row.username, row.role, row.csrf_token)

    def ended(self, token: str | None) -> EndedSession | None:
        """The session of a cookie token, if it timed out (not if it was logged out, or never was)."""
        if not token:
            return None
        with self.engine.connect() as db:
            row = self._row(db, token)
        why = self._why_ended(row) if row else None
        return EndedSession(row.username, row.csrf_token, why) if why else None

    @staticmethod
    def _row(db, token: str):
        return db.execute(
            select(sessions_table, accounts_table.c.role)
            .join(accounts_table, accounts_table.c.username == sessions_table.c.username)
            .where(sessions_table.c.token_hash == _digest(token))
        ).first()

    def _why_ended(self, row) -> str | None:
        if now() - _aware(row.created_at) > self.lifetime:
            return "lifetime"
        if now() - _aware(row.last_seen_at) > self.idle_timeout:
            return "idle"
        return None

    def log_out(self, token: str) -> None:
        with self.engine.begin() as db:
            db.execute(delete(sessions_table).where(sessions_table.c.token_hash == _digest(token)))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite drops the zone


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
