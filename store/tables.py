"""The SQLModel tables. Table models skip validation; validated output lives in agent/models.py.

Every schema change is a new migration in store/migrations/versions/, never an edit here alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Paper(SQLModel, table=True):
    """One paper, whatever source it came from; its current abstract is the latest version."""

    # Scans and counts that need a paper's current abstract_hash read this, not the rows with
    # their abstracts; in id order, so each new paper appends to it (migration 0016).
    __table_args__ = (Index("ix_paper_id_abstract_hash", "id", "abstract_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, description="arxiv:<id> when known, else title:<title hash>")
    source_id: str | None = Field(default=None, index=True, description="id its source gave")
    arxiv_id: str | None = Field(default=None, index=True)
    title_key: str = Field(index=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    abstract: str = Field(sa_column=Column(Text, nullable=False))
    abstract_hash: str
    version: int = Field(default=1, description="bumped each time the abstract changes")
    arxiv_version: int | None = Field(
        default=None, description="arXiv version of the current abstract (v2 → 2), if known"
    )
    url: str | None = None
    authors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    published: str | None = None
    source: str = Field(description="file the paper was first read from")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class FetchState(SQLModel, table=True):
    """What the last fetch of one URL returned: cache validators and when, for the next fetch."""

    __tablename__ = "fetch_state"

    url: str = Field(primary_key=True)
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime = Field(default_factory=utcnow)
    status: int = Field(description="HTTP status of the last response (304: unchanged)")
    newest: str | None = Field(default=None, description="newest entry date seen (ISO)")


class PaperRevision(SQLModel, table=True):
    """Every abstract a paper has had, so a changed abstract loses nothing.

    Each text is stored once: the current abstract's revision has `abstract` NULL (the text is
    `Paper.abstract`); a revision holds its own text once a newer abstract replaced it.
    """

    __table_args__ = (UniqueConstraint("paper_id", "abstract_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    # The unique (paper_id, abstract_hash) index answers look-ups by paper_id too.
    paper_id: int = Field(foreign_key="paper.id")
    version: int
    abstract_hash: str
    abstract: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    source: str
    created_at: datetime = Field(default_factory=utcnow)


class Run(SQLModel, table=True):
    """One invocation of a pipeline command, with what it did and what it cost."""

    id: int | None = Field(default=None, primary_key=True)
    command: str
    engine: str
    model: str | None = None
    prompt_version: str | None = None
    source: str | None = None
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: str = Field(
        default="running",
        description="running, done, error, or interrupted (its process died while running)",
    )
    worker: str | None = Field(
        default=None, description="host:pid:nonce of the process running it (store/owner.py)"
    )
    papers_new: int = 0
    papers_updated: int = 0
    papers_unchanged: int = 0
    records_invalid: int = 0
    summarized: int = 0
    failed: int = 0
    skipped: int = 0
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    digest_path: str | None = None


class LLMCall(SQLModel, table=True):
    """Every request to an endpoint, successful or not (what simonw/llm logs)."""

    __tablename__ = "llm_call"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int | None = Field(default=None, foreign_key="run.id", index=True)
    model: str
    prompt: str = Field(description="prompt name/version, e.g. summarize/v1")
    paper_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attempt: int = 1
    request: str | None = Field(default=None, sa_column=Column(Text), description="messages JSON")
    response: str | None = Field(default=None, sa_column=Column(Text))
    finish_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: int = 0
    cost_usd: float | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)


class Summary(SQLModel, table=True):
    """A validated takeaway for one version of a paper's abstract, or the reason there is none."""

    # Covers the work queue's probe "has this abstract a summary from this engine, prompt and
    # model?" (store/summaries.needs_summary_clause), so it never reads the table itself.
    __table_args__ = (
        Index(
            "ix_summary_lookup",
            "paper_id",
            "abstract_hash",
            "status",
            "engine",
            "prompt_version",
            "model",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    paper_id: int = Field(foreign_key="paper.id", index=True)
    abstract_hash: str
    engine: str = Field(description="offline or llm")
    model: str | None = None
    prompt_version: str = Field(description="e.g. summarize/v1 or offline-v1")
    status: str = Field(description="ok or failed")
    takeaway: str | None = Field(default=None, sa_column=Column(Text))
    has_claims: bool | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))
    run_id: int | None = Field(default=None, foreign_key="run.id")
    llm_call_id: int | None = Field(default=None, foreign_key="llm_call.id")
    relevance_score: int | None = Field(
        default=None, description="LLM rating 0-3 against the reader's interests, when asked"
    )
    relevance_reason: str | None = Field(default=None, sa_column=Column(Text))
    strength: float | None = Field(
        default=None,
        description="claim strength of its gains (agent/core/units.claim_strength); the digest "
        "ranks by it",
    )
    created_at: datetime = Field(default_factory=utcnow)


