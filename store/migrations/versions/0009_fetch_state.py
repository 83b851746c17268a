"""Fetch state per URL (ETag, Last-Modified, newest entry) and each paper's arXiv version

Revision ID: 0009_fetch_state
Revises: 0008_endpoint_capability
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_fetch_state"
down_revision = "0008_endpoint_capability"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fetch_state",
        sa.Column("url", sa.String, primary_key=True),
        sa.Column("etag", sa.String),
        sa.Column("last_modified", sa.String),
        sa.Column("fetched_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("newest", sa.String),
    )
    # Plain ADD COLUMN: a batch "recreate" would drop the search triggers 0004 put on paper.
    op.add_column("paper", sa.Column("arxiv_version", sa.Integer))


def downgrade() -> None:
    op.drop_column("paper", "arxiv_version")
    op.drop_table("fetch_state")
