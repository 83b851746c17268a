"""eval runs: scores of an engine/model/prompt against a gold set

Revision ID: 0002_eval_runs
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_eval_runs"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eval_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("engine", sa.String, nullable=False),
        sa.Column("model", sa.String),
        sa.Column("prompt_version", sa.String, nullable=False),
        sa.Column("judge_prompt", sa.String),
        sa.Column("gold_set", sa.String, nullable=False),
        sa.Column("papers", sa.Integer, nullable=False),
        sa.Column("scores", sa.JSON, nullable=False),
        sa.Column("per_paper", sa.JSON, nullable=False),
        sa.Column("judge", sa.JSON),
        sa.Column("input_tokens", sa.Integer, nullable=False),
        sa.Column("output_tokens", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Float),
        sa.Column("wall_seconds", sa.Float, nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id")),
    )
