"""summary lookup index covers the engine, prompt and model, so the work queue's "is this paper
done?" probe reads the index alone

Revision ID: 0011_summary_work_index
Revises: 0010_run_worker
"""

from alembic import op

revision = "0011_summary_work_index"
down_revision = "0010_run_worker"
branch_labels = None
depends_on = None

OLD = ["paper_id", "abstract_hash", "status"]
NEW = [*OLD, "engine", "prompt_version", "model"]


def upgrade() -> None:
    # Dropping and creating an index leaves the table (and the search triggers 0004 put on it)
    # alone on both SQLite and PostgreSQL.
    op.drop_index("ix_summary_lookup", table_name="summary")
    op.create_index("ix_summary_lookup", "summary", NEW)


def downgrade() -> None:
    op.drop_index("ix_summary_lookup", table_name="summary")
    op.create_index("ix_summary_lookup", "summary", OLD)
