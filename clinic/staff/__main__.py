"""Staff console commands.

python -m clinic.staff serve [--port 8001]                 the console
python -m clinic.staff add-account NAME [--role trainer|admin]  asks for the password twice
python -m clinic.staff disable-account NAME                no password opens it; its sessions end
python -m clinic.staff enable-account NAME                 opens again with its old password
python -m clinic.staff reset-password NAME                 asks for the new password twice
python -m clinic.staff set-role NAME staff|trainer|admin   takes effect at the account's next page
python -m clinic.staff lift-waits [--account NAME] [--address IP]   forgets failed logins
python -m clinic.staff retention [--days 365]             deletes older conversations, requests, reviews, log lines
python -m clinic.staff has-accounts                        exit status 0 if any account exists
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import datetime, timedelta, timezone

from clinic.db.migrate import SchemaBehind
from clinic.operations import log_retention
from clinic.operations.binding import bind_address
from clinic.requests.store import ClinicStore
from clinic.staff.accounts import ROLES, AccountError, StaffAccounts
from clinic.staff.audit import AuditLog
from clinic.staff.conversations import TrackerStoreReader
from clinic.staff.reviews import ConversationReviews
from clinic.staff.summaries import ConversationSummaries


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Password (12+ characters): ")
    if password != getpass.getpass("Again: "):
        raise AccountError("the two passwords differ")
    return password


ACCOUNT_CARE = ("disable-account", "enable-account", "reset-password", "set-role", "lift-waits")


def care_for_account(args) -> int:
    """Disable, enable, reset or lift waits, audited as done from the server's shell."""
    engine = ClinicStore().engine
    accounts, who = StaffAccounts(engine), f"shell:{getpass.getuser()}"
    try:
        if args.verb == "disable-account":
            accounts.disable(args.username)
            done, said = "account_disabled", f"Disabled '{args.username}'; its sessions have ended."
        elif args.verb == "enable-account":
            accounts.enable(args.username)
            done, said = "account_enabled", f"Enabled '{args.username}' with its old password."
        elif args.verb == "set-role":
            before = accounts.set_role(args.username, args.role)
            done, said = "role_changed", f"'{args.username}' is now {args.role} (was {before})."
        elif args.verb == "reset-password":
            accounts.reset_password(args.username, read_password(args.password_stdin))
            done, said = "password_reset", f"New password set for '{args.username}'; its sessions have ended."
        else:
            forgotten = accounts.lift_waits(args.username, args.address)
            done = "login_waits_lifted"
            said = f"Forgot {_many(forgotten, 'failed login')}; the next try is not made to wait."
    except AccountError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    target = args.username or f"address {args.address}"
    if args.verb == "set-role":
        target = f"{target}: {before}→{args.role}"
    AuditLog(engine).record(who, done, target=(target or "").strip().lower()[:255])
    print(said)
    return 0


def _many(count: int, thing: str) -> str:
    return f"{count} {thing}{'' if count == 1 else 's'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clinic.staff", description="The clinic's staff console.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    serve = verbs.add_parser("serve", help="run the console (its own port, not the patient server)")
    serve.add_argument("--host", default=bind_address())
    serve.add_argument("--port", type=int, default=int(os.environ.get("CLINIC_STAFF_PORT", 8001)))
    add = verbs.add_parser("add-account", help="create a staff account (the first admin too)")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, default="staff")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    verbs.add_parser("has-accounts", help="exit 0 if any staff account exists (used by `make run`)")
    for verb, what in (
        ("disable-account", "no password opens the account; its sessions end now"),
        ("enable-account", "a disabled account opens again with its old password"),
    ):
        verbs.add_parser(verb, help=what).add_argument("username")
    reset = verbs.add_parser("reset-password", help="a new password for an account; its sessions end")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    role = verbs.add_parser("set-role", help="give an account another role (staff, trainer or admin)")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    waits = verbs.add_parser("lift-waits", help="forget the failed logins of an account or from an address")
    waits.add_argument("--account", dest="username")
    waits.add_argument("--address")
    keep = verbs.add_parser(
        "retention",
        help="delete conversations, requests, reviews and log lines older than "
        "a number of days (logs in CLINIC_LOG_DIR)",
    )
    keep.add_argument("--days", type=int, default=int(os.environ.get("CLINIC_RETENTION_DAYS", 365)))
    args = parser.parse_args(argv)
    try:
        return run(args)
    except SchemaBehind as behind:
        print(f"error: {behind}", file=sys.stderr)
        return 2


def run(args) -> int:
    if args.verb == "serve":
        from clinic.operations import logs
        from clinic.staff.app import staff_console

        logs.configure("staff_console")
        print(f"Staff console on http://{args.host}:{args.port}/", flush=True)
        staff_console().run(host=args.host, port=args.port, access_log=False)
    elif args.verb == "add-account":
        try:
            StaffAccounts(ClinicStore().engine).create(args.username, read_password(args.password_stdin), args.role)
        except AccountError as problem:
            print(f"error: {problem}", file=sys.stderr)
            return 1
        print(f"Created {args.role} account '{args.username.strip().lower()}'.")
    elif args.verb == "has-accounts":
        return 0 if StaffAccounts(ClinicStore().engine).usernames() else 1
    elif args.verb in ACCOUNT_CARE:
        return care_for_account(args)
    elif args.verb == "retention":
        if args.days < 1:
            print("error: --days must be at least 1", file=sys.stderr)
            return 1
        cutoff = datetime.now(timezone.utc) - timedelta(days=args.days)
        tracker = TrackerStoreReader()
        conversations = tracker.delete_older_than(cutoff)
        store = ClinicStore()
        ConversationSummaries(store.engine, tracker).forget_older_than(cutoff)
        requests = store.delete_older_than(cutoff)
        reviews = ConversationReviews(store.engine).delete_older_than(cutoff)
        log_directories = log_retention.log_directories()
        log_lines = log_retention.forget_older_than(cutoff, log_directories)
        print(
            f"Deleted {_many(conversations, 'conversation')} older than {args.days} days "
            f"(last message before {cutoff:%Y-%m-%d %H:%M} UTC), and of the clinic's records last changed "
            f"before then {_many(requests['booking'], 'booking request')}, "
            f"{_many(requests['callback'], 'callback request')}, {_many(requests['alert'], 'safety alert')} "
            f"and {_many(reviews, 'review')} (with their notes)."
        )
        print(
            f"Deleted {_many(log_lines, 'log line')} written before then from the clinic's logs in "
            f"{', '.join(map(str, log_directories))}."
            if log_directories
            else "Found no folder of logs to trim (CLINIC_LOG_DIR)."
        )
        if requests["unsent"]:
            print(
                f"Kept {_many(requests['unsent'], 'request')} whose email or webhook to the clinic is not sent "
                "yet; they go at the next run after it is."
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
