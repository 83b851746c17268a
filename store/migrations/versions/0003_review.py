"""review: append-only review actions (approve, correct, reject) on summaries

Revision ID: 0003_review
Revises: 0002_eval_runs
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_review"
down_revision = "0002_eval_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id"), nullable=False, index=True),
        sa.Column("abstract_hash", sa.String, nullable=False),
        sa.Column("summary_id", sa.Integer, sa.ForeignKey("summary.id")),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("reviewer", sa.String, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
        sa.Column("correction_id", sa.Integer, sa.ForeignKey("summary.id")),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
