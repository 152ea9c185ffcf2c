"""Times on the console's pages in the clinic's own time zone (`CLINIC_TIME_ZONE`, an IANA
name such as America/Chicago; UTC until the clinic sets it). Stored times stay UTC; a day
(date filters, the front page's "today" and its per-day chart) is the clinic's calendar day."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=1)
def clinic_zone() -> ZoneInfo:
    name = (os.environ.get("CLINIC_TIME_ZONE") or "UTC").strip()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SystemExit(f"error: CLINIC_TIME_ZONE={name!r} is not a time zone name (e.g. America/Chicago)") from None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The clinic's calendar day as a UTC start and end (a day the clocks change has 23 or 25 hours)."""
    start = datetime.combine(day, time.min, tzinfo=clinic_zone())
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=clinic_zone())
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def clinic_today() -> date:
    return datetime.now(clinic_zone()).date()


def clinic_day(moment: datetime) -> date:
    return moment.astimezone(clinic_zone()).date()


def local(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """`moment` (UTC; naive means UTC, as SQLite returns it) as the clinic's clock shows it, with the zone."""
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    shown = aware.astimezone(clinic_zone())
    return f"{shown.strftime(pattern)} {shown.tzname()}"
