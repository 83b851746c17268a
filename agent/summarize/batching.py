"""Packing abstracts into requests under a token budget counted with the real tokenizer.

Instructions and the output schema are paid once per request, so the more abstracts share a
request the cheaper each one is; the budget keeps a request inside the model's context and its
answer inside `max_tokens`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from agent.core.errors import ConfigError
from agent.llm.tokens import count_tokens, truncate_to_tokens
from prompts import Prompt

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchItem:
    """One paper as the model sees it: the id to answer with, title and (maybe cut) abstract."""

    paper_id: int
    ref: str
    title: str
    abstract: str
    tokens: int
    truncated: bool = False

    def as_json(self) -> dict[str, object]:
        return {"id": self.ref, "title": self.title, "abstract": self.abstract}


# How a prompt shows one paper in its papers block.
PaperJson = Callable[[BatchItem], dict[str, object]]


def render_papers(items: Sequence[BatchItem], paper_json: PaperJson | None = None) -> str:
    """The papers block of the prompt: a JSON array, so abstract text cannot break out of it.
    `paper_json` is how the prompt shows one paper (default: id, title, abstract).

    "</" is written "<\\/" (the same string to a JSON parser) so that no abstract can contain
    the literal closing tag of the block.
    """
    shown = paper_json or BatchItem.as_json
    # Compact JSON, one paper a line: every framing token is paid once per paper.
    lines = ",\n".join(_compact(shown(item)) for item in items)
    return f"[\n{lines}\n]".replace("</", "<\\/")


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def render_request(
    prompt: Prompt,
    items: Sequence[BatchItem],
    interests: str = "",
    paper_json: PaperJson | None = None,
) -> tuple[str, str]:
    """The system and user messages of a summarize request for `items`; the reader's interests
    go in only for prompt versions that can rate relevance (summarize/v3 and later)."""
    extra = {"interests": interests} if "interests" in prompt.optional else {}
    return prompt.render(papers=render_papers(items, paper_json), **extra)


def prompt_overhead(prompt: Prompt, model: str, interests: str = "") -> int:
    """Tokens a request costs before any paper is in it."""
    system, user = render_request(prompt, [], interests)
    return count_tokens(system, model) + count_tokens(user, model)


def make_item(
    paper_id: int,
    ref: str,
    title: str,
    abstract: str,
    model: str,
    max_tokens: int,
    paper_json: PaperJson | None = None,
) -> BatchItem:
    """A batch item, with an abstract too long for any request cut to fit (and said so).

    `paper_json` is how the prompt shows a paper (default: id, title, abstract); its tokens are
    the item's cost in the batch budget."""
    shown = paper_json or BatchItem.as_json
    item = BatchItem(paper_id, ref, title, abstract, 0)
    tokens = count_tokens(_compact(shown(item)), model)
    if tokens > max_tokens:
        log.warning("abstract of %s has %d tokens; cut to fit the batch budget", ref, tokens)
        cut = truncate_to_tokens(
            abstract, max(max_tokens - (tokens - count_tokens(abstract, model)), 16), model
        )
        item = BatchItem(paper_id, ref, title, cut, 0, truncated=True)
        tokens = count_tokens(_compact(shown(item)), model)
    return BatchItem(item.paper_id, ref, title, item.abstract, tokens, item.truncated)


# Share of the timeout a request may be planned to take (the speeds are estimates).
TIMEOUT_SHARE = 0.8
SMALLEST_PAPER_TOKENS = 64


def fit_to_timeout(
    *,
    timeout: float,
    prompt_tps: float | None,
    output_tps: float | None,
    output_per_paper: int,
    budget: int,
    max_papers: int,
    overhead: int,
) -> tuple[int, int]:
    """The (token budget, papers per request) under which a request can finish in `timeout`
    at the endpoint's speeds: no request is sent that would time out by construction.

    Raises ConfigError when not even one paper fits."""
    if not prompt_tps or not output_tps:
        return budget, max_papers
    for papers in range(max_papers, 0, -1):
        # The answer's budget is twice this after a cut-off answer (llm_engine), so plan for it.
        output_seconds = 2 * (output_per_paper * papers + 200) / output_tps
        room = int((timeout * TIMEOUT_SHARE - output_seconds) * prompt_tps)
        if room >= overhead + papers * SMALLEST_PAPER_TOKENS:
            return min(budget, room), papers
    raise ConfigError(
        f"a request for one paper cannot finish within llm.timeout ({timeout:.0f} s) at "
        f"{prompt_tps:g} prompt / {output_tps:g} output tokens a second: raise llm.timeout or "
        "lower llm.output_tokens_per_paper"
    )


# Whether a request of (prompt tokens, papers) fits: e.g. inside the endpoint's token limit.
Fits = Callable[[int, int], bool]


def pack_batches(
    items: Sequence[BatchItem],
    *,
    budget: int,
    overhead: int,
    max_papers: int,
    fits: Fits | None = None,
) -> list[list[BatchItem]]:
    """Greedy packing in input order: each batch holds as many papers as fit under `budget`."""
    return list(
        pack_stream(items, budget=budget, overhead=overhead, max_papers=max_papers, fits=fits)
    )


def pack_stream(
    items: Iterable[BatchItem],
    *,
    budget: int,
    overhead: int,
    max_papers: int,
    fits: Fits | None = None,
) -> Iterator[list[BatchItem]]:
    """Greedy packing of a stream in input order: each batch holds as many papers as fit under
    `budget` (and `fits`, asked as each batch grows), and is yielded as soon as it is full.

    Items are read one at a time, so papers can be claimed from the store just before they are
    needed instead of all at once.
    """
    current: list[BatchItem] = []
    used = overhead
    for item in items:
        if current and (
            used + item.tokens > budget
            or len(current) >= max_papers
            or (fits is not None and not fits(used + item.tokens, len(current) + 1))
        ):
            yield current
            current, used = [], overhead
        current.append(item)
        used += item.tokens
    if current:
        yield current
