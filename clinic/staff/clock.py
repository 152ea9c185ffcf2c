"""Times on the console's pages in the clinic's own time zone (`CLINIC_TIME_ZONE`, an IANA
name such as America/Chicago; UTC until the clinic sets it). Stored times stay UTC, and
date filters are UTC days."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=1)
def clinic_zone() -> ZoneInfo:
    name = (os.environ.get("CLINIC_TIME_ZONE") or "UTC").strip()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SystemExit(f"error: CLINIC_TIME_ZONE={name!r} is not a time zone name (e.g. America/Chicago)")


def local(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """`moment` (UTC; naive means UTC, as SQLite returns it) as the clinic's clock shows it, with the zone."""
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    shown = aware.astimezone(clinic_zone())
    return f"{shown.strftime(pattern)} {shown.tzname()}"
