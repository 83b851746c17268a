"""`ask` over the real development corpus (evals/data/real/dev_papers.jsonl, offline summaries):
the citation cut and the no-answer rule on questions of the dev split and on a new user's
question. Only dev data is read here; the frozen test questions are scored by evals.ask_eval."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from agent.ask.offline import answer_offline
from evals.ask_eval import (
    REAL,
    folds,
    load_questions,
    retrieval_configs,
    score_answers,
    seed_store,
)


@pytest.fixture(scope="module")
def dev_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    folder: Path = tmp_path_factory.mktemp("ask-real")
    store = seed_store(folder, REAL / "dev_papers.jsonl")
    yield store
    store.dispose()


def test_a_question_on_two_topics_is_not_answered_by_a_paper_on_one(dev_store: Engine) -> None:
    # The dev corpus has protein papers and diffusion papers, none on both.
    answer = answer_offline(dev_store, "protein structure prediction with diffusion")
    assert answer.no_answer and answer.citations == []
    # Each topic alone is answered.
    assert not answer_offline(dev_store, "protein structure prediction").no_answer
    assert not answer_offline(dev_store, "speech recognition").no_answer


def test_a_named_metric_is_not_answered_by_another_of_its_family(dev_store: Engine) -> None:
    # Only SVFusion claims a 10x+ throughput gain; 280x speedups and 13x shorter training
    # time are of the speed family but not throughput.
    answer = answer_offline(
        dev_store, "Any systems claiming an order-of-magnitude (10x or more) throughput increase?"
    )
    assert answer.citations == ["arxiv:2601.08528"]
    # No abstract states an energy reduction: a TTFT or accuracy figure is no answer.
    assert answer_offline(
        dev_store, "Which methods reduce energy consumption by at least 30%?"
    ).no_answer


def test_a_topic_answer_is_the_paper_cosine_and_topic_words_agree_on(dev_store: Engine) -> None:
    # The nearest paper by cosine is a near-miss that shares one or two words of the
    # question (multimodal knowledge transfer; a speech LLM); the paper that answers is
    # nearly as near and matches most of the question's topic words.
    assert answer_offline(
        dev_store,
        "Getting multimodal LLMs to trust what the image shows when the text says otherwise",
    ).citations == ["arxiv:2606.17953"]
    assert answer_offline(
        dev_store, "Methods that lower word error rate in automatic speech recognition"
    ).citations == ["arxiv:2505.17088"]


def test_a_paraphrase_whose_words_no_paper_has_is_still_answered(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # dev3 (a later draw; its questions written by another annotator): no paper says
    # "spacetime" or "ripples", yet the Taiji calibration paper answers. A cut that gave no
    # answer when 40% of a question's topic words were in no paper (branch ask14) answered
    # none of it; on the independently written questions (dev's first 50, dev3) it lost
    # no-answer accuracy, so it was removed (evals/data/real/ASK_RESULTS.md).
    store = seed_store(tmp_path_factory.mktemp("ask-dev3"), REAL / "dev3_papers.jsonl")
    try:
        answer = answer_offline(
            store,
            "Research supporting the detection of spacetime ripples from merging compact "
            "objects, from space or the ground",
        )
    finally:
        store.dispose()
    assert not answer.no_answer and answer.citations == ["arxiv:2512.20468"]


def test_a_time_bound_holds_in_any_time_unit(dev_store: Engine) -> None:
    # SPOILER-GUARD states a 69 ps latency cost: under 50 milliseconds. RouteBalance's 2.8 s
    # is not.
    answer = answer_offline(
        dev_store,
        "Which papers state a latency overhead for their mechanism below 50 milliseconds?",
    )
    assert answer.citations == ["arxiv:2601.21211"]


def test_dev_citation_precision_and_no_answer_accuracy(dev_store: Engine) -> None:
    questions = load_questions(REAL / "dev_questions.jsonl")
    answerer = retrieval_configs()["hybrid + gain filter"]
    answers = {q.id: answerer(dev_store, q.question) for q in questions}
    first = score_answers([q for q in questions if not q.added], answers)
    # Measured on the first 50 questions 0.783 / 0.960 / 0.845 (evals/data/real/
    # ASK_RESULTS.md); before the evidence pick 0.733 / 0.940 / 0.845.
    assert first.citation_precision is not None and first.citation_precision >= 0.77
    assert first.no_answer_accuracy >= 0.94
    assert first.recall_at_5 >= 0.84
    # Each cross-validation fold of all 106: 0.793 / 0.868 and 0.686 / 0.849, before 0.741 /
    # 0.868 and 0.642 / 0.830.
    one, two = (score_answers(fold, answers) for fold in folds(questions))
    assert one.citation_precision is not None and one.citation_precision >= 0.78
    assert two.citation_precision is not None and two.citation_precision >= 0.67
    assert one.no_answer_accuracy >= 0.85 and two.no_answer_accuracy >= 0.83
