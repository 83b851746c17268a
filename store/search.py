"""Searching the store: BM25 full-text search over papers, and filters over their claimed gains.

The index (`paper_search`, migration 0004_search) covers each paper's title, abstract and
current takeaway and is kept in sync by triggers. On SQLite it is an FTS5 table ranked with
BM25; on PostgreSQL a `tsvector` column with a GIN index ranked with `ts_rank_cd`. Callers see
one interface whatever the dialect.

User text never reaches the query language as syntax: it is cut into words and each word is
quoted, so input such as `2.2x-over`, `"` or `NEAR(` is searched for, not parsed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, text

from agent.core.errors import StoreError
from agent.core.units import SECONDS, format_number, normalize_unit

INDEX_TABLE = "paper_search"


def words(text: str) -> frozenset[str]:
    """The set of space-separated words in `text` (word lists read better as one string)."""
    return frozenset(text.split())


# Words too common to say anything about a paper; a search for them alone matches nothing.
STOPWORDS = words(
    "a an and are as at be by can do does for from has have how in into is it its of on or "
    "that the their them these this those to was were what which who with"
)
# SQLite BM25 column weights: title, abstract, takeaway.
BM25_WEIGHTS = "3.0, 1.0, 2.0"
# A word more than half the papers contain has (next to) no weight in BM25 (FTS5 clamps its
# IDF to ~0), yet ranking every paper that has it is most of a query's cost: such words are
# left out of the match when rarer ones remain. Ranking costs about a microsecond a paper that
# has a word, so the most common remaining words are also dropped while the papers to rank
# exceed this budget, and a word over it on its own is not matched at all (BM25 then ranks
# nothing, and the dense half of `ask` answers alone): latency stays bounded at a million papers
# at some cost in recall on common words. Under 20,000 papers it never drops a rarest word.
POSTINGS_BUDGET = 10_000


@contextmanager
def deferred_index(conn: Connection, first_id: int, last_id: int) -> Iterator[None]:
    """Papers with ids first_id..last_id inserted inside are indexed in one statement at the end.

    SQLite (migration 0013): the row in paper_search_deferred turns the per-row insert trigger
    off, and deleting it indexes the range. The row is written and deleted in the caller's
    transaction, so no other connection ever sees it; an error rolls both back. On PostgreSQL
    the insert trigger already runs once a statement: nothing to do.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.execute(
        text("INSERT INTO paper_search_deferred (from_id, to_id) VALUES (:first, :last)"),
        {"first": first_id, "last": last_id},
    )
    yield
    conn.execute(text("DELETE FROM paper_search_deferred"))


def current_table(dialect: str) -> str:
    """The table naming each paper's current summary: (paper_id, summary_id, takeaway)."""
    return "paper_search_current" if dialect == "sqlite" else "paper_search"


def is_search_index(name: str | None) -> bool:
    """Whether a table belongs to the search index rather than to store/tables.py.

    The FTS5 table and its shadow tables (SQLite) or the tsvector table (PostgreSQL) are built
    by migration 0004_search and have no SQLModel class; schema comparisons skip them.
    """
    return name is not None and (name == INDEX_TABLE or name.startswith(INDEX_TABLE + "_"))


def include_in_schema_comparison(name: str | None, type_: str, _parents: Any) -> bool:
    """An alembic `include_name` hook that leaves the search index out of comparisons."""
    return not (type_ in ("table", "index") and is_search_index(name))


def query_terms(user_text: str) -> list[str]:
    """The distinct words of `user_text`, lower-cased, without stopwords, in order."""
    seen: dict[str, None] = {}
    for word in re.findall(r"\w+", user_text.lower()):
        if word not in STOPWORDS and word not in seen:
            seen[word] = None
    return list(seen)


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: any of the terms, each quoted as a string."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


@dataclass(frozen=True)
class GainFilter:
    """Which claimed gains count. Every condition given must hold; None means any."""

    metric_words: tuple[str, ...] = ()  # the metric contains any of these (case-insensitive)
    unit: str | None = None
    greater_than: float | None = None  # the stated value (low end of a range) is above
    at_least: float | None = None
    less_than: float | None = None
    at_most: float | None = None
    kind: str | None = None  # "improvement" or "cost"
    baseline: str | None = None  # the baseline contains this text
    # Lower bounds on the high end of a range: "8.2-87.7x" then counts as more than 20x.
    range_high: bool = False

    @property
    def is_empty(self) -> bool:
        return self == GainFilter()


