"""The console's summary of the tracker store, so list pages never read every event.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_conversations",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("last_at", sa.Float, nullable=False),
        sa.Column("flags", sa.String(255), nullable=False),
        sa.Column("red_flag_tier", sa.String(16)),
        sa.Column("intents", sa.Text, nullable=False),
        sa.Column("patient_messages", sa.Integer, nullable=False),
    )
    op.create_index("ix_console_conversations_started_at", "console_conversations", ["started_at"])
    op.create_index("ix_console_conversations_last_at", "console_conversations", ["last_at"])
    op.create_table(
        "console_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("answer", sa.String(255)),
        sa.Column("question", sa.Text),
        sa.Column("question_key", sa.String(500)),
        sa.Column("reason", sa.String(32)),
    )
    op.create_index("ix_console_messages_conversation_id", "console_messages", ["conversation_id"])
    op.create_index("ix_console_messages_at", "console_messages", ["at"])
    op.create_table(
        "console_summary_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_event_id", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("console_summary_state")
    op.drop_table("console_messages")
    op.drop_table("console_conversations")
