"""Notes on a request become a signed, timestamped history (one row per note).

A note the first release kept (one text per request, overwritten on each save)
becomes the first entry of its request's history, dated when the request last
changed.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

EARLIER_AUTHOR = "(earlier note)"


def upgrade() -> None:
    notes = op.create_table(
        "clinic_request_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("clinic_requests.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_clinic_request_notes_request_id", "clinic_request_notes", ["request_id"])
    requests = sa.table("clinic_requests", sa.column("id", sa.Integer), sa.column("notes", sa.Text),
                        sa.column("updated_at", sa.DateTime(timezone=True)))
    bind = op.get_bind()
    earlier = bind.execute(sa.select(requests.c.id, requests.c.notes, requests.c.updated_at)
                           .where(requests.c.notes.is_not(None), requests.c.notes != "")).all()
    if earlier:
        op.bulk_insert(notes, [{"request_id": row.id, "at": row.updated_at, "author": EARLIER_AUTHOR,
                                "text": row.notes} for row in earlier])


def downgrade() -> None:
    op.drop_index("ix_clinic_request_notes_request_id", "clinic_request_notes")
    op.drop_table("clinic_request_notes")
