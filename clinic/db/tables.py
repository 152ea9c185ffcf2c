"""Every table of the clinic database, in one metadata; the migrations (clinic/db/migrations/)
make them, and tests/test_migrations.py checks the two agree.

Rasa's own tables (conversations: `events`) are Rasa's, in the tracker database.
"""

from sqlalchemy import Boolean, Column, DateTime, Float, ForeignKey, Integer, MetaData, String, Table, Text

metadata = MetaData()

# The inbox: booking and callback requests, safety alerts, and what each owes the clinic (clinic/requests/store.py).
requests_table = Table(
    "clinic_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(16), nullable=False, unique=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("status", String(16), nullable=False, default="new"),
    Column("details", Text, nullable=False),  # JSON: what the patient gave
    Column("assignee", String(255)),
    Column("notes", Text),  # the latest note; all of them, signed and dated, in clinic_request_notes
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

outbox_table = Table(
    "clinic_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("clinic_requests.id"), nullable=False, index=True),
    Column("channel", String(16), nullable=False),  # "email" or "webhook"
    Column("status", String(16), nullable=False, default="pending"),  # pending / sent
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("sent_at", DateTime(timezone=True)),
)


notes_table = Table(
    "clinic_request_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("clinic_requests.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("author", String(64), nullable=False),
    Column("text", Text, nullable=False),
)


# The notification worker's heartbeat (clinic/requests/heartbeats.py).
heartbeats_table = Table(
    "clinic_worker_heartbeats",
    metadata,
    Column("worker", String(64), primary_key=True),
    Column("beat_at", DateTime(timezone=True), nullable=False),
    Column("sent", Integer, nullable=False),  # in the last round
    Column("failed", Integer, nullable=False),
)


# Patient sessions ended with "End chat" (clinic/channel/revocations.py).
revoked_sessions_table = Table(
    "patient_sessions_ended",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)


# The staff console (clinic/staff/).
accounts_table = Table(
    "staff_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("role", String(16), nullable=False),  # staff / trainer / admin
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sessions_table = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # the cookie holds the token, the table its hash
    Column("username", String(64), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)

login_failures_table = Table(
    "staff_login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("address", String(64), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
)

audit_table = Table(
    "staff_audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("username", String(64), nullable=False),
    Column("action", String(32), nullable=False),  # login, login_failed, logout, view_transcript, reveal, export, ...
    Column("target", String(255)),
    Column("address", String(64)),
)

reviews_table = Table(
    "conversation_reviews",
    metadata,
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
    "console_conversations",
    metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("started_at", Float, nullable=False, index=True),
    Column("last_at", Float, nullable=False, index=True),
    Column("flags", String(255), nullable=False),  # ",red_flag,unanswered,": one flag is a LIKE away
    Column("red_flag_tier", String(16)),
    Column("intents", Text, nullable=False),  # ",faq,greet,"
    Column("patient_messages", Integer, nullable=False),
)

message_summaries_table = Table(  # the patient messages the pages count: answered by a topic, or unanswered
    "console_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("at", Float, nullable=False, index=True),
    Column("answer", String(255)),  # the FAQ answer given, e.g. "does_it_hurt"
    Column("question", Text),  # an unanswered message, masked as the Unanswered page shows it
    Column("question_key", String(500)),  # ... and as the ignored list keys it
    Column("reason", String(32)),  # why it went unanswered
)

summary_state_table = Table(
    "console_summary_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("last_event_id", Integer, nullable=False),  # the newest tracker event summarised
)

ignored_table = Table(
    "unanswered_ignored",
    metadata,
    Column("question", String(500), primary_key=True),  # masked, spaces collapsed, lower case
    Column("ignored_by", String(64), nullable=False),
    Column("ignored_at", DateTime(timezone=True), nullable=False),
)
