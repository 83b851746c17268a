"""vectors for `ask` read in blocks, and a queue of the papers to embed, kept by triggers

Revision ID: 0015_vector_store
Revises: 0014_paper_state

Before, every `ask` listed the papers without a current vector (a join over every paper) and
read every vector row into memory (over a second at 100,000 papers). Now:
- `paper_vector_todo` names each paper whose vector is missing or stale: a trigger adds a paper
  when it is inserted and when its abstract changes, so `ask` and `ingest` find the work with
  one look-up; store/vectors.py removes a paper once its vector matches its current abstract;
- `vector_block` holds the vectors again, 4,096 papers (by id) a row, quantized to int8 with a
  scale a paper: what a process reads into memory to search (one row per block instead of one a
  paper), rebuilt from `paper_vector` in the transaction that changes a vector of its range;
  `revision` tells a process which blocks changed since it read them;
- `paper_vector` keeps the float16 vector a paper, the exact cosine `ask` reports.
Every paper is queued once here: vectors are derived data, and the blocks are built as they are
embedded again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_vector_store"
down_revision = "0014_paper_state"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    # A bulk insert (store/search.deferred_index) queues its id range in one statement, as
    # 0013 indexes it: a trigger a row costs ingest a tenth more.
    "paper_vector_paper_insert": (
        "AFTER INSERT ON paper WHEN NOT EXISTS (SELECT 1 FROM paper_search_deferred)",
        "INSERT OR IGNORE INTO paper_vector_todo (paper_id) VALUES (new.id);",
    ),
    "paper_vector_deferred_done": (
        "AFTER DELETE ON paper_search_deferred",
        "INSERT OR IGNORE INTO paper_vector_todo (paper_id) "
        "SELECT id FROM paper WHERE id BETWEEN old.from_id AND old.to_id;",
    ),
    "paper_vector_paper_update": (
        "AFTER UPDATE OF abstract_hash ON paper WHEN new.abstract_hash IS NOT old.abstract_hash",
        "INSERT OR IGNORE INTO paper_vector_todo (paper_id) VALUES (new.id);",
    ),
    "paper_vector_paper_delete": (
        "AFTER DELETE ON paper",
        "DELETE FROM paper_vector_todo WHERE paper_id = old.id;",
    ),
}


def _upgrade_postgresql() -> None:
    # New papers are queued once a statement (a transition table), as 0013 indexes them.
    op.execute(
        """
        CREATE FUNCTION paper_vector_queue_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO paper_vector_todo (paper_id) SELECT id FROM inserted
            ON CONFLICT DO NOTHING;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER paper_vector_paper_insert AFTER INSERT ON paper "
        "REFERENCING NEW TABLE AS inserted "
        "FOR EACH STATEMENT EXECUTE FUNCTION paper_vector_queue_inserted()"
    )
    op.execute(
        """
        CREATE FUNCTION paper_vector_queue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO paper_vector_todo (paper_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER paper_vector_paper_update AFTER UPDATE OF abstract_hash ON paper "
        "FOR EACH ROW WHEN (NEW.abstract_hash IS DISTINCT FROM OLD.abstract_hash) "
        "EXECUTE FUNCTION paper_vector_queue_changed()"
    )


def upgrade() -> None:
    # A queued paper that is deleted leaves the queue with it (the FK on PostgreSQL, a trigger
    # on SQLite, whose foreign keys a raw connection may leave off).
    op.create_table(
        "paper_vector_todo",
        sa.Column(
            "paper_id",
            sa.Integer,
            sa.ForeignKey("paper.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
    )
    op.create_table(
        "vector_block",
        sa.Column("model", sa.String, primary_key=True),
        sa.Column("block", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("ids", sa.LargeBinary, nullable=False),
        sa.Column("vectors", sa.LargeBinary, nullable=False),
        sa.Column("scales", sa.LargeBinary, nullable=False),
    )
    op.execute("INSERT INTO paper_vector_todo (paper_id) SELECT id FROM paper")
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name, (when, body) in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")
    elif dialect == "postgresql":
        _upgrade_postgresql()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS paper_vector_paper_insert ON paper")
        op.execute("DROP TRIGGER IF EXISTS paper_vector_paper_update ON paper")
        op.execute("DROP FUNCTION IF EXISTS paper_vector_queue_inserted()")
        op.execute("DROP FUNCTION IF EXISTS paper_vector_queue_changed()")
    op.drop_table("vector_block")
    op.drop_table("paper_vector_todo")
