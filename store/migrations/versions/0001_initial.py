"""initial schema: papers, revisions, runs, LLM calls, summaries, gains, digests

Revision ID: 0001_initial
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String, nullable=False, unique=True),
        sa.Column("source_id", sa.String, index=True),
        sa.Column("arxiv_id", sa.String, index=True),
        sa.Column("title_key", sa.String, nullable=False, index=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("abstract_hash", sa.String, nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("url", sa.String),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("published", sa.String),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "paperrevision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("abstract_hash", sa.String, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("paper_id", "abstract_hash"),
    )
    op.create_table(
        "run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("command", sa.String, nullable=False),
        sa.Column("engine", sa.String, nullable=False),
        sa.Column("model", sa.String),
        sa.Column("prompt_version", sa.String),
        sa.Column("source", sa.String),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("status", sa.String, nullable=False),
        *(
            sa.Column(name, sa.Integer, nullable=False)
            for name in (
                "papers_new",
                "papers_updated",
                "papers_unchanged",
                "records_invalid",
                "summarized",
                "failed",
                "skipped",
                "llm_calls",
                "input_tokens",
                "output_tokens",
            )
        ),
        sa.Column("cost_usd", sa.Float),
        sa.Column("digest_path", sa.String),
    )
    op.create_table(
        "llm_call",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id"), index=True),
        sa.Column("model", sa.String, nullable=False),
        sa.Column("prompt", sa.String, nullable=False),
        sa.Column("paper_ids", sa.JSON, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("request", sa.Text),
        sa.Column("response", sa.Text),
        sa.Column("finish_reason", sa.String),
        sa.Column("input_tokens", sa.Integer, nullable=False),
        sa.Column("output_tokens", sa.Integer, nullable=False),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "summary",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id"), nullable=False, index=True),
        sa.Column("abstract_hash", sa.String, nullable=False),
        sa.Column("engine", sa.String, nullable=False),
        sa.Column("model", sa.String),
        sa.Column("prompt_version", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("takeaway", sa.Text),
        sa.Column("has_claims", sa.Boolean),
        sa.Column("error", sa.Text),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id")),
        sa.Column("llm_call_id", sa.Integer, sa.ForeignKey("llm_call.id")),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "gain",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "summary_id", sa.Integer, sa.ForeignKey("summary.id"), nullable=False, index=True
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("metric", sa.String, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("value_high", sa.Float),
        sa.Column("unit", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("qualifier", sa.String),
        sa.Column("baseline", sa.Text),
        sa.Column("condition", sa.Text),
        sa.Column("quote", sa.Text, nullable=False),
    )
    op.create_table(
        "digest",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("path", sa.String),
        sa.Column("format", sa.String, nullable=False),
        sa.Column("paper_count", sa.Integer, nullable=False),
    )
    op.create_table(
        "digest_entry",
        sa.Column("digest_id", sa.Integer, sa.ForeignKey("digest.id"), primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id"), primary_key=True),
    )
    op.create_index("ix_summary_lookup", "summary", ["paper_id", "abstract_hash", "status"])