class PaperState(SQLModel, table=True):
    """What readers see of a paper's current abstract, kept by store/paper_state.py in the
    transaction of every write that changes it (a summary, a failure, a review, a new abstract).

    The rules (which summary is shown, the review status, whether the newest attempt failed)
    are written once, there; the queue, the digest, exports and stats read this row. A paper
    with no row has nothing on its current abstract yet: a draft with no summary.
    """

    __tablename__ = "paper_state"
    # Each index serves a read: the queue's filters in id order (keyset pages), the status
    # counts, and the digest's best-first walk (by claim strength; by LLM rating, then strength).
    __table_args__ = (
        Index("ix_paper_state_status", "status", "paper_id"),
        Index("ix_paper_state_engine", "engine", "paper_id"),
        Index("ix_paper_state_failed", "failed", "paper_id"),
        Index("ix_paper_state_strength", "strength"),
        Index("ix_paper_state_rated", "llm_points", "strength"),
    )

    paper_id: int = Field(foreign_key="paper.id", primary_key=True)
    summary_id: int | None = Field(
        default=None, foreign_key="summary.id", description="the summary readers see"
    )
    engine: str | None = Field(default=None, description="who made it (None: no summary)")
    has_claims: bool | None = Field(default=None, description="whether it claims any gain")
    strength: float = Field(default=0.0, description="its claim strength (0: none)")
    status: str = Field(default="draft", description="review status of the current abstract")
    failed: bool = Field(default=False, description="the newest machine attempt failed")
    failure_id: int | None = Field(
        default=None, foreign_key="summary.id", description="the newest failed attempt"
    )
    rating_id: int | None = Field(
        default=None, foreign_key="summary.id", description="the newest LLM relevance rating"
    )
    llm_points: int = Field(default=0, description="that rating's score (0: none)")


class GainRecord(SQLModel, table=True):
    """One claimed gain of a summary, in the schema of ANNOTATION.md."""

    __tablename__ = "gain"

    id: int | None = Field(default=None, primary_key=True)
    summary_id: int = Field(foreign_key="summary.id", index=True)
    position: int
    metric: str
    value: float
    value_high: float | None = None
    unit: str
    kind: str
    qualifier: str | None = None
    baseline: str | None = Field(default=None, sa_column=Column(Text))
    condition: str | None = Field(default=None, sa_column=Column(Text))
    quote: str = Field(sa_column=Column(Text, nullable=False))


