"""Unanswered questions staff chose to ignore, hidden from the Unanswered page for good.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unanswered_ignored",
        sa.Column("question", sa.String(500), primary_key=True),
        sa.Column("ignored_by", sa.String(64), nullable=False),
        sa.Column("ignored_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("unanswered_ignored")
