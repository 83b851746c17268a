"""Hybrid retrieval for `ask`: BM25 and dense similarity fused by reciprocal rank, then the gain
filter, then a relevance cut so that an answer names only papers that match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Engine

from agent.ask.dense import CANDIDATES, cosines, nearest_papers
from agent.ask.questions import GainQuery, ParsedQuestion, parse_question
from agent.core.metrics import FAMILY_TRIGGERS, about_metrics
from agent.core.words import stem
from store.search import (
    POSTINGS_BUDGET,
    DocFreq,
    GainFilter,
    GainMatch,
    SearchHit,
    TermMatches,
    document_frequencies,
    filter_gains,
    query_terms,
    read_papers,
    search_papers,
    term_matches,
)

Mode = Literal["bm25", "dense", "hybrid"]
RRF_K = 60
# The bundled static embeddings rank worse than BM25 on dev, so BM25's ranks weigh more.
BM25_WEIGHT = 2.0
DEPTH = 50  # ranks of each list that take part in the fusion
# When fewer than DEPTH of the candidates pass a question's gain condition, the nearest
# CANDIDATES * WIDEN papers are tried.
WIDEN = 4
# Calibrated on the dev questions (evals/ask_eval.py): below MIN_DENSE cosine the best paper
# does not answer the question.
MIN_DENSE = 0.33
# A topic question's answer is the paper with the best evidence: cosine plus this weight
# times topic coverage. Chosen by two-fold cross-validation over the dev questions
# (`python -m evals.ask_cv`, evals/data/real/ASK_RESULTS.md): on fold 1, 0.5 to 1.0 score alike
# and 0.3 or 0 less; on fold 2 every weight from 0.3 to 1.0 scores the same.
COVERAGE_WEIGHT = 0.65
# The evidence is weighed for the first EVIDENCE_DEPTH papers of the fused ranking and of the
# cosine ranking (on dev the answer was among the first 5 of one of them every time; the
# coverage of fewer papers costs less at 100,000 papers).
EVIDENCE_DEPTH = 10
# With BM25 alone there is no cosine: a paper is cited when its score is this share of the best.
BM25_SHARE = 0.6
# A cited paper matches at least this share of the best candidate's topic coverage (IDF-weighted
# share of the question's topic words in title, abstract and takeaway); calibrated on dev.
STRUCTURED_SHARE = 0.5
TOPIC_SHARE = 0.8
# A short question without a gain condition, with at most this many topic words (in the
# store, not too common), names topics that an answer must all match: "protein structure
# prediction with diffusion" is not answered by a protein paper nor by a diffusion paper. A
# longer question describes its topic in words a paper may paraphrase.
ALL_TERMS = 2
# Words in more than this share of the papers are no topic words (but a word in this many
# papers or fewer always is: in a store of 8 papers, one paper's word is not "common").
COMMON_SHARE = 0.1
MIN_COMMON = 3
# Below MIN_DENSE a paper still answers when it matches this share of the question's topic
# words (IDF-weighted, LEXICAL_TERMS of them at least): static embeddings miss some topics
# that the words name outright ("hallucination when filling JSON forms").
LEXICAL_COVERAGE = 0.75
LEXICAL_TERMS = 3


@dataclass
class Ranked:
    paper_id: int
    score: float  # fused (RRF) score, higher is better
    dense: float = 0.0
    bm25: float = 0.0
    gains: list[GainMatch] = field(default_factory=list)


def gain_filter(q: GainQuery) -> GainFilter:
    """The store's filter for a parsed gain condition (its families are matched here)."""
    return GainFilter(
        unit=q.unit,
        greater_than=q.greater_than,
        at_least=q.at_least,
        less_than=q.less_than,
        at_most=q.at_most,
        kind=q.kind,
        range_high=True,
    )


def passing_gains(engine: Engine, q: GainQuery, paper_ids: list[int]) -> dict[int, list[GainMatch]]:
    """Those of `paper_ids` with a claimed gain meeting the question's condition and about its
    metric (the one it names, or any of the family it names), with those gains."""
    by_paper: dict[int, list[GainMatch]] = {}
    for g in filter_gains(engine, gain_filter(q), paper_ids=paper_ids, limit=100_000):
        text = f"{g.metric} {g.quote}"
        if not about_metrics(q.metrics, text):
            continue
        # The high end of a range counts: "8.2-87.7x" is a claim of more than 20x.
        by_paper.setdefault(g.paper_id, []).append(g)
    return by_paper


