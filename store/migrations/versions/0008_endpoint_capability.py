"""Structured-output mode learned per endpoint and model

Revision ID: 0008_endpoint_capability
Revises: 0007_llm_relevance
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_endpoint_capability"
down_revision = "0007_llm_relevance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "endpoint_capability",
        sa.Column("base_url", sa.String, primary_key=True),
        sa.Column("model", sa.String, primary_key=True),
        sa.Column("structured_output", sa.String, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("learned_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("endpoint_capability")