@dataclass(frozen=True)
class GainMatch:
    """One claimed gain of a paper's current summary."""

    paper_id: int
    public_id: str
    metric: str
    value: float
    value_high: float | None
    unit: str
    kind: str
    qualifier: str | None
    baseline: str | None
    condition: str | None
    quote: str

    def describe(self) -> str:
        """`2.2x prefill speedup (average, vs existing offloading solutions)`."""
        number = format_number(self.value, self.value_high)
        unit = self.unit if self.unit in ("x", "%") else f" {self.unit}"
        extras = [e for e in (self.qualifier, self.kind if self.kind == "cost" else None) if e]
        if self.baseline:
            extras.append(f"vs {self.baseline}")
        if self.condition:
            extras.append(self.condition)
        tail = f" ({', '.join(extras)})" if extras else ""
        # A score whose unit is its name ("0.99 Recall", metric "Recall") says it once.
        metric = "" if self.metric.strip().lower() == self.unit.strip().lower() else self.metric
        return f"{number}{unit} {metric}".rstrip() + tail


@dataclass
class SearchHit:
    """A paper that matched, best first; `score` is higher for better matches."""

    paper_id: int
    public_id: str
    title: str
    takeaway: str | None
    score: float
    gains: list[GainMatch] = field(default_factory=list)


@dataclass(frozen=True)
class PaperDetail:
    paper_id: int
    public_id: str
    title: str
    abstract: str
    takeaway: str | None
    gains: list[GainMatch]