def _words(parsed: ParsedQuestion, question: str) -> str:
    return " ".join(parsed.keywords) or question


def question_frequencies(engine: Engine, parsed: ParsedQuestion, question: str) -> DocFreq:
    """How many papers have each word BM25 and the topic cut look at (one count of each)."""
    terms = query_terms(_words(parsed, question))
    return document_frequencies(engine, terms, cap=POSTINGS_BUDGET)


def rank(
    engine: Engine,
    parsed: ParsedQuestion,
    question: str,
    mode: Mode = "hybrid",
    freq: DocFreq | None = None,
    nearer: list[int] | None = None,
) -> list[Ranked]:
    """The candidates, best fused score first: BM25's best DEPTH and the dense.CANDIDATES
    nearest papers (every paper of a small store); `nearer`, the nearest papers if the caller
    has them already."""
    ranked: dict[int, Ranked] = {}
    if mode in ("bm25", "hybrid"):
        freq = freq or question_frequencies(engine, parsed, question)
        hits = search_papers(
            engine, _words(parsed, question), limit=DEPTH, with_gains=False, doc_freq=freq
        )
        for n, hit in enumerate(hits):
            r = ranked.setdefault(hit.paper_id, Ranked(hit.paper_id, 0.0))
            r.bm25 = hit.score
            r.score += BM25_WEIGHT / (RRF_K + n + 1)
    if mode in ("dense", "hybrid"):
        # The nearest papers, and the cosine of those BM25 found (which their ties and the
        # relevance cut read); papers further away are not candidates.
        if nearer is None:
            nearer = nearest_papers(engine, question, CANDIDATES)
        sims = cosines(engine, question, [*nearer[:CANDIDATES], *ranked])
        order = sorted(sims, key=lambda p: -sims[p])
        for n, pid in enumerate(order):
            r = ranked.setdefault(pid, Ranked(pid, 0.0))
            r.dense = sims[pid]
            if n < DEPTH:
                r.score += 1.0 / (RRF_K + n + 1)
    return _best_first(ranked.values())


def _best_first(ranked: Iterable[Ranked]) -> list[Ranked]:
    return sorted(ranked, key=lambda r: (-r.score, -r.dense, r.paper_id))


def topic_terms(parsed: ParsedQuestion, freq: DocFreq) -> list[str]:
    """The question's topic terms: its content words less the metric-family words (the gain
    filter matches those) and less words in more than COMMON_SHARE of the papers ("compare",
    "usage"), or more than POSTINGS_BUDGET, which say nothing about which paper answers."""
    words = [w for w in parsed.keywords if w not in FAMILY_TRIGGERS]
    # Over 100,000 papers the budget is the lower bound: counts stop there (store/search.py).
    common = min(max(COMMON_SHARE * freq.papers, MIN_COMMON), POSTINGS_BUDGET)
    return [t for t in query_terms(" ".join(words)) if freq.counts.get(t, 0) <= common]


def topic_coverage(
    engine: Engine, parsed: ParsedQuestion, paper_ids: list[int], freq: DocFreq
) -> tuple[list[str], TermMatches]:
    """(the question's topic terms, which of them each paper matches, IDF-weighted)."""
    terms = topic_terms(parsed, freq)
    return terms, term_matches(engine, terms, paper_ids, freq)


def _on_topic(
    engine: Engine,
    parsed: ParsedQuestion,
    candidates: list[Ranked],
    share: float,
    freq: DocFreq,
) -> list[Ranked]:
    """The candidates whose topic coverage is at least `share` of the best candidate's."""
    terms, matches = topic_coverage(engine, parsed, [r.paper_id for r in candidates], freq)
    if not terms or not candidates:
        return candidates
    best = max(matches.coverage(r.paper_id) for r in candidates)
    if best <= 0:
        return candidates  # no candidate has a topic word: they do not tell candidates apart
    return [r for r in candidates if matches.coverage(r.paper_id) >= share * best]


