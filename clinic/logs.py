"""Structured logs: one JSON object per line, from every process of the assistant.

Each line carries the service, the level, the logger, the message and any
`extra=` fields (conversation_id, reference, tier, ...). The conversation a
line belongs to is also taken from the context a request set
(`conversation.set(...)`), so Rasa's own lines during a turn carry it too.
Patient text is only ever logged at DEBUG; production runs at INFO.

deploy/logging.yml holds the configuration (Rasa reads it through
`--logging-config-file`); the clinic's own processes call `configure(service)`.
"""
from __future__ import annotations

import logging
import logging.config
import os
from contextvars import ContextVar
from pathlib import Path

import yaml

CONFIG_FILE = Path(__file__).resolve().parent.parent / "deploy" / "logging.yml"
conversation: ContextVar[str | None] = ContextVar("conversation_id", default=None)


class ConversationContext(logging.Filter):
    """Adds the service and, when a request set one, the conversation id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "conversation_id", None):
            current = conversation.get()
            if current:
                record.conversation_id = current
        record.service = os.environ.get("CLINIC_SERVICE") or "clinic"
        return True


def configure(service: str, level: str | None = None) -> None:
    os.environ.setdefault("CLINIC_SERVICE", service)
    config = yaml.safe_load(CONFIG_FILE.read_text())
    if level or os.environ.get("CLINIC_LOG_LEVEL"):
        config["root"]["level"] = level or os.environ["CLINIC_LOG_LEVEL"]
    logging.config.dictConfig(config)
