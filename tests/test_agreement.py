"""Metric agreement, trusted-gain F1, baseline agreement and the no-claim and takeaway checks,
on hand-made summaries whose figures are computed by hand in each test."""

from __future__ import annotations

import pytest

from agent.core.models import Gain, PaperSummary
from agent.core.words import content_words, families, labels_share_word, metrics_agree, stem
from evals import takeaway_checks as tk
from evals.scoring import match_gains, score_run


def gain(value: float, metric: str, unit: str = "x", baseline: str | None = None) -> Gain:
    return Gain(
        metric=metric,
        value=value,
        value_high=None,
        unit=unit,
        kind="improvement",
        qualifier=None,
        baseline=baseline,
        condition=None,
        quote=f"{value:g}{unit}",
    )


def paper(pid: str, gains: list[Gain], takeaway: str = "Foo does things.") -> PaperSummary:
    return PaperSummary(id=pid, takeaway=takeaway, has_claims=bool(gains), gains=gains)


@pytest.mark.parametrize(
    ("word", "expected"),
    [("speedups", "speedup"), ("queries", "query"), ("caching", "cach"), ("reduced", "reduc"),
     ("speed", "speed"), ("string", "string"), ("loss", "loss"), ("bus", "bus")],
)  # fmt: skip
def test_stem_strips_plural_ing_ed(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_content_words_drop_listed_stop_words() -> None:
    assert content_words("Overall average improvement in the accuracy score") == {"accuracy"}
    assert content_words("the performance") == {"performance"}
    assert content_words("a") == set()
    assert "kvcache" in content_words("KV-cache footprint")


@pytest.mark.parametrize(
    ("predicted", "gold", "agree"),
    [
        ("query time", "query time speedup", True),  # shared word
        ("initialization", "query time", False),  # BOLT's 480x, as ANNOTATION.md says
        ("security", "performance overhead", False),  # IsolateGPT's overhead
        ("speedup", "end-to-end latency", True),  # speed family
        ("throughput", "FPS", True),
        ("VRAM", "KV cache", True),  # memory family
        ("top-1 accuracy", "word error rate", True),  # quality family
        ("energy", "price", True),
        ("bandwidth", "traffic", True),
        ("parameters", "compression ratio", True),
        ("improvement", "accuracy improvement", False),  # only a meaningless word shared
        ("memory", "accuracy", False),
        ("", "speedup", False),
    ],
)
def test_metrics_agree(predicted: str, gold: str, agree: bool) -> None:
    assert metrics_agree(predicted, gold) is agree


def test_baselines_need_a_shared_content_word() -> None:
    assert labels_share_word("vLLM", "vLLM v0.6")
    assert not labels_share_word("a", "state-of-the-art OMAPs")
    assert not labels_share_word("the performance", "PyTorch eager")
    assert not labels_share_word(None, "PyTorch")
    assert families("end-to-end latency") == {"speed"}


ABSTRACT = (
    "Databases are slow. BOLT achieves 279x and 480x speedups in initialization and query "
    "time, respectively, over OMAPs. It also cuts memory by 40% compared to the baseline."
)


def test_trusted_f1_metric_and_baseline_agreement_by_hand() -> None:
    gold = {
        "p1": paper(
            "p1",
            [
                gain(279, "initialization speedup", baseline="state-of-the-art OMAPs"),
                gain(480, "query time speedup", baseline="state-of-the-art OMAPs"),
                gain(40, "memory", "%", baseline="the baseline"),
            ],
        ),
        "p2": paper("p2", []),  # no claims
        "p3": paper("p3", []),  # no claims
    }
    preds = {
        # 279x labelled speedup (agrees: shared "speedup"), 480x labelled initialization
        # (disagrees), 40% memory right; a fourth invented 3x.
        "p1": paper(
            "p1",
            [
                gain(279, "speedup", baseline="OMAPs"),
                gain(480, "initialization", baseline="a"),
                gain(40, "memory", "%", baseline=None),
                gain(3, "speedup"),
            ],
        ),
        "p2": paper("p2", [gain(95, "confidence", "%")]),  # invented on a no-claim abstract
    }
    abstracts = {"p1": ABSTRACT, "p2": "We prove a theorem.", "p3": "A bound."}
    s = score_run(preds, gold, abstracts, dict.fromkeys(abstracts, ""))
    # matched 3 (279, 480, 40); fp 2 (3x, 95%); fn 0
    assert (s.tp, s.fp, s.fn) == (3, 2, 0)
    assert s.metric_agree == 2 and s.metric_agreement == pytest.approx(2 / 3)
    # trusted tp 2: precision 2/5, recall 2/3, F1 = 2*2 / (5 + 3) = 0.5
    assert s.trusted_tp == 2
    assert s.trusted_precision == pytest.approx(0.4)
    assert s.trusted_recall == pytest.approx(2 / 3)
    assert s.trusted_f1 == pytest.approx(0.5)
    # baselines: OMAPs shares "omap"; "a" shares nothing; None shares nothing → 1/3
    assert (s.baseline_agree, s.baseline_needed) == (1, 3)
    assert s.baseline_agreement == pytest.approx(1 / 3)
    # 1 invented gain on 2 no-claim abstracts → 10 per 20
    assert (s.no_claim_gains, s.no_claim_papers) == (1, 2)
    assert s.invented_per_20_no_claim == pytest.approx(10.0)


def test_matching_pairs_equal_numbers_by_metric() -> None:
    """'86% and 86%': each prediction pairs with the gold gain its label agrees with."""
    gold = [gain(86, "recall", "%"), gain(86, "memory", "%")]
    pred = [gain(86, "memory", "%"), gain(86, "recall", "%")]
    assert match_gains(pred, gold) == [(0, 1), (1, 0)]


def test_first_sentence_share_counts_only_when_the_result_comes_later() -> None:
    gold = {
        "a": paper("a", [gain(40, "memory", "%")]),
        "b": paper("b", [gain(2, "speedup")]),
    }
    gold["a"].gains[0].quote = "40%"
    gold["b"].gains[0].quote = "2x"
    abstracts = {
        "a": "Databases are slow and costly to run. We propose Foo, which cuts memory by 40%.",
        "b": "Foo is 2x faster than Bar on every benchmark.",  # one sentence: not eligible
    }
    preds = {
        "a": paper("a", [], takeaway="Databases are slow and costly to run."),
        "b": paper("b", [], takeaway="Foo is 2x faster than Bar."),
    }
    s = score_run(preds, gold, abstracts, dict.fromkeys(abstracts, ""))
    assert (s.takeaways_first_sentence, s.result_after_first) == (1, 1)
    assert s.first_sentence_share == 1.0


@pytest.mark.parametrize(
    ("takeaway", "mid"),
    [
        ("Foo cuts memory while incurring minimal performance and.", True),
        ("Foo is faster than.", True),
        ("Foo (a cache is faster.", True),
        ("Foo cuts memory by 40%.", False),
        ("Foo runs 2x faster than Bar.", False),
    ],
)
def test_ends_mid_phrase(takeaway: str, mid: bool) -> None:
    assert tk.ends_mid_phrase(takeaway) is mid


@pytest.mark.parametrize(
    ("text", "residue"),
    [
        ("cuts error by 9\\%.", True),
        ("runs $\\sim$2x faster", True),
        ("is 48times faster", True),
        ("gains 0.13sim2.41 points", True),
        ("Q&amp;A accuracy", True),
        ("<b>Foo</b> wins", True),
        ("\\textbf{Foo} wins", True),
        ("Foo cuts error by 9% and is 48 times faster.", False),
        ("Foo trains for a $42 training cost.", False),  # a dollar sign is no math shift
        ("a $k$ left open by a cut: $x", True),
    ],
)
def test_markup_residue(text: str, residue: bool) -> None:
    assert bool(tk.markup_residue(text)) is residue