def naming_the_metric(
    terms: list[str], matched: list[Ranked], measured: list[str] | None = None
) -> list[Ranked]:
    """The papers whose passing gains' metric is named by one of the question's topic words,
    when any are: "interconnect load cut by 40%" is asked of the gains measured so, not of
    every gain in percent. With none, every paper that passed, unless the question says what
    the gain is of (`measured`, "cut FLOPs by 40%"): then a gain of another quantity does not
    answer, and no paper may."""
    wanted = {stem(measured[-1])} if measured else {stem(t) for t in terms}
    named = [r for r in matched if any(_metric_names(wanted, g.metric) for g in r.gains)]
    return named if measured else (named or matched)


def _measured_here(engine: Engine, parsed: ParsedQuestion, ranking: list[Ranked]) -> list[str]:
    """The question's measured words ("cut FLOPs by 40%") when the papers it retrieves report a
    gain of that quantity (its head word, the last, in a gain's metric): the corpus names it,
    so only such gains answer. Otherwise the words may paraphrase a metric ("interconnect load" for
    "link utilization") and none is required."""
    if not parsed.measured:
        return []
    head = parsed.measured[-1]
    ids = [r.paper_id for r in ranking[:DEPTH]]
    found = filter_gains(engine, GainFilter(metric_words=(head,)), paper_ids=ids, limit=20)
    # the SQL test is a substring ("time" in "runtime"); naming_the_metric's is by stem
    named = any(_metric_names({stem(head)}, g.metric) for g in found)
    return parsed.measured if named else []


def _metric_names(stems: set[str], metric: str) -> bool:
    """Whether a gain's metric has a word of one of `stems`."""
    return bool(stems & {stem(w) for w in query_terms(metric)})


def _on_every_topic(
    engine: Engine, parsed: ParsedQuestion, ranking: list[Ranked], freq: DocFreq
) -> list[Ranked]:
    """The ranked papers that match every topic word of a short question (ALL_TERMS), or the
    whole ranking for a longer one.

    Only BM25's candidates are looked at (every candidate when BM25 found none): a paper with
    both words ranks among BM25's best DEPTH, and matching the words of every dense candidate
    costs hundreds of ms at 100,000 papers (bench/bench_search.py)."""
    present = {t for t in topic_terms(parsed, freq) if freq.counts.get(t, 0) > 0}
    if not 1 < len(present) <= ALL_TERMS:
        return ranking
    lexical = [r.paper_id for r in ranking if r.bm25 > 0] or [r.paper_id for r in ranking]
    _, matches = topic_coverage(engine, parsed, lexical, freq)
    return [r for r in ranking if matches.matched.get(r.paper_id, set()) >= present]


def _named_outright(
    engine: Engine, parsed: ParsedQuestion, candidates: list[Ranked], freq: DocFreq
) -> list[Ranked]:
    """The candidates that match LEXICAL_COVERAGE of a question's topic words, when it has
    LEXICAL_TERMS or more."""
    terms, matches = topic_coverage(engine, parsed, [r.paper_id for r in candidates], freq)
    if len(terms) < LEXICAL_TERMS:
        return []
    return [r for r in candidates if matches.coverage(r.paper_id) >= LEXICAL_COVERAGE]


def _best_evidence(
    engine: Engine, parsed: ParsedQuestion, pool: list[Ranked], freq: DocFreq
) -> list[Ranked]:
    """The paper of `pool` that answers a topic question: the one with the best evidence.

    A paper's evidence is its cosine plus COVERAGE_WEIGHT times its topic coverage, so the two
    signals must agree: either alone puts near-misses first (a paper the static embeddings
    place close but on another topic; a paper that shares only the common words). Citing
    the next papers too, those within a share (0.85-0.95) of the best evidence, lost citation
    precision on both cross-validation folds: a second paper is seldom a second answer.
    """
    by_dense = sorted(pool, key=lambda r: -r.dense)[:EVIDENCE_DEPTH]
    candidates = list({r.paper_id: r for r in [*pool[:EVIDENCE_DEPTH], *by_dense]}.values())
    _, matches = topic_coverage(engine, parsed, [r.paper_id for r in candidates], freq)
    best = max(
        candidates,
        key=lambda r: (r.dense + COVERAGE_WEIGHT * matches.coverage(r.paper_id), -r.paper_id),
    )
    return [best]