class Digest(SQLModel, table=True):
    """A digest that was written, so `digest --since` knows what readers have seen."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    path: str | None = None
    format: str = "markdown"
    paper_count: int = 0
    sent_to: str | None = Field(default=None, description="email recipients, comma-separated")
    note: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON), description="the editor's note as shown"
    )


class DigestEntry(SQLModel, table=True):
    __tablename__ = "digest_entry"

    digest_id: int = Field(foreign_key="digest.id", primary_key=True)
    paper_id: int = Field(foreign_key="paper.id", primary_key=True)
    summary_id: int | None = Field(
        default=None, foreign_key="summary.id", description="the summary readers saw"
    )
    position: int | None = None
    section: str | None = None
    score: float | None = Field(default=None, description="relevance to the profile")
    reasons: list[str] | None = Field(default=None, sa_column=Column(JSON))
    review: str | None = Field(default=None, description="review status when sent")


class EvalRun(SQLModel, table=True):
    """One evaluation of an engine/model/prompt against a gold set, with every score."""

    __tablename__ = "eval_run"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    engine: str
    model: str | None = None
    prompt_version: str
    judge_prompt: str | None = None
    gold_set: str = Field(description="name of the gold file and a hash of its content")
    papers: int = 0
    scores: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    per_paper: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    judge: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    wall_seconds: float = 0.0
    run_id: int | None = Field(default=None, foreign_key="run.id")


class Review(SQLModel, table=True):
    """One review action on a paper's summary; append-only, so the history is the table.

    A correction is stored as a Summary with engine "human" (model = the reviewer), which
    readers see before any machine summary of the same abstract; `correction_id` points to it.
    """

    id: int | None = Field(default=None, primary_key=True)
    paper_id: int = Field(foreign_key="paper.id", index=True)
    abstract_hash: str
    summary_id: int | None = Field(default=None, foreign_key="summary.id")
    action: str = Field(description="approve, correct, reject or reopen")
    status: str = Field(description="status after the action: approved, corrected, rejected, draft")
    reviewer: str
    note: str | None = Field(default=None, sa_column=Column(Text))
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    correction_id: int | None = Field(default=None, foreign_key="summary.id")
    created_at: datetime = Field(default_factory=utcnow)


class WorkLease(SQLModel, table=True):
    """A worker's claim on one paper for one task (engine/model/prompt), until it expires.

    Workers claim papers before summarizing them and delete the lease in the transaction that
    stores the result, so two workers (threads, processes or machines sharing PostgreSQL) never
    summarize the same paper; a lease whose worker died expires and the paper is claimed again.
    """

    __tablename__ = "work_lease"
    __table_args__ = (UniqueConstraint("paper_id", "task"),)

    id: int | None = Field(default=None, primary_key=True)
    paper_id: int = Field(foreign_key="paper.id", index=True)
    task: str = Field(description="engine:model:prompt version the paper is claimed for")
    abstract_hash: str
    worker: str = Field(description="host:pid:nonce of the claiming process")
    claimed_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class LLMBatch(SQLModel, table=True):
    """One job of the provider's Batch API (half price, answers within 24 h), resumable by id."""

    __tablename__ = "llm_batch"

    id: int | None = Field(default=None, primary_key=True)
    remote_id: str | None = Field(default=None, index=True, description="the provider's batch id")
    task: str
    model: str
    prompt: str
    status: str = Field(description="preparing, submitted, <provider status>, collected, failed")
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    requests: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False),
        description="custom_id -> {paper_ids, refs}",
    )
    error: str | None = Field(default=None, sa_column=Column(Text))
    run_id: int | None = Field(default=None, foreign_key="run.id")
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class EndpointCapability(SQLModel, table=True):
    """The structured-output mode an endpoint+model was found to take (learned from a refusal)."""

    __tablename__ = "endpoint_capability"

    base_url: str = Field(primary_key=True, description="endpoint base URL, without credentials")
    model: str = Field(primary_key=True)
    structured_output: str = Field(description="json_schema, json_object or prompt")
    reason: str | None = Field(default=None, sa_column=Column(Text), description="the refusal")
    learned_at: datetime = Field(default_factory=utcnow)


class PaperVector(SQLModel, table=True):
    """A paper's dense embedding for `ask`, tied to the model and the abstract it was made from."""

    __tablename__ = "paper_vector"

    paper_id: int = Field(foreign_key="paper.id", primary_key=True)
    model: str = Field(description="embedding model name and dimension, e.g. wordllama-l2-256")
    abstract_hash: str = Field(description="the paper's abstract_hash when it was embedded")
    vector: bytes = Field(description="float16 little-endian, unit length")


class PaperVectorTodo(SQLModel, table=True):
    """A paper whose vector is missing or stale (queued by triggers, migration 0015)."""

    __tablename__ = "paper_vector_todo"

    paper_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True,
            autoincrement=False,
        )
    )  # fmt: skip


class VectorBlock(SQLModel, table=True):
    """The vectors of up to 4,096 papers (by id), as `ask` reads them into memory."""

    __tablename__ = "vector_block"

    model: str = Field(primary_key=True)
    block: int = Field(
        sa_column=Column(Integer, primary_key=True, autoincrement=False),
        description="paper id // the block size",
    )
    revision: int = Field(description="higher each time the block is rewritten")
    ids: bytes = Field(description="paper ids, int64 little-endian, ascending")
    vectors: bytes = Field(description="one int8 row of the dimension a paper")
    scales: bytes = Field(description="float32 a paper: its vector is the int8 row times this")
