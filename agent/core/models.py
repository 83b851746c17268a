"""What a summary is: the pydantic models an engine must produce and the store accepts.

These are output models (validated), kept apart from the SQLModel tables in `store/`,
which skip validation. Field meanings follow evals/data/ANNOTATION.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["improvement", "cost"]
Qualifier = Literal["up to", "average", "over", "under", "about", "at least"]


class Gain(BaseModel):
    """One claimed number: what changed, by how much, against what, quoted verbatim."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(description="Short noun phrase, in the abstract's words, for what changed.")
    value: float = Field(description="The number exactly as stated (low end of a range).")
    value_high: float | None = Field(description="Upper end of a stated range, else null.")
    unit: str = Field(description="'x' for a factor, '%' for percent, else the literal unit.")
    kind: Kind = Field(description="'improvement' for a gain, 'cost' for a bounded price.")
    qualifier: Qualifier | None = Field(description="Hedge word in front of the number, or null.")
    baseline: str | None = Field(description="What it is compared against, as stated, or null.")
    condition: str | None = Field(description="Where the number holds, or null.")
    quote: str = Field(description="Shortest verbatim span of the abstract containing the number.")


class PaperSummary(BaseModel):
    """A takeaway and the claimed gains of one paper, keyed by the paper id it was given."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The id of the paper, exactly as given in the input.")
    takeaway: str = Field(description="One sentence, at most 30 words: method and headline result.")
    has_claims: bool = Field(description="False when the abstract states no quantitative gain.")
    gains: list[Gain] = Field(description="Every claimed gain, one record per stated number.")


class BatchAnswer(BaseModel):
    """The answer to one batched request: a summary for every paper in the batch."""

    model_config = ConfigDict(extra="forbid")

    papers: list[SummaryAnswer]


class RelevanceRating(BaseModel):
    """The model's rating of a paper against the reader's interests (config [profile])."""

    model_config = ConfigDict(extra="forbid")

    score: Literal[0, 1, 2, 3] = Field(description="0 unrelated … 3 squarely on an interest.")
    reason: str = Field(description="A few words naming the interest it matches.")


class SummaryAnswer(PaperSummary):
    """What the summarize prompt answers per paper: a summary plus, when the prompt gave the
    reader's interests, a relevance rating (null otherwise). Stored beside the summary."""

    relevance: RelevanceRating | None = Field(
        default=None, description="Rating against <reader_interests>, or null when none given."
    )


class CandidateLabel(BaseModel):
    """The model's verdict on one number the rules found (the confirm-candidates prompt): is it
    a claimed result, and what was measured against what. Value, unit and quote are not asked:
    they come from the text, so they are verbatim by construction."""

    model_config = ConfigDict(extra="forbid")

    n: int = Field(description="The candidate's number, as given.")
    claim: bool = Field(description="True when the abstract presents it as the paper's result.")
    metric: str | None = Field(description="What was measured, in the abstract's words, or null.")
    baseline: str | None = Field(description="What it is compared against, as stated, or null.")
    kind: Kind | None = Field(
        description="'improvement' for a gain, 'cost' for a bounded price; null when not a claim."
    )


class ConfirmAnswer(BaseModel):
    """What the confirm-candidates prompt answers per paper."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The id of the paper, exactly as given in the input.")
    takeaway: str = Field(description="One sentence, at most 30 words: method and headline result.")
    candidates: list[CandidateLabel] = Field(description="One verdict per candidate given.")
    relevance: RelevanceRating | None = Field(
        default=None, description="Rating against <reader_interests>, or null when none given."
    )


class ShortTakeaway(BaseModel):
    """What the shorten prompt answers: one over-long takeaway, rewritten shorter."""

    model_config = ConfigDict(extra="forbid")

    takeaway: str = Field(description="The same takeaway in at most 25 words.")


class ConfirmBatchAnswer(BaseModel):
    """The answer to one confirm-candidates request: a verdict list for every paper."""

    model_config = ConfigDict(extra="forbid")

    papers: list[ConfirmAnswer]
