"""LLM relevance rating kept with each summary; joins the parallel branches 0004-0006

Revision ID: 0007_llm_relevance
Revises: 0004_search, 0005_digest_history, 0006_work_queue
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_llm_relevance"
down_revision = ("0004_search", "0005_digest_history", "0006_work_queue")
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite and PostgreSQL both have it): a batch "recreate" would drop the
    # search triggers 0004 put on this table.
    op.add_column("summary", sa.Column("relevance_score", sa.Integer))
    op.add_column("summary", sa.Column("relevance_reason", sa.Text))