def _dialect(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise StoreError(f"search needs SQLite or PostgreSQL, not {name}")
    return name


def _gain_conditions(
    flt: GainFilter, params: dict[str, Any], *, use_value_index: bool = True
) -> list[str]:
    """SQL conditions on the `gain` row `g` for a filter; values go into `params`.

    Without `use_value_index` the unit test is written `+g.unit` (SQLite only), so that a query
    that already knows its few papers looks their gains up by paper instead of walking the
    (unit, value) index over every paper.
    """
    conds: list[str] = []
    unit_col = "g.unit" if use_value_index else "+g.unit"
    unit = normalize_unit(flt.unit) if flt.unit else None
    value, high = "g.value", "COALESCE(g.value_high, g.value)"
    if unit in SECONDS:
        # A time in any time unit, compared in the filter's.
        names = list(SECONDS)
        params |= {f"tu{i}": u for i, u in enumerate(names)}
        params |= {f"ts{i}": SECONDS[u] / SECONDS[unit] for i, u in enumerate(names)}
        whens = " ".join(f"WHEN :tu{i} THEN :ts{i}" for i in range(len(names)))
        scale = f"(CASE g.unit {whens} END)"
        value, high = f"{value} * {scale}", f"{high} * {scale}"
        conds.append(f"{unit_col} IN ({', '.join(f':tu{i}' for i in range(len(names)))})")
        unit = None
    # Compared on the stated value (the low end of a range: "1.1-2.1x" is not "more than 2x"),
    # or, with `range_high`, lower bounds on the high end ("up to 87.7x" is more than 20x).
    low = high if flt.range_high else value
    for name, sql, bound in (
        ("gt", f"{low} > :gt", flt.greater_than),
        ("ge", f"{low} >= :ge", flt.at_least),
        ("lt", f"{value} < :lt", flt.less_than),
        ("le", f"{value} <= :le", flt.at_most),
        ("unit", f"{unit_col} = :unit", unit),
        ("kind", "g.kind = :kind", flt.kind),
        ("baseline", "lower(g.baseline) LIKE :baseline", _like(flt.baseline)),
    ):
        if bound is not None:
            conds.append(sql)
            params[name] = bound
    if flt.metric_words:
        words = []
        for i, word in enumerate(flt.metric_words):
            params[f"mw{i}"] = _like(word)
            words.append(f"lower(g.metric) LIKE :mw{i}")
        conds.append("(" + " OR ".join(words) + ")")
    return conds


def _like(fragment: str | None) -> str | None:
    if fragment is None:
        return None
    return "%" + fragment.lower().replace("%", "").replace("_", "") + "%"


def _current_gains_sql(dialect: str, conds: list[str]) -> str:
    """Gains of current summaries only, each with its paper_id."""
    where = " AND ".join(conds) if conds else "1 = 1"
    return (
        "SELECT c.paper_id AS paper_id, g.* FROM gain g "
        f"JOIN {current_table(dialect)} c ON c.summary_id = g.summary_id WHERE {where}"
    )


def filter_gains(
    engine: Engine,
    flt: GainFilter,
    *,
    paper_ids: list[int] | None = None,
    limit: int = 200,
    largest_first: bool = False,
) -> list[GainMatch]:
    """Claimed gains of current summaries that pass `flt`, by paper (or largest value first)."""
    dialect = _dialect(engine)
    params: dict[str, Any] = {"limit": limit}
    by_paper = paper_ids is not None and dialect == "sqlite"
    conds = _gain_conditions(flt, params, use_value_index=not by_paper)
    if paper_ids is not None:
        if not paper_ids:
            return []
        conds.append(f"c.paper_id IN ({', '.join(str(int(p)) for p in paper_ids)})")
    order = "m.value DESC, m.paper_id" if largest_first else "m.paper_id, m.position"
    sql = (
        "SELECT m.*, COALESCE(p.source_id, p.key) AS public_id "
        f"FROM ({_current_gains_sql(dialect, conds)}) m JOIN paper p ON p.id = m.paper_id "
        f"ORDER BY {order} LIMIT :limit"
    )
    with engine.connect() as conn:
        rows = conn.execute(text(sql), params).mappings().all()
    return [_gain(row) for row in rows]


def _gain(row: Any) -> GainMatch:
    return GainMatch(
        paper_id=row["paper_id"],
        public_id=row["public_id"],
        metric=row["metric"],
        value=row["value"],
        value_high=row["value_high"],
        unit=row["unit"],
        kind=row["kind"],
        qualifier=row["qualifier"],
        baseline=row["baseline"],
        condition=row["condition"],
        quote=row["quote"],
    )


def search_papers(
    engine: Engine,
    user_text: str,
    *,
    limit: int = 10,
    gains: GainFilter | None = None,
    with_gains: bool = True,
    doc_freq: DocFreq | None = None,
) -> list[SearchHit]:
    """Papers matching any word of `user_text`, best BM25 match first.

    With `gains`, only papers whose current summary has a gain passing the filter; each hit then
    carries those gains (else all its gains when `with_gains`). Empty text with a gain filter
    lists the papers with matching gains, in store order.
    """
    dialect = _dialect(engine)
    terms = query_terms(user_text)
    flt = gains if gains is not None and not gains.is_empty else None
    if not terms and flt is None:
        return []
    freq = None
    if terms:
        freq = doc_freq or document_frequencies(engine, terms, cap=POSTINGS_BUDGET)
        terms = ranking_terms(terms, freq)
        if not terms and flt is None:
            return []  # every word is too common to rank by
    params: dict[str, Any] = {"limit": limit}
    current = current_table(dialect)
    if flt is None:
        hits_sql = _hits_sql(dialect, terms, "", params)
    else:
        gains_sql = _current_gains_sql(dialect, _gain_conditions(flt, params))
        if terms and (shortcut := _rank_then_filter(engine, terms, flt, limit, freq)):
            return shortcut
        if terms:
            key = "rowid" if dialect == "sqlite" else "paper_id"
            # Unary + keeps SQLite from driving the FTS5 scan by rowid (a per-row MATCH is slow).
            plus = "+" if dialect == "sqlite" else ""
            restrict = f"{plus}{key} IN (SELECT paper_id FROM ({gains_sql}) cg)"
            hits_sql = _hits_sql(dialect, terms, restrict, params)
        else:
            # No words to rank by: the papers with matching gains, in store order.
            hits_sql = (
                f"SELECT DISTINCT cg.paper_id AS pid, 0.0 AS score FROM ({gains_sql}) cg "
                "ORDER BY cg.paper_id LIMIT :limit"
            )
    # Takeaways are read for the few hits only, after ranking.
    sql = (
        "SELECT h.pid, h.score, c.takeaway, p.title, COALESCE(p.source_id, p.key) AS public_id "
        f"FROM ({hits_sql}) h JOIN paper p ON p.id = h.pid "
        f"LEFT JOIN {current} c ON c.paper_id = h.pid ORDER BY h.score DESC, h.pid"
    )
    with engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
    hits = [
        SearchHit(paper_id=r[0], public_id=r[4], title=r[3], takeaway=r[2], score=float(r[1]))
        for r in rows
    ]
    if hits and (with_gains or flt is not None):
        by_paper: dict[int, list[GainMatch]] = {}
        for g in filter_gains(
            engine, flt or GainFilter(), paper_ids=[h.paper_id for h in hits], limit=100_000
        ):
            by_paper.setdefault(g.paper_id, []).append(g)
        for hit in hits:
            hit.gains = by_paper.get(hit.paper_id, [])
    return hits


# A broad gain filter ("x above 2") passes a large share of papers; ranking the best text
# matches first and checking only their gains is then far cheaper than listing every paper
# that passes. This many are checked before falling back to the exact query.
RANK_FIRST = 1000


def _rank_then_filter(
    engine: Engine, terms: list[str], flt: GainFilter, limit: int, freq: DocFreq | None
) -> list[SearchHit] | None:
    """The filtered hits from the best RANK_FIRST text matches, or None if too few pass."""
    ranked = search_papers(
        engine, " ".join(terms), limit=max(RANK_FIRST, limit), with_gains=False, doc_freq=freq
    )
    if len(ranked) < max(RANK_FIRST, limit):
        return None  # every text match was ranked: the exact query costs no more
    by_paper: dict[int, list[GainMatch]] = {}
    for g in filter_gains(engine, flt, paper_ids=[h.paper_id for h in ranked], limit=100_000):
        by_paper.setdefault(g.paper_id, []).append(g)
    passed = [h for h in ranked if h.paper_id in by_paper][:limit]
    if len(passed) < limit:
        return None
    for hit in passed:
        hit.gains = by_paper[hit.paper_id]
    return passed


def _hits_sql(dialect: str, terms: list[str], restrict: str, params: dict[str, Any]) -> str:
    """The ranked, limited matches of the index as (pid, score)."""
    if dialect == "sqlite":
        params["q"] = fts5_query(terms)
        where = " AND ".join(["paper_search MATCH :q", *([restrict] if restrict else [])])
        # bm25() is lower for better matches; negated so that higher is better everywhere.
        return (
            f"SELECT rowid AS pid, -bm25(paper_search, {BM25_WEIGHTS}) AS score "
            f"FROM paper_search WHERE {where} ORDER BY score DESC LIMIT :limit"
        )
    # websearch_to_tsquery never raises on odd input; the words are joined with its `or`.
    params["q"] = " or ".join(terms)
    where = " AND ".join(["document @@ q", *([restrict] if restrict else [])])
    return (
        "SELECT paper_id AS pid, ts_rank_cd(document, q) AS score "
        f"FROM paper_search, websearch_to_tsquery('english', :q) q WHERE {where} "
        "ORDER BY score DESC LIMIT :limit"
    )


@dataclass(frozen=True)
class DocFreq:
    """How many papers the index holds, and how many contain each word (after stemming)."""

    papers: int
    counts: dict[str, int]

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency: a word few papers have says more."""
        found = self.counts.get(term, 0)
        return math.log((self.papers - found + 0.5) / (found + 0.5) + 1.0)


def _match_sql(dialect: str) -> tuple[str, str]:
    if dialect == "sqlite":
        return "paper_search MATCH :q", "rowid"
    return "document @@ websearch_to_tsquery('english', :q)", "paper_id"


def _one_term(dialect: str, term: str) -> str:
    return fts5_query([term]) if dialect == "sqlite" else term


def document_frequencies(engine: Engine, terms: list[str], cap: int | None = None) -> DocFreq:
    """How many papers have each term. With `cap`, a count over it is given as cap + 1 (enough
    to know the term is too common for what the caller does), so a word in most of a million
    papers is not counted to the end."""
    dialect = _dialect(engine)
    match, _key = _match_sql(dialect)
    params: dict[str, Any] = {f"q{i}": _one_term(dialect, t) for i, t in enumerate(terms)}
    limit = ""
    if cap is not None:
        limit, params["cap"] = " LIMIT :cap", cap + 1
    # The highest id stands for the count (ids have gaps only where papers were deleted):
    # counting a million rows costs tens of ms, finding the highest id nothing. Every count
    # in one statement, as a statement costs more than counting a rare word.
    counts = [f"(SELECT max(paper_id) FROM {current_table(dialect)})"] + [
        f"(SELECT count(*) FROM (SELECT 1 FROM paper_search "
        f"WHERE {match.replace(':q', f':q{i}')}{limit}) m{i})"
        for i in range(len(terms))
    ]
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT {', '.join(counts)}"), params).one()
    return DocFreq(
        papers=int(row[0] or 0),
        counts={t: int(n) for t, n in zip(terms, row[1:], strict=True)},
    )


def ranking_terms(terms: list[str], freq: DocFreq) -> list[str]:
    """The words worth matching on (see POSTINGS_BUDGET), rarest kept first."""
    present = [t for t in terms if freq.counts.get(t, 0) > 0]
    if not present:
        return terms  # nothing matches anyway; let the query say so
    by_rarity = sorted(present, key=lambda t: freq.counts[t])
    kept = [t for t in by_rarity if freq.counts[t] <= freq.papers / 2] or by_rarity[:1]
    while kept and sum(freq.counts[t] for t in kept) > POSTINGS_BUDGET:
        kept.pop()
    return [t for t in terms if t in kept]


def term_matches(
    engine: Engine, terms: list[str], paper_ids: list[int], freq: DocFreq | None = None
) -> TermMatches:
    """Which of `terms` each paper matches (after stemming), and how rare each term is."""
    dialect = _dialect(engine)
    result = TermMatches(papers=len(paper_ids))
    if not terms:
        return result
    freq = freq or document_frequencies(engine, terms)
    result.idf = {t: freq.idf(t) for t in terms}
    present = [t for t in terms if freq.counts.get(t, 0) > 0]
    if not present or not paper_ids:
        return result
    ids = ", ".join(str(int(p)) for p in paper_ids)
    match, key = _match_sql(dialect)
    # One statement for every term (a statement costs more than matching a few ids).
    sql = " UNION ALL ".join(
        f"SELECT {i} AS term, {key} AS pid FROM paper_search "
        f"WHERE {match.replace(':q', f':q{i}')} AND {key} IN ({ids})"
        for i in range(len(present))
    )
    params = {f"q{i}": _one_term(dialect, t) for i, t in enumerate(present)}
    with engine.connect() as conn:
        for term, pid in conn.execute(text(sql), params):
            result.matched.setdefault(pid, set()).add(present[term])
    return result


@dataclass
class TermMatches:
    papers: int
    idf: dict[str, float] = field(default_factory=dict)
    matched: dict[int, set[str]] = field(default_factory=dict)

    def coverage(self, paper_id: int) -> float:
        """Share of the query's information (IDF-weighted terms) this paper matches, 0 to 1."""
        total = sum(self.idf.values())
        if total <= 0:
            return 0.0
        return sum(self.idf[t] for t in self.matched.get(paper_id, ())) / total


def read_paper(engine: Engine, public_id: str) -> PaperDetail | None:
    """A paper by the id users see (or its arXiv id or key), with its current takeaway and gains."""
    where = "p.source_id = :ref OR p.arxiv_id = :ref OR p.key = :ref ORDER BY p.id LIMIT 1"
    found = _details(engine, where, {"ref": public_id.strip()})
    return next(iter(found.values()), None)


def read_papers(engine: Engine, paper_ids: list[int]) -> dict[int, PaperDetail]:
    """Papers by row id (those that exist), with their current takeaways and gains."""
    if not paper_ids:
        return {}
    return _details(engine, f"p.id IN ({', '.join(str(int(p)) for p in paper_ids)})", {})


def _details(engine: Engine, where: str, params: dict[str, Any]) -> dict[int, PaperDetail]:
    """The papers `where` (the WHERE clause and what may follow it) selects, by row id: two
    statements for any number of papers."""
    sql = (
        "SELECT p.id, COALESCE(p.source_id, p.key), p.title, p.abstract, c.takeaway "
        f"FROM paper p LEFT JOIN {current_table(_dialect(engine))} c ON c.paper_id = p.id "
        f"WHERE {where}"
    )
    with engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
    gains: dict[int, list[GainMatch]] = {}
    for g in filter_gains(engine, GainFilter(), paper_ids=[r[0] for r in rows], limit=100_000):
        gains.setdefault(g.paper_id, []).append(g)
    return {
        r[0]: PaperDetail(
            paper_id=r[0],
            public_id=r[1],
            title=r[2],
            abstract=r[3],
            takeaway=r[4],
            gains=gains.get(r[0], []),
        )
        for r in rows
    }


def public_ids(engine: Engine, paper_ids: list[int]) -> list[str]:
    """The ids users see of `paper_ids`, in the same order."""
    if not paper_ids:
        return []
    ids = ", ".join(str(int(p)) for p in paper_ids)
    with engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT id, COALESCE(source_id, key) FROM paper WHERE id IN ({ids})")
        ).all()
    by_id = {r[0]: r[1] for r in rows}
    return [by_id[p] for p in paper_ids if p in by_id]
