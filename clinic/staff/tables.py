"""The staff console's own tables, in the clinic database (CLINIC_DB_URL)."""
from sqlalchemy import Boolean, Column, DateTime, Float, Integer, String, Text, Table

from clinic.store import metadata

accounts_table = Table(
    "staff_accounts", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("role", String(16), nullable=False),  # staff / trainer / admin
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sessions_table = Table(
    "staff_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),  # the cookie holds the token, the table its hash
    Column("username", String(64), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)

login_failures_table = Table(
    "staff_login_failures", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("address", String(64), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
)

audit_table = Table(
    "staff_audit", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("username", String(64), nullable=False),
    Column("action", String(32), nullable=False),  # login, login_failed, logout, view_transcript, reveal, export, ...
    Column("target", String(255)),
    Column("address", String(64)),
)

reviews_table = Table(
    "conversation_reviews", metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("reviewed", Boolean, nullable=False, default=False),
    Column("tags", Text, nullable=False, default=""),  # comma-separated
    Column("notes", Text, nullable=False, default=""),
    Column("updated_by", String(64)),
    Column("updated_at", DateTime(timezone=True)),
)

# The list pages' summary of the tracker store (clinic.staff.summaries): derived from Rasa's
# events, so it can always be rebuilt; times are Rasa's (seconds since 1970, UTC).
conversation_summaries_table = Table(
    "console_conversations", metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("started_at", Float, nullable=False, index=True),
    Column("last_at", Float, nullable=False, index=True),
    Column("flags", String(255), nullable=False),  # ",red_flag,unanswered,": one flag is a LIKE away
    Column("red_flag_tier", String(16)),
    Column("intents", Text, nullable=False),  # ",faq,greet,"
    Column("patient_messages", Integer, nullable=False),
)

message_summaries_table = Table(  # the patient messages the pages count: answered by a topic, or unanswered
    "console_messages", metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("at", Float, nullable=False, index=True),
    Column("answer", String(255)),  # the FAQ answer given, e.g. "does_it_hurt"
    Column("question", Text),  # an unanswered message, masked as the Unanswered page shows it
    Column("question_key", String(500)),  # ... and as the ignored list keys it
    Column("reason", String(32)),  # why it went unanswered
)

summary_state_table = Table(
    "console_summary_state", metadata,
    Column("name", String(32), primary_key=True),
    Column("last_event_id", Integer, nullable=False),  # the newest tracker event summarised
)
