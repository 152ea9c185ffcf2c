"""The inbox as a receptionist's work queue: which requests, found how, in what order.

Filters travel in the page's address (so a saved request brings the
receptionist back to the same list) and are read only from known values: a
forged address shows the whole inbox, never an error or another page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from clinic.requests.store import KINDS, STATUSES, ClinicRequest

WHO = {"": "anyone", "mine": "mine", "unassigned": "nobody yet"}
SORTS = {"newest": "newest first", "waiting": "waiting longest first"}
PHONE_DIGITS = 4  # a search with this many digits or more also looks for a phone number


@dataclass(frozen=True)
class InboxFilter:
    status: str = ""
    kind: str = ""
    who: str = ""
    search: str = ""
    sort: str = "newest"

    @classmethod
    def from_args(cls, args) -> "InboxFilter":
        def one(name: str, allowed) -> str:
            value = (args.get(name) or "").strip()
            return value if value in allowed else ""

        return cls(
            status=one("status", STATUSES),
            kind=one("kind", KINDS),
            who=one("who", WHO),
            search=(args.get("q") or "").strip()[:100],
            sort=one("sort", SORTS) or "newest",
        )

    @classmethod
    def from_query(cls, query: str) -> "InboxFilter":
        return cls.from_args({key: values[0] for key, values in parse_qs(query.lstrip("?")).items()})

    def query(self) -> str:
        """The filters as an address's query string (without "?")."""
        pairs = {
            "status": self.status,
            "kind": self.kind,
            "who": self.who,
            "q": self.search,
            "sort": "" if self.sort == "newest" else self.sort,
        }
        return urlencode({key: value for key, value in pairs.items() if value})

    def apply(self, requests: list[ClinicRequest], me: str) -> list[ClinicRequest]:
        """`requests` newest first, as the store gives them."""
        kept = [
            r
            for r in requests
            if (not self.status or r.status == self.status)
            and (not self.kind or r.kind == self.kind)
            and (self.who != "mine" or r.assignee == me)
            and (self.who != "unassigned" or not r.assignee)
            and (not self.search or matches(r, self.search))
        ]
        return kept[::-1] if self.sort == "waiting" else kept


def matches(request: ClinicRequest, search: str) -> bool:
    """A reference, a name or an email (any part, any case), or a phone number (its digits, however written)."""
    wanted = search.lower()
    if wanted in request.reference.lower():
        return True
    values = [str(value) for value in request.details.values() if value]
    if any(wanted in value.lower() for value in values):
        return True
    digits = re.sub(r"\D", "", search)
    return len(digits) >= PHONE_DIGITS and any(digits in re.sub(r"\D", "", value) for value in values)


def contact_link(contact: str) -> str | None:
    """tel: or mailto: for a revealed contact, so a receptionist calls or writes with one click."""
    contact = (contact or "").strip()
    if "@" in contact:
        return f"mailto:{contact}"
    digits = re.sub(r"[^\d+]", "", contact)
    return f"tel:{digits}" if len(re.sub(r"\D", "", digits)) >= 7 else None


def changes_said(before: ClinicRequest, after: ClinicRequest, noted: bool) -> str:
    """What an inbox save changed, for the audit log: "status new→contacted; assignee →sam; a note"."""
    said = []
    if before.status != after.status:
        said.append(f"status {before.status}→{after.status}")
    if (before.assignee or "") != (after.assignee or ""):
        said.append(f"assignee {before.assignee or 'nobody'}→{after.assignee or 'nobody'}")
    if noted:
        said.append("a note")
    return "; ".join(said) or "nothing changed"
