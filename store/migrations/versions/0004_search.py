"""search: a full-text index over each paper's title, abstract and current takeaway

Revision ID: 0004_search
Revises: 0003_review

SQLite: an FTS5 table `paper_search` (rowid = paper.id) ranked with BM25, and a plain table
`paper_search_current` naming each paper's current summary. PostgreSQL: a table
`paper_search` with a `tsvector` document and a GIN index. On both, triggers on `paper` and
`summary` keep the index in step with the rows, so no code path can forget to update it; the
index also records which summary is current, so gain filters join only the gains readers see.
The "current summary" rule is the one of store/summaries.py::current_summary (a human
correction, then an LLM summary, then the offline engine; newest first; valid, for the current
abstract).
"""

from alembic import op

revision = "0004_search"
down_revision = "0003_review"
branch_labels = None
depends_on = None

# The current summary of the paper with id `{pid}`, as SQL both dialects accept.
CURRENT_SUMMARY = """
    SELECT s2.id FROM summary s2
    WHERE s2.paper_id = p.id AND s2.abstract_hash = p.abstract_hash AND s2.status = 'ok'
    ORDER BY CASE s2.engine WHEN 'human' THEN 0 WHEN 'llm' THEN 1 WHEN 'offline' THEN 2
             ELSE 9 END, s2.id DESC
    LIMIT 1
"""


def _sqlite_refresh(pid: str) -> str:
    return f"""
        DELETE FROM paper_search WHERE rowid = {pid};
        DELETE FROM paper_search_current WHERE paper_id = {pid};
        INSERT INTO paper_search_current (paper_id, summary_id, takeaway)
        SELECT p.id, s.id, s.takeaway
        FROM paper p LEFT JOIN summary s ON s.id = ({CURRENT_SUMMARY})
        WHERE p.id = {pid};
        INSERT INTO paper_search (rowid, title, abstract, takeaway)
        SELECT p.id, p.title, p.abstract, c.takeaway
        FROM paper p JOIN paper_search_current c ON c.paper_id = p.id
        WHERE p.id = {pid};
    """


def _upgrade_sqlite() -> None:
    # Which summary is current, in a plain table: gain filters join it through a B-tree index,
    # which SQLite plans well (joining the FTS5 table itself makes it scan the whole index).
    op.execute(
        "CREATE TABLE paper_search_current ("
        "paper_id INTEGER PRIMARY KEY, summary_id INTEGER, takeaway TEXT)"
    )
    op.execute("CREATE INDEX paper_search_current_summary ON paper_search_current (summary_id)")
    op.execute(
        "CREATE VIRTUAL TABLE paper_search USING fts5("
        "title, abstract, takeaway, tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    op.execute(
        "INSERT INTO paper_search_current (paper_id, summary_id, takeaway) "
        "SELECT p.id, s.id, s.takeaway FROM paper p "
        f"LEFT JOIN summary s ON s.id = ({CURRENT_SUMMARY})"
    )
    op.execute(
        "INSERT INTO paper_search (rowid, title, abstract, takeaway) "
        "SELECT p.id, p.title, p.abstract, c.takeaway "
        "FROM paper p JOIN paper_search_current c ON c.paper_id = p.id"
    )
    triggers = {
        "paper_search_paper_insert": ("AFTER INSERT ON paper", _sqlite_refresh("new.id")),
        "paper_search_paper_update": (
            "AFTER UPDATE OF title, abstract, abstract_hash ON paper",
            _sqlite_refresh("new.id"),
        ),
        "paper_search_paper_delete": (
            "AFTER DELETE ON paper",
            "DELETE FROM paper_search WHERE rowid = old.id; "
            "DELETE FROM paper_search_current WHERE paper_id = old.id;",
        ),
        "paper_search_summary_insert": ("AFTER INSERT ON summary", _sqlite_refresh("new.paper_id")),
        "paper_search_summary_update": ("AFTER UPDATE ON summary", _sqlite_refresh("new.paper_id")),
        "paper_search_summary_delete": ("AFTER DELETE ON summary", _sqlite_refresh("old.paper_id")),
    }
    for name, (when, body) in triggers.items():
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")


def _upgrade_postgresql() -> None:
    op.execute(
        """
        CREATE TABLE paper_search (
            paper_id integer PRIMARY KEY REFERENCES paper (id) ON DELETE CASCADE,
            summary_id integer,
            takeaway text,
            document tsvector NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX paper_search_document_idx ON paper_search USING gin (document)")
    op.execute("CREATE INDEX paper_search_summary_idx ON paper_search (summary_id)")
    # Title and takeaway weigh more than the abstract, as the BM25 weights do on SQLite.
    op.execute(
        f"""
        CREATE FUNCTION paper_search_refresh(pid integer) RETURNS void LANGUAGE sql AS $$
            DELETE FROM paper_search WHERE paper_id = pid;
            INSERT INTO paper_search (paper_id, summary_id, takeaway, document)
            SELECT p.id, s.id, s.takeaway,
                   setweight(to_tsvector('english', p.title), 'A')
                   || setweight(to_tsvector('english', coalesce(s.takeaway, '')), 'B')
                   || setweight(to_tsvector('english', p.abstract), 'C')
            FROM paper p LEFT JOIN summary s ON s.id = ({CURRENT_SUMMARY})
            WHERE p.id = pid;
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION paper_search_on_paper() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM paper_search_refresh(NEW.id); RETURN NULL; END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION paper_search_on_summary() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN PERFORM paper_search_refresh(OLD.paper_id);
            ELSE PERFORM paper_search_refresh(NEW.paper_id); END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER paper_search_paper AFTER INSERT OR UPDATE OF title, abstract, "
        "abstract_hash ON paper FOR EACH ROW EXECUTE FUNCTION paper_search_on_paper()"
    )
    op.execute(
        "CREATE TRIGGER paper_search_summary AFTER INSERT OR UPDATE OR DELETE ON summary "
        "FOR EACH ROW EXECUTE FUNCTION paper_search_on_summary()"
    )
    op.execute("SELECT paper_search_refresh(id) FROM paper")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        # Gain filters ("x above 2", "% at least 30") walk this index, largest values first.
        op.execute("CREATE INDEX paper_search_gain_value ON gain (unit, value)")
    if dialect == "sqlite":
        _upgrade_sqlite()
    elif dialect == "postgresql":
        _upgrade_postgresql()
    # Other databases get no index; store/search.py then says search is unavailable.
