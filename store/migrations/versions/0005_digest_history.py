"""digest history: where a digest went, its editor's note, and what each entry showed and why

Revision ID: 0005_digest_history
Revises: 0003_review
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_digest_history"
down_revision = "0003_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("digest", sa.Column("sent_to", sa.String))
    op.add_column("digest", sa.Column("note", sa.JSON))
    # batch mode: SQLite adds a column with a foreign key only by rebuilding the table.
    with op.batch_alter_table("digest_entry") as batch:
        batch.add_column(sa.Column("summary_id", sa.Integer))
        batch.add_column(sa.Column("position", sa.Integer))
        batch.add_column(sa.Column("section", sa.String))
        batch.add_column(sa.Column("score", sa.Float))
        batch.add_column(sa.Column("reasons", sa.JSON))
        batch.add_column(sa.Column("review", sa.String))
        batch.create_foreign_key(
            "fk_digest_entry_summary_id_summary", "summary", ["summary_id"], ["id"]
        )
