"""The schema of the first release (requests, outbox, staff console, ended patient sessions).

The first release created its tables without migrations, some only when a
process first needed them; so each table here is created only if missing, and
a database from that release is upgraded in place with nothing lost.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _create(name, *columns, indexes=()):
    if sa.inspect(op.get_bind()).has_table(name):
        return
    op.create_table(name, *columns)
    for column in indexes:
        op.create_index(f"ix_{name}_{column}", name, [column])


def upgrade() -> None:
    _create("clinic_requests",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("reference", sa.String(16), nullable=False, unique=True),
            sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("conversation_id", sa.String(255), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("details", sa.Text, nullable=False),
            sa.Column("assignee", sa.String(255)),
            sa.Column("notes", sa.Text),
            sa.Column("created_at", TZ, nullable=False),
            sa.Column("updated_at", TZ, nullable=False),
            indexes=["conversation_id"])
    _create("clinic_outbox",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("request_id", sa.Integer, sa.ForeignKey("clinic_requests.id"), nullable=False),
            sa.Column("channel", sa.String(16), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("next_attempt_at", TZ, nullable=False),
            sa.Column("last_error", sa.Text),
            sa.Column("sent_at", TZ),
            indexes=["request_id"])
    _create("staff_accounts",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("username", sa.String(64), nullable=False, unique=True),
            sa.Column("password_hash", sa.Text, nullable=False),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("created_at", TZ, nullable=False))
    _create("staff_sessions",
            sa.Column("token_hash", sa.String(64), primary_key=True),
            sa.Column("username", sa.String(64), nullable=False),
            sa.Column("csrf_token", sa.String(64), nullable=False),
            sa.Column("created_at", TZ, nullable=False),
            sa.Column("last_seen_at", TZ, nullable=False),
            indexes=["username"])
    _create("staff_login_failures",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("username", sa.String(64), nullable=False),
            sa.Column("address", sa.String(64), nullable=False),
            sa.Column("at", TZ, nullable=False),
            indexes=["username", "address"])
    _create("staff_audit",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("at", TZ, nullable=False),
            sa.Column("username", sa.String(64), nullable=False),
            sa.Column("action", sa.String(32), nullable=False),
            sa.Column("target", sa.String(255)),
            sa.Column("address", sa.String(64)),
            indexes=["at"])
    _create("conversation_reviews",
            sa.Column("conversation_id", sa.String(255), primary_key=True),
            sa.Column("reviewed", sa.Boolean, nullable=False),
            sa.Column("tags", sa.Text, nullable=False),
            sa.Column("notes", sa.Text, nullable=False),
            sa.Column("updated_by", sa.String(64)),
            sa.Column("updated_at", TZ))
    _create("patient_sessions_ended",
            sa.Column("session_id", sa.String(64), primary_key=True),
            sa.Column("expires_at", TZ, nullable=False))


def downgrade() -> None:
    raise NotImplementedError("the first release's schema is the oldest there is")
