"""The staff inbox on the command line (the console's Inbox page does the same in a browser).

python -m clinic.requests.inbox list [--status new] [--kind booking]
python -m clinic.requests.inbox show MC-7K4Q9P
python -m clinic.requests.inbox mark MC-7K4Q9P contacted [--assignee NAME] [--note TEXT]
"""

from __future__ import annotations

import argparse
import getpass
import sys

from clinic.requests.store import KINDS, STATUSES, ClinicRequest, ClinicStore


def one_line(request: ClinicRequest) -> str:
    who = (
        request.details.get("patient_name")
        or request.details.get("contact")
        or (f"safety alert: {request.details['tier']}" if request.kind == "alert" else "-")
    )
    when = request.created_at.strftime("%Y-%m-%d %H:%M")
    return f"{request.reference}  {when}  {request.kind:8}  {request.status:9}  {who}"


def main(argv: list[str] | None = None, store: ClinicStore | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m clinic.requests.inbox", description="Booking and callback requests."
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    listing = verbs.add_parser("list", help="requests, newest first")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--kind", choices=KINDS)
    verbs.add_parser("show", help="one request in full").add_argument("reference")
    mark = verbs.add_parser("mark", help="change a request's status")
    mark.add_argument("reference")
    mark.add_argument("status", choices=STATUSES)
    mark.add_argument("--assignee")
    mark.add_argument("--note")
    args = parser.parse_args(argv)
    store = store or ClinicStore()
    request: ClinicRequest | None  # each listed request, or the one to show or mark

    if args.verb == "list":
        requests = store.requests(status=args.status, kind=args.kind)
        new = sum(1 for r in store.requests(status="new"))
        print(f"{new} new request(s).")
        for request in requests:
            print(one_line(request))
        return 0
    request = store.get(args.reference)
    if request is None:
        print(f"No request {args.reference}.", file=sys.stderr)
        return 1
    if args.verb == "mark":
        request = store.update(
            request.reference,
            status=args.status,
            assignee=args.assignee,
            notes=args.note,
            author=f"shell:{getpass.getuser()}",
        )
    print(one_line(request))
    for key, value in request.details.items():
        print(f"  {key.replace('_', ' ')}: {value}")
    if request.assignee:
        print(f"  assignee: {request.assignee}")
    for note in store.notes([request.reference])[request.reference]:
        print(f"  note, {note.at:%Y-%m-%d %H:%M} UTC, {note.author}: {note.text}")
    print(f"  notifications: {store.outbox_status(request.reference) or 'staff inbox only'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
