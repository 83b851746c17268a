"""Profile scoring: every point has a reason a reader can check."""

from __future__ import annotations

from agent.config import ProfileSettings
from agent.digest.relevance import mentions, score_paper

TITLE = "PagedKV: Faster Serving with a Paged KV-Cache"
ABSTRACT = "We page the key-value caches of LLM inference; speculative decoding also benefits."


def test_a_keyword_in_the_title_counts_more_than_in_the_abstract() -> None:
    profile = ProfileSettings(keywords=["KV cache", "speculative decoding", "diffusion"])
    rel = score_paper(profile, title=TITLE, abstract=ABSTRACT)
    assert rel.score == 2 + 1
    assert rel.reasons == ("matches: KV cache (title)", "matches: speculative decoding")


def test_matching_ignores_case_hyphens_and_plurals_but_not_other_words() -> None:
    assert mentions("a Paged KV-Cache", "kv cache")
    assert mentions("two KV caches", "KV cache")
    assert not mentions("KV cached values", "KV cache")
    assert not mentions("transformers", "former")
    assert not mentions("anything", "   ")


def test_followed_authors_and_categories_with_their_reasons() -> None:
    profile = ProfileSettings(authors=["ada lovelace"], categories=["cs"])
    rel = score_paper(
        profile,
        title="T",
        abstract="A",
        authors=["Ada Lovelace", "Charles Babbage"],
        categories=["cs.LG", "stat.ML"],
    )
    assert rel.score == 3 + 2
    assert rel.reasons == ("follows: Ada Lovelace", "follows: cs.LG")
    assert (
        score_paper(
            ProfileSettings(categories=["cs.L"]), title="T", abstract="A", categories=["cs.LG"]
        ).score
        == 0
    )


def test_a_negative_keyword_sinks_the_paper_under_the_default_threshold() -> None:
    profile = ProfileSettings(keywords=["KV cache"], negative_keywords=["speculative decoding"])
    rel = score_paper(profile, title=TITLE, abstract=ABSTRACT)
    assert rel.score == 2 - 10
    assert "excluded: speculative decoding" in rel.reasons
    assert not rel.passes(profile.threshold)


def test_topics_score_like_keywords_name_the_section_and_count_a_keyword_once() -> None:
    profile = ProfileSettings(
        keywords=["KV cache"],
        topics={"Training": ["fine-tuning"], "Serving": ["serving", "KV cache"]},
    )
    rel = score_paper(profile, title=TITLE, abstract=ABSTRACT, takeaway="no fine-tuning needed")
    assert rel.topics == ("Training", "Serving")
    assert rel.score == 2 + 1 + 2  # KV cache once, fine-tuning (takeaway), serving (title)
    assert "matches: serving (title) [Serving]" in rel.reasons


def test_an_empty_profile_scores_zero_and_keeps_everything() -> None:
    rel = score_paper(ProfileSettings(), title=TITLE, abstract=ABSTRACT)
    assert (rel.score, rel.reasons, rel.topics) == (0, (), ())
    assert rel.passes(ProfileSettings().threshold)