def answer_set(
    engine: Engine,
    parsed: ParsedQuestion,
    question: str,
    *,
    mode: Mode = "hybrid",
    use_filter: bool = True,
) -> tuple[list[Ranked], list[Ranked]]:
    """(papers that answer the question, best first; the whole ranking).

    With a gain condition, the papers that pass it and match the topic about as well as the
    best of them does: a filter passes many papers, and listing every one of them is padding,
    not an answer. Without one, the paper with the best evidence (`_best_evidence`), or none
    when no paper is near enough.
    """
    freq = question_frequencies(engine, parsed, question)
    gain = parsed.gain if use_filter and parsed.gain is not None else None
    gain = None if gain is None or gain.is_empty else gain
    # With a gain condition, the nearest CANDIDATES * WIDEN papers (costing no more to find).
    further = CANDIDATES * WIDEN if gain is not None else CANDIDATES
    nearer = nearest_papers(engine, question, further) if mode != "bm25" else []
    ranking = rank(engine, parsed, question, mode, freq, nearer)
    if gain is not None:
        passing = passing_gains(engine, gain, [r.paper_id for r in ranking])
        if len(passing) < DEPTH and len(nearer) > CANDIDATES:
            # A rare condition among the nearest papers of a large store: those that pass it
            # among the CANDIDATES * WIDEN nearest join the ranking, after the candidates.
            known = {r.paper_id for r in ranking}
            more = passing_gains(engine, gain, [p for p in nearer if p not in known])
            sims = cosines(engine, question, more)
            ranking = _best_first([*ranking, *(Ranked(p, 0.0, dense=d) for p, d in sims.items())])
            passing.update(more)
        matched = [r for r in ranking if r.paper_id in passing]
        for r in matched:
            r.gains = passing[r.paper_id]
        if not gain.families:  # no family word: the metric is named in the topic's words
            measured = _measured_here(engine, parsed, ranking)
            matched = naming_the_metric(topic_terms(parsed, freq), matched, measured)
        return _on_topic(engine, parsed, matched, STRUCTURED_SHARE, freq), ranking
    if not ranking:
        return [], ranking
    if mode == "bm25":
        best = max(r.bm25 for r in ranking)
        close = [r for r in ranking if best > 0 and r.bm25 >= BM25_SHARE * best]
        return _on_topic(engine, parsed, close[:DEPTH], TOPIC_SHARE, freq), ranking
    pool = _on_every_topic(engine, parsed, ranking, freq)
    if max((r.dense for r in pool), default=0.0) >= MIN_DENSE:
        return _best_evidence(engine, parsed, pool, freq), ranking
    named = _named_outright(engine, parsed, pool[:DEPTH], freq)
    return _on_topic(engine, parsed, named, TOPIC_SHARE, freq), ranking


def search(
    engine: Engine, query: str, *, limit: int, flt: GainFilter | None = None
) -> list[SearchHit]:
    """The hybrid ranking of `query`, optionally only papers with a gain passing `flt`.

    This is what the LLM agent's tools search with, so both answers rank papers one way.
    """
    ranking = rank(engine, parse_question(query), query)
    gains: dict[int, list[GainMatch]] = {}
    if flt is not None and not flt.is_empty:
        candidates = [r.paper_id for r in ranking[: DEPTH * 2]]
        for g in filter_gains(engine, flt, paper_ids=candidates, limit=100_000):
            gains.setdefault(g.paper_id, []).append(g)
        ranking = [r for r in ranking if r.paper_id in gains]
    hits = []
    details = read_papers(engine, [r.paper_id for r in ranking[:limit]])
    for r in ranking[:limit]:
        detail = details.get(r.paper_id)
        if detail is not None:
            found = gains.get(r.paper_id, detail.gains)
            hit = SearchHit(r.paper_id, detail.public_id, detail.title, detail.takeaway, r.score)
            hit.gains = found
            hits.append(hit)
    return hits
