"""The claim model of the offline engine: the shipped weights load and fit the features, the
decision reads only candidates the rules do not refuse, quotes stay verbatim, and the training
script rebuilds the shipped file exactly from the dev part."""

from __future__ import annotations

import json

import pytest

from agent.summarize.claim_model import (
    FEATURE_NAMES,
    MODEL_PATH,
    ClaimModel,
    feature_rows,
    load_model,
)
from agent.summarize.offline import (
    claimed_gains,
    open_candidates,
    read_candidates,
    summarize_offline,
)

ABSTRACT = (
    "Serving large models is slow; prior systems cause a 40% throughput drop under load. "
    "We present FooServe, which reaches 2.2x higher throughput than vLLM on A100 GPUs and "
    "cuts tail latency by 35%. The accuracy stays within 0.3 points at a 20% pruning ratio."
)


def test_shipped_model_fits_the_features() -> None:
    model = load_model()
    assert model.features == FEATURE_NAMES
    assert len(model.weights) == len(FEATURE_NAMES)
    assert 0 < model.threshold < 1


def test_a_model_for_other_features_is_refused() -> None:
    data = json.loads(MODEL_PATH.read_text())
    data["features"] = [*data["features"][:-1], "something_else"]
    with pytest.raises(ValueError, match="other features"):
        ClaimModel.model_validate(data)


def test_features_lie_in_the_unit_interval() -> None:
    candidates = read_candidates(ABSTRACT, "FooServe", strict=False)
    rows = feature_rows(candidates)
    assert rows and all(len(row) == len(FEATURE_NAMES) for row in rows)
    assert all(0.0 <= x <= 1.0 for row in rows for x in row)


def test_the_rules_refusals_stand() -> None:
    """A problem statement ("cause a 40% throughput drop") and a setting ("a 20% pruning
    ratio") are refused by the rules; no weights can bring them back."""
    keep_all = ClaimModel(
        features=FEATURE_NAMES, weights=[0.0] * len(FEATURE_NAMES), bias=5.0, threshold=0.5
    )
    values = [g.value for g in claimed_gains(ABSTRACT, "FooServe", keep_all)]
    assert 40 not in values and 20 not in values
    assert {2.2, 35} <= set(values)
    assert len(open_candidates(ABSTRACT, "FooServe")) < len(
        read_candidates(ABSTRACT, "FooServe", strict=False)
    )


def test_threshold_decides_and_quotes_stay_verbatim() -> None:
    keep_none = ClaimModel(
        features=FEATURE_NAMES, weights=[0.0] * len(FEATURE_NAMES), bias=-5.0, threshold=0.5
    )
    assert claimed_gains(ABSTRACT, "FooServe", keep_none) == []
    summary = summarize_offline("p", "FooServe: Fast Serving", ABSTRACT, model=load_model())
    assert summary.has_claims == bool(summary.gains)
    assert all(g.quote in ABSTRACT for g in summary.gains)
    assert 2.2 in [g.value for g in summary.gains]


def test_training_rebuilds_the_shipped_model() -> None:
    pytest.importorskip("sklearn")
    from evals.train_claim_model import load_set, train

    assert train(load_set("real-dev")) == load_model()
