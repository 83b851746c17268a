"""one stored copy of each abstract: revisions refer to the paper's current one, and the SQLite
search index reads its text from the paper table (external content)

Revision ID: 0013_one_abstract_copy
Revises: 0012_paper_vectors

Before, every abstract was stored three times: in `paper`, in its `paperrevision` row and in
the FTS5 table's own content. Now:
- a revision's `abstract` is NULL while it is its paper's current abstract (the text is
  `paper.abstract`); it keeps its own text once a newer abstract replaces it;
- SQLite: `paper_search` is an external-content FTS5 table over the view
  `paper_search_source` (paper joined with paper_search_current): it keeps only the index. The
  triggers tell it the old values of a row they remove ('delete' command), as FTS5 requires;
- SQLite: a bulk insert of papers is indexed by one statement, not by a trigger a row (FTS5
  flushes its pending index at the savepoint of every trigger statement; measured, a trigger a
  row costs about four times as much). The inserting transaction first puts a row
  (from_id, to_id) in `paper_search_deferred`: while it is there the insert trigger does
  nothing, and deleting it indexes the papers of that id range. Any other insert (no such row)
  is indexed as before; the row never outlives its transaction (store/search.deferred_index);
- PostgreSQL (whose index never held a copy): new papers are indexed by one statement-level
  trigger per INSERT or COPY (a transition table), not a function call per row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_one_abstract_copy"
down_revision = "0012_paper_vectors"
branch_labels = None
depends_on = None

TOKENIZE = "porter unicode61 remove_diacritics 2"


def current_summary(pid: str, abstract_hash: str) -> str:
    """The current summary of paper `pid` (the rule of 0004_search), as SQL both dialects take."""
    return f"""
        SELECT s2.id FROM summary s2
        WHERE s2.paper_id = {pid} AND s2.abstract_hash = {abstract_hash} AND s2.status = 'ok'
        ORDER BY CASE s2.engine WHEN 'human' THEN 0 WHEN 'llm' THEN 1 WHEN 'offline' THEN 2
                 ELSE 9 END, s2.id DESC
        LIMIT 1
    """


def _sqlite_unindex(pid: str, title: str, abstract: str) -> str:
    # An external-content index forgets a row only when told the values it indexed: the paper's
    # title and abstract as they were, and the takeaway paper_search_current still holds.
    return f"""
        INSERT INTO paper_search (paper_search, rowid, title, abstract, takeaway)
        SELECT 'delete', c.paper_id, {title}, {abstract}, c.takeaway
        FROM paper_search_current c WHERE c.paper_id = {pid};
    """


def _sqlite_index(pid: str) -> str:
    return f"""
        INSERT OR REPLACE INTO paper_search_current (paper_id, summary_id, takeaway)
        SELECT p.id, s.id, s.takeaway
        FROM paper p LEFT JOIN summary s ON s.id = ({current_summary("p.id", "p.abstract_hash")})
        WHERE p.id = {pid};
        INSERT INTO paper_search (rowid, title, abstract, takeaway)
        SELECT p.id, p.title, p.abstract, c.takeaway
        FROM paper p JOIN paper_search_current c ON c.paper_id = p.id
        WHERE p.id = {pid};
    """


def _sqlite_refresh(pid: str) -> str:
    """A paper's index row again (its summary changed): its title and abstract are as indexed."""
    return f"""
        INSERT INTO paper_search (paper_search, rowid, title, abstract, takeaway)
        SELECT 'delete', p.id, p.title, p.abstract, c.takeaway
        FROM paper p JOIN paper_search_current c ON c.paper_id = p.id WHERE p.id = {pid};
        {_sqlite_index(pid)}
    """


def _sqlite_index_range(first: str, last: str) -> str:
    return f"""
        INSERT OR REPLACE INTO paper_search_current (paper_id, summary_id, takeaway)
        SELECT p.id, s.id, s.takeaway
        FROM paper p LEFT JOIN summary s ON s.id = ({current_summary("p.id", "p.abstract_hash")})
        WHERE p.id BETWEEN {first} AND {last};
        INSERT INTO paper_search (rowid, title, abstract, takeaway)
        SELECT p.id, p.title, p.abstract, c.takeaway
        FROM paper p JOIN paper_search_current c ON c.paper_id = p.id
        WHERE p.id BETWEEN {first} AND {last};
    """


