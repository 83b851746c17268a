"""runs record the process that runs them, so a run whose process died is closed later

Revision ID: 0010_run_worker
Revises: 0009_fetch_state
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_run_worker"
down_revision = "0009_fetch_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("run", sa.Column("worker", sa.String))
