"""Dense embeddings of papers for hybrid search in `ask`

Revision ID: 0012_paper_vectors
Revises: 0011_summary_work_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_paper_vectors"
down_revision = "0011_summary_work_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_vector",
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id"), primary_key=True),
        sa.Column("model", sa.String, nullable=False),
        sa.Column("abstract_hash", sa.String, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("paper_vector")
