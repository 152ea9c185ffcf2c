"""Settings of the patient channel: credentials.yml first, environment on top.

| credentials.yml key | environment variable          | default        |
|---------------------|-------------------------------|----------------|
| (secret only)       | CLINIC_CHANNEL_SECRET         | required       |
| allowed_origins     | CLINIC_WIDGET_ORIGINS (comma) | none           |
| max_message_length  | CLINIC_WEB_MAX_MESSAGE_LENGTH | 500            |
| session_days        | CLINIC_WEB_SESSION_DAYS       | 1              |
| limit_per_session   | CLINIC_WEB_LIMIT_PER_SESSION  | 20/minute      |
| limit_per_ip        | CLINIC_WEB_LIMIT_PER_IP       | 60/minute      |
| limits_storage      | CLINIC_WEB_LIMITS_STORAGE     | memory         |
| commands            | (none)                        | ["/greet"]     |

`commands` are the "/intent" messages a patient's browser may always send (the
widget's hidden greeting); any other "/..." is passed on only as a quick reply
the assistant just offered (patient_text.py).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from clinic.channel.rate_limits import RateLimit

ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$")


@dataclass(frozen=True)
class ChannelSettings:
    secret: str
    allowed_origins: frozenset[str]
    max_message_length: int
    session_days: int
    limit_per_session: RateLimit
    limit_per_ip: RateLimit
    limits_storage: str | None
    commands: frozenset[str]

    @classmethod
    def load(cls, credentials: dict | None, environ=None) -> "ChannelSettings":
        environ = os.environ if environ is None else environ
        credentials = credentials or {}

        def setting(key: str, variable: str, default):
            return environ.get(variable) or credentials.get(key) or default

        origins = setting("allowed_origins", "CLINIC_WIDGET_ORIGINS", [])
        if isinstance(origins, str):
            origins = [o.strip() for o in origins.split(",") if o.strip()]
        for origin in origins:
            if not ORIGIN.match(origin):  # never "*", never a path: browsers compare exact origins
                raise ValueError(f"allowed origin '{origin}' must look like https://www.example-clinic.com")
        return cls(
            secret=environ.get("CLINIC_CHANNEL_SECRET", ""),
            allowed_origins=frozenset(origins),
            max_message_length=int(setting("max_message_length", "CLINIC_WEB_MAX_MESSAGE_LENGTH", 500)),
            session_days=int(setting("session_days", "CLINIC_WEB_SESSION_DAYS", 1)),
            limit_per_session=RateLimit.parse(
                setting("limit_per_session", "CLINIC_WEB_LIMIT_PER_SESSION", "20/minute")
            ),
            limit_per_ip=RateLimit.parse(setting("limit_per_ip", "CLINIC_WEB_LIMIT_PER_IP", "60/minute")),
            limits_storage=setting("limits_storage", "CLINIC_WEB_LIMITS_STORAGE", None),
            commands=frozenset(credentials.get("commands") or ["/greet"]),
        )