SQLITE_TRIGGERS = {
    "paper_search_paper_insert": (
        "AFTER INSERT ON paper WHEN NOT EXISTS (SELECT 1 FROM paper_search_deferred)",
        _sqlite_index("new.id"),
    ),
    "paper_search_deferred_done": (
        "AFTER DELETE ON paper_search_deferred",
        _sqlite_index_range("old.from_id", "old.to_id"),
    ),
    "paper_search_paper_update": (
        "AFTER UPDATE OF title, abstract, abstract_hash ON paper",
        _sqlite_unindex("old.id", "old.title", "old.abstract") + _sqlite_index("new.id"),
    ),
    "paper_search_paper_delete": (
        "AFTER DELETE ON paper",
        _sqlite_unindex("old.id", "old.title", "old.abstract")
        + "DELETE FROM paper_search_current WHERE paper_id = old.id;",
    ),
    "paper_search_summary_insert": ("AFTER INSERT ON summary", _sqlite_refresh("new.paper_id")),
    "paper_search_summary_update": ("AFTER UPDATE ON summary", _sqlite_refresh("new.paper_id")),
    "paper_search_summary_delete": ("AFTER DELETE ON summary", _sqlite_refresh("old.paper_id")),
}


def _upgrade_sqlite() -> None:
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE paper_search")
    op.execute(
        "CREATE VIEW paper_search_source AS "
        "SELECT p.id AS id, p.title AS title, p.abstract AS abstract, c.takeaway AS takeaway "
        "FROM paper p JOIN paper_search_current c ON c.paper_id = p.id"
    )
    op.execute(
        "CREATE VIRTUAL TABLE paper_search USING fts5(title, abstract, takeaway, "
        f"content='paper_search_source', content_rowid='id', tokenize='{TOKENIZE}')"
    )
    op.execute("INSERT INTO paper_search (paper_search) VALUES ('rebuild')")
    op.execute(
        "CREATE TABLE paper_search_deferred (from_id INTEGER NOT NULL, to_id INTEGER NOT NULL)"
    )
    for name, (when, body) in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")


def _upgrade_postgresql() -> None:
    op.execute("DROP TRIGGER paper_search_paper ON paper")
    # Title and takeaway weigh more than the abstract, as in paper_search_refresh (0004).
    op.execute(
        f"""
        CREATE FUNCTION paper_search_on_paper_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO paper_search (paper_id, summary_id, takeaway, document)
            SELECT p.id, s.id, s.takeaway,
                   setweight(to_tsvector('english', p.title), 'A')
                   || setweight(to_tsvector('english', coalesce(s.takeaway, '')), 'B')
                   || setweight(to_tsvector('english', p.abstract), 'C')
            FROM inserted p
            LEFT JOIN summary s ON s.id = ({current_summary("p.id", "p.abstract_hash")});
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER paper_search_paper_insert AFTER INSERT ON paper "
        "REFERENCING NEW TABLE AS inserted "
        "FOR EACH STATEMENT EXECUTE FUNCTION paper_search_on_paper_insert()"
    )
    op.execute(
        "CREATE TRIGGER paper_search_paper_update AFTER UPDATE OF title, abstract, "
        "abstract_hash ON paper FOR EACH ROW EXECUTE FUNCTION paper_search_on_paper()"
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # No triggers on paperrevision, so SQLite's batch "recreate" of it loses nothing.
    with op.batch_alter_table("paperrevision") as batch:
        batch.alter_column("abstract", existing_type=sa.Text, nullable=True)
    op.execute(
        "UPDATE paperrevision SET abstract = NULL WHERE EXISTS (SELECT 1 FROM paper p "
        "WHERE p.id = paperrevision.paper_id AND p.abstract_hash = paperrevision.abstract_hash)"
    )
    if dialect == "sqlite":
        _upgrade_sqlite()
    elif dialect == "postgresql":
        _upgrade_postgresql()
