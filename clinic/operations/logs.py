"""Structured logs: one JSON object per line, from every process of the assistant.

Each line carries the service, the level, the logger, the message and any
`extra=` fields (conversation_id, reference, tier, ...). The conversation a
line belongs to is also taken from the context a request set
(`conversation.set(...)`), so Rasa's own lines during a turn carry it too.
Patient text is only ever logged at DEBUG; production runs at INFO, and
`PatientTextWithheld` takes it out of any line at INFO or above that would
carry it anyway (Rasa's structured error lines repeat the patient's message).

deploy/logging.yml holds the configuration (Rasa reads it through
`--logging-config-file`); the clinic's own processes call `configure(service)`.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import re
from contextvars import ContextVar

import yaml

from clinic import PROJECT_ROOT

CONFIG_FILE = PROJECT_ROOT / "deploy" / "logging.yml"
conversation: ContextVar[str | None] = ContextVar("conversation_id", default=None)

WITHHELD = "[patient text withheld]"
# The fields under which Rasa's structured (structlog) lines carry what a patient wrote or what was
# made of it: the keys rasa.utils.log_utils._anonymizer lists, which it only hides with Rasa Pro.
PATIENT_TEXT_FIELDS = frozenset(
    {
        "text",
        "user_text",
        "user_message",
        "json_message",
        "message",
        "response",
        "response_text",
        "token_text",
        "parse_data_text",
        "parse_data_entities",
        "entity",
        "current_entity",
        "next_entity",
        "slot_values",
        "slot_candidates",
        "prefilled_slots",
        "prediction_events",
        "rasa_event",
        "rasa_events",
        "tracker_latest_message",
        "tracker_states",
        "states",
        "current_states",
        "old_states",
        "successes",
    }
)
# The same fields in Rasa's terminal rendering, coloured or not: "rest.message.received.failure text='...'".
CONSOLE_FIELD = re.compile(r"\s(?:\x1b\[[\d;]*m)?(?:%s)(?:\x1b\[[\d;]*m)?=" % "|".join(sorted(PATIENT_TEXT_FIELDS)))
RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class ConversationContext(logging.Filter):
    """Adds the service and, when a request set one, the conversation id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "conversation_id", None):
            current = conversation.get()
            if current:
                record.conversation_id = current
        record.service = os.environ.get("CLINIC_SERVICE") or "clinic"
        return True


class PatientTextWithheld(logging.Filter):
    """Takes patient text out of every record at INFO and above; DEBUG records keep it for a developer."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO:
            return True
        for field in PATIENT_TEXT_FIELDS.intersection(vars(record)) - RECORD_ATTRIBUTES:
            setattr(record, field, WITHHELD)  # an `extra=` field that should never have been given
        if record.name.startswith("rasa") and isinstance(record.msg, str) and not record.args:
            record.msg = withheld_from_rasa_line(record.msg)
        return True


def withheld_from_rasa_line(line: str) -> str:
    """A structlog line of Rasa's (JSON, or its terminal rendering) without the patient's words."""
    try:
        event = json.loads(line) if line.startswith("{") else None
    except ValueError:
        event = None
    if not isinstance(event, dict):
        found = CONSOLE_FIELD.search(line)  # what follows, a traceback included, may quote the patient
        return f"{line[: found.start()]} {WITHHELD}" if found else line
    carried = PATIENT_TEXT_FIELDS.intersection(event)
    for field in carried:
        event[field] = WITHHELD
    for error in event.get("exception") or []:  # structlog's dict tracebacks
        for frame in error.get("frames") or []:
            frame.pop("locals", None)  # the message, the tracker, the SQL parameters as the code held them
        if carried:  # an error about a patient's message may quote it (an INSERT's parameters)
            error["exc_value"] = WITHHELD
    return json.dumps(event)


def configure(service: str, level: str | None = None) -> None:
    os.environ.setdefault("CLINIC_SERVICE", service)
    config = yaml.safe_load(CONFIG_FILE.read_text())
    if level or os.environ.get("CLINIC_LOG_LEVEL"):
        config["root"]["level"] = level or os.environ["CLINIC_LOG_LEVEL"]
    logging.config.dictConfig(config)
