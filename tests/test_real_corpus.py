"""The offline engine on the real arXiv corpus (evals/data/real/), held as a floor.

The figures are the ones bench/bench_extraction.py prints and evals/data/real/RESULTS.md reports;
each floor is the measured value minus 0.02 (counts: plus 1), so a change that loses claims or
labels fails here instead of drifting. The test part is only ever scored, in aggregate: these
assertions read its totals, never its records. The engine is held as it runs (the strict rules
decide) and with the claim model in their place (agent/summarize/claim_model.py, not the
default), so the measured alternative cannot rot either.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from agent.summarize.claim_model import load_model
from agent.summarize.offline import summarize_offline
from evals.gold import gold_set_paths, load_gold, load_papers
from evals.paths import DATA_DIR
from evals.scoring import RunScores, score_run

MARGIN = 0.02
# Measured 2026-12-02 (RESULTS.md, offline-v3): (set, decision) → (F1, trusted F1, metric agr.,
# baseline agr., invented gains per 20 no-claim abstracts, first-sentence share). A figure that
# got worse under offline-v3 but stays within the margin keeps its offline-v2 value (claim model:
# real-test F1 0.819, seed F1 0.986 and first-sentence share 0.031). One bound was loosened: the
# claim model's real-dev first-sentence share went from 0.000 to 0.022: retrained on the v3
# candidates it no longer keeps arxiv:2503.22713's "0.9841 correlation" (the rules never did), so
# that paper's takeaway falls back to its first sentence as the rules' already did; it holds
# 0.022, the rules' figure, not 0.000.
# real-dev2 (80 abstracts drawn after offline-v3, see evals/data/real/README.md) measured under
# offline-v4, whose rules were written from its errors: v3 scored it 0.674 / 0.558 / 0.828 /
# 0.643 / 1.29. offline-v4 left the other sets' figures unchanged, so their floors stay.
# offline-v5 (labels only) raised trusted F1, metric and baseline agreement on the dev parts and
# seed and real-test's baseline agreement (RESULTS.md); those are the v5 measurements. The
# retrained claim model adds one invented gain on real-test (1.33 → 1.50 per 20), held as
# measured; its F1 figures within the margin keep their earlier values.
# real-dev3 and real-test2 (50 each, a later blind draw, README), first scored under offline-v4
# (dev3 trusted F1 0.623 and metric agreement 0.950 then).
# offline-v6 (which numbers are claims, rules from real-dev3's errors; RESULTS.md) replaced every
# figure by its v6 measurement. Two floors went down past the margin: real-dev3's metric
# agreement (rules 0.900 -> 0.833, claim model 0.900 -> 0.857) is a share of more matches
# (20 -> 24), two of the added ones ("~54 CPU hours", "~7500 CPU hours") labelled "steps",
# while its trusted F1 rose 0.590 -> 0.690; the claim model (not the default), retrained on
# the v6 candidates, has real-test metric agreement 0.765 -> 0.742.
# offline-v7 (measurements of nature are not claims; RESULTS.md) changed only real-dev2's
# figures, which are its v7 measurements (rules F1 0.846 -> 0.857, claim model 0.811 -> 0.838).
# real-dev4 (57, README) was first scored under offline-v8 (rules 0.900 / 0.850 / 0.944 / 0.786 /
# 1.28 / 0.100); offline-v9's rules came from its errors; real-test (rules) is v9's measurement.
# real-dev5 (45) and real-dev6 (50), two more blind draws (README), first scored under
# offline-v9 (dev5 0.737 / 0.737 / 1.000 / 0.538 / 2.94 before its gold followed the corpus's
# convention on levels, dev6 0.820 / 0.754 / 0.920 / 0.765 / 0.00); offline-v10's rules came
# from their errors and from a new-user trial. real-test2 under v10: TeX's tie ("+1~ms") finds
# one more gold gain (recall 0.818 -> 0.848, F1 0.831 -> 0.848) whose metric label disagrees, so
# its metric agreement (0.852 -> 0.821) and trusted F1 (0.708 -> 0.697) are v10's measurement.
# real-dev7 (35 physics, math and q-bio abstracts, README), scored under offline-v10 first (rules
# 0.957 / 0.696 / 0.727 / 0.500 / 0.62 invented per 20); its errors gave v10's last three rules.
MEASURED = {
    ("real-dev7", "rules"): (1.000, 0.818, 0.818, 1.000, 0.00, 0.000),
    ("real-dev7", "claim model"): (0.900, 0.900, 1.000, 0.000, 0.00, 0.333),
    ("real-dev5", "rules"): (0.851, 0.851, 1.000, 0.625, 0.00, 0.000),
    ("real-dev5", "claim model"): (0.800, 0.800, 1.000, 0.667, 0.00, 0.071),
    ("real-dev6", "rules"): (0.931, 0.897, 0.963, 0.765, 0.00, 0.000),
    ("real-dev6", "claim model"): (0.929, 0.893, 0.962, 0.765, 0.00, 0.000),
    ("real-dev4", "rules"): (0.973, 0.973, 1.000, 0.786, 0.00, 0.100),
    ("real-dev4", "claim model"): (0.973, 0.973, 1.000, 0.786, 0.00, 0.100),
    ("real-dev3", "rules"): (0.828, 0.724, 0.875, 0.917, 0.00, 0.000),
    ("real-dev3", "claim model"): (0.764, 0.691, 0.905, 0.917, 0.00, 0.000),
    ("real-test2", "rules"): (0.848, 0.697, 0.821, 1.000, 0.95, 0.000),
    ("real-test2", "claim model"): (0.875, 0.719, 0.821, 1.000, 0.48, 0.000),
    ("real-dev2", "rules"): (0.857, 0.805, 0.939, 0.933, 0.00, 0.000),
    ("real-dev2", "claim model"): (0.838, 0.811, 0.968, 0.929, 0.00, 0.000),
    ("real-dev", "rules"): (0.893, 0.867, 0.971, 0.831, 0.23, 0.022),
    ("real-test", "rules"): (0.837, 0.605, 0.722, 0.652, 1.17, 0.000),
    ("seed", "rules"): (0.993, 0.966, 0.973, 0.860, 0.00, 0.016),
    ("real-dev", "claim model"): (0.892, 0.865, 0.970, 0.825, 0.00, 0.022),
    ("real-test", "claim model"): (0.820, 0.609, 0.742, 0.682, 1.00, 0.026),
    ("seed", "claim model"): (0.976, 0.955, 0.979, 0.857, 0.00, 0.031),
}


def scores_of(name: str, decision: str) -> RunScores:
    gold_path, papers_path = gold_set_paths(name)
    papers, gold = load_papers(papers_path), load_gold(gold_path)
    model = load_model() if decision == "claim model" else None
    preds = {
        pid: summarize_offline(pid, p.title, p.abstract, model=model) for pid, p in papers.items()
    }
    return score_run(
        preds,
        gold,
        {k: p.abstract for k, p in papers.items()},
        {k: p.title for k, p in papers.items()},
    )


@pytest.mark.parametrize(("name", "decision"), list(MEASURED))
def test_offline_engine_holds_its_measured_figures(name: str, decision: str) -> None:
    f1, trusted, metric, baseline, invented, first = MEASURED[name, decision]
    s = scores_of(name, decision)
    assert s.f1 >= f1 - MARGIN
    assert s.trusted_f1 >= trusted - MARGIN
    assert s.metric_agreement >= metric - MARGIN
    assert s.baseline_agreement >= baseline - MARGIN
    assert s.invented_per_20_no_claim <= invented + 0.5
    assert s.first_sentence_share <= first + MARGIN
    assert s.quotes_not_verbatim == 0
    assert s.quotes_without_value == 0
    assert s.takeaways_with_unsupported_numbers == 0
    assert s.takeaways_with_markup == 0


def test_dev2_is_new_dev_side_data() -> None:
    """real-dev2 shares no paper with real-dev or real-test, and every one of its ids falls on
    the dev side of the split hash, so drawing it read nothing that belongs to the test side."""
    ids = {name: set(load_papers(gold_set_paths(name)[1])) for name in ("real-dev", "real-test")}
    dev2 = set(load_papers(gold_set_paths("real-dev2")[1]))
    assert len(dev2) == 80 and not dev2 & (ids["real-dev"] | ids["real-test"])
    for pid in dev2:
        arxiv_id = pid.removeprefix("arxiv:")
        assert int(hashlib.sha256(arxiv_id.encode()).hexdigest()[:8], 16) % 10 >= 4


def test_the_third_draw_is_new_data_split_by_the_same_hash() -> None:
    """real-dev3 and real-test2 share no paper (by arXiv id, or by title for the seed and
    hold-out papers, which have no arXiv id) with each other or any earlier part; dev3's ids
    fall on the dev side of the split hash and test2's on the test side."""

    def title(text: str) -> str:
        return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())

    earlier = [load_papers(gold_set_paths(n)[1]) for n in ("real-dev", "real-dev2", "real-test")]
    earlier += [load_papers(DATA_DIR / f"{name}_papers.jsonl") for name in ("seed", "holdout")]
    ids = set().union(*(set(papers) for papers in earlier))
    titles = {title(p.title) for papers in earlier for p in papers.values()}
    dev3 = load_papers(gold_set_paths("real-dev3")[1])
    test2 = load_papers(gold_set_paths("real-test2")[1])
    assert len(dev3) == len(test2) == 50 and not set(dev3) & set(test2)
    for part, test_side in ((dev3, False), (test2, True)):
        assert not set(part) & ids
        assert not {title(p.title) for p in part.values()} & titles
        for pid in part:
            arxiv_id = pid.removeprefix("arxiv:")
            bucket = int(hashlib.sha256(arxiv_id.encode()).hexdigest()[:8], 16) % 10
            assert (bucket < 4) == test_side, pid
