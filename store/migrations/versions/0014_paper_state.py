"""each paper's read state in a table (shown summary, review status, failed, LLM rating, claim
strength), kept by the store functions that write summaries, reviews and abstracts

Revision ID: 0014_paper_state
Revises: 0013_one_abstract_copy

- `summary.strength`: the claim strength of a summary's gains (agent/core/units.claim_strength),
  written with the summary, so the digest ranks without reading every paper's gains;
- `paper_state`: one row per paper with what readers see of its current abstract (the rules of
  store/paper_state.py, written here as they are today), indexed for the review queue's filters
  in id order, the status counts and the digest's best-first walk.

Both are filled for the papers already stored.
"""

import sqlalchemy as sa
from alembic import op

from agent.core.units import claim_strength

revision = "0014_paper_state"
down_revision = "0013_one_abstract_copy"
branch_labels = None
depends_on = None

CHUNK = 5_000


def _current(alias: str) -> str:
    return f"{alias}.paper_id = p.id AND {alias}.abstract_hash = p.abstract_hash"


# The state of every paper, by the rules of store/paper_state.py (as of this revision).
BACKFILL = f"""
INSERT INTO paper_state (paper_id, summary_id, engine, has_claims, strength, status, failed,
                         failure_id, rating_id, llm_points)
WITH rules AS MATERIALIZED (
    SELECT p.id AS paper_id,
        (SELECT s.id FROM summary s WHERE {_current("s")} AND s.status = 'ok'
         ORDER BY CASE s.engine WHEN 'human' THEN 0 WHEN 'llm' THEN 1 WHEN 'offline' THEN 2
                  ELSE 9 END, s.id DESC
         LIMIT 1) AS summary_id,
        coalesce((SELECT r.status FROM review r WHERE {_current("r")}
                  ORDER BY r.id DESC LIMIT 1), 'draft') AS status,
        coalesce((SELECT m.status != 'ok' FROM summary m
                  WHERE {_current("m")} AND m.engine != 'human'
                  ORDER BY m.id DESC LIMIT 1), false) AS failed,
        (SELECT f.id FROM summary f WHERE {_current("f")} AND f.status != 'ok'
         ORDER BY f.id DESC LIMIT 1) AS failure_id,
        (SELECT g.id FROM summary g
         WHERE {_current("g")} AND g.status = 'ok' AND g.relevance_score IS NOT NULL
         ORDER BY g.id DESC LIMIT 1) AS rating_id
    FROM paper p
)
SELECT x.paper_id, x.summary_id, s.engine, s.has_claims, coalesce(s.strength, 0.0), x.status,
       x.failed, x.failure_id, x.rating_id, coalesce(r.relevance_score, 0)
FROM rules x
LEFT JOIN summary s ON s.id = x.summary_id
LEFT JOIN summary r ON r.id = x.rating_id
"""


def _backfill_strength(conn: sa.Connection) -> None:
    """Each valid summary's claim strength from its gains, a keyset chunk of summaries at a
    time. The rule is the one the store writes new summaries with (agent/core/units.py)."""
    summary = sa.table("summary", sa.column("id"), sa.column("status"), sa.column("strength"))
    names = ("summary_id", "kind", "value", "value_high", "unit", "baseline", "qualifier")
    gain = sa.table("gain", *(sa.column(n) for n in names))
    after = 0
    while ids := list(
        conn.execute(
            sa.select(summary.c.id)
            .where(summary.c.id > after, summary.c.status == "ok")
            .order_by(summary.c.id)
            .limit(CHUNK)
        ).scalars()
    ):
        gains: dict[int, list[sa.Row[tuple[object, ...]]]] = {i: [] for i in ids}
        for row in conn.execute(sa.select(gain).where(gain.c.summary_id.between(ids[0], ids[-1]))):
            if row.summary_id in gains:
                gains[row.summary_id].append(row)
        conn.execute(
            sa.update(summary)
            .where(summary.c.id == sa.bindparam("sid"))
            .values(strength=sa.bindparam("strength")),
            [{"sid": i, "strength": claim_strength(found)} for i, found in gains.items()],
        )
        after = ids[-1]


def upgrade() -> None:
    # Plain ADD COLUMN: a batch "recreate" would drop the search triggers on this table.
    op.add_column("summary", sa.Column("strength", sa.Float))
    _backfill_strength(op.get_bind())
    op.create_table(
        "paper_state",
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id"), primary_key=True),
        sa.Column("summary_id", sa.Integer, sa.ForeignKey("summary.id")),
        sa.Column("engine", sa.String),
        sa.Column("has_claims", sa.Boolean),
        sa.Column("strength", sa.Float, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("failed", sa.Boolean, nullable=False),
        sa.Column("failure_id", sa.Integer, sa.ForeignKey("summary.id")),
        sa.Column("rating_id", sa.Integer, sa.ForeignKey("summary.id")),
        sa.Column("llm_points", sa.Integer, nullable=False),
    )
    op.execute(BACKFILL)
    # Indexes after the rows: one sort each instead of an insert a row.
    op.create_index("ix_paper_state_status", "paper_state", ["status", "paper_id"])
    op.create_index("ix_paper_state_engine", "paper_state", ["engine", "paper_id"])
    op.create_index("ix_paper_state_failed", "paper_state", ["failed", "paper_id"])
    op.create_index("ix_paper_state_strength", "paper_state", ["strength"])
    op.create_index("ix_paper_state_rated", "paper_state", ["llm_points", "strength"])


def downgrade() -> None:
    op.drop_table("paper_state")
    op.drop_column("summary", "strength")
