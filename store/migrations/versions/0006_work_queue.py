"""work queue: leases that let several workers share the summarize work without overlap

Revision ID: 0006_work_queue
Revises: 0003_review
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_work_queue"
down_revision = "0003_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_lease",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id"), nullable=False, index=True),
        sa.Column("task", sa.String, nullable=False),
        sa.Column("abstract_hash", sa.String, nullable=False),
        sa.Column("worker", sa.String, nullable=False),
        sa.Column("claimed_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("paper_id", "task"),
    )
    op.create_table(
        "llm_batch",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("remote_id", sa.String, nullable=True, index=True),
        sa.Column("task", sa.String, nullable=False),
        sa.Column("model", sa.String, nullable=False),
        sa.Column("prompt", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("input_file_id", sa.String, nullable=True),
        sa.Column("output_file_id", sa.String, nullable=True),
        sa.Column("error_file_id", sa.String, nullable=True),
        sa.Column("requests", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
    )
