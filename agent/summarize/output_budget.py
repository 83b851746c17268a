"""max_tokens for a batch, sized from the answers this run has had.

Providers charge a request's max_tokens against the tokens-per-minute limit (OpenAI reserves it
when the request is admitted), so a max_tokens far above what the answer takes spends the budget
on nothing: at 400 tokens a paper where answers take 150, most of what a request is charged is
reservation. Until an answer is in, the setting (`llm.output_tokens_per_paper`) is the budget;
after, the budget is what the answers took per paper, times the batch, plus headroom for how
much they vary, and never more than the setting allows.
"""

from __future__ import annotations

import math
import threading

# Before the answers show how much they vary, a paper's answer is taken to vary by PRIOR_SPREAD
# of the mean (answers of one prompt and model vary by less); the answers' own spread takes
# over as they come in, the prior weighing as much as one of them (a spread measured on three
# answers is often a quarter of the true one).
PRIOR_SPREAD = 0.5
PRIOR_WEIGHT = 1
# Headroom: this many standard deviations of a batch's answer size above its mean, so about
# one answer in a thousand is cut off (and sent again with the full budget).
SIGMAS = 3.0
# The answer's frame ({"papers": [...]}) and a margin for a small batch's rounding.
FRAME_TOKENS = 32
# Tokens on top of the per-paper setting for the frame of a whole answer.
SETTING_FRAME = 200


class OutputBudget:
    """Completion tokens to allow a request of n papers; shared by a run's threads."""

    def __init__(self, tokens_per_paper: int) -> None:
        self.tokens_per_paper = tokens_per_paper
        self._lock = threading.Lock()
        self._answers: list[tuple[int, int]] = []  # (papers, completion tokens)

    def ceiling(self, papers: int) -> int:
        """What the setting allows: llm.output_tokens_per_paper a paper, plus the frame."""
        return self.tokens_per_paper * papers + SETTING_FRAME

    def record(self, papers: int, completion_tokens: int) -> None:
        """A complete (not cut-off) answer for `papers` papers."""
        if papers > 0 and completion_tokens > 0:
            with self._lock:
                self._answers.append((papers, completion_tokens))

    def max_tokens(self, papers: int) -> int:
        """The answer's budget: measured size plus headroom, within the setting."""
        with self._lock:
            answers = list(self._answers)
        if not answers:
            return self.ceiling(papers)
        total_papers = sum(n for n, _ in answers)
        mean = sum(c for _, c in answers) / total_papers
        # Per-paper variance: how far each answer is from `mean` times its papers (an answer's
        # variance grows with its papers), over len - 1 degrees of freedom, and the prior.
        spread = sum((c - n * mean) ** 2 for n, c in answers) / total_papers * len(answers)
        prior = (PRIOR_SPREAD * mean) ** 2
        variance = (PRIOR_WEIGHT * prior + spread) / (PRIOR_WEIGHT + len(answers) - 1)
        # The uncertainty of the mean itself adds papers² × variance / papers measured.
        sd = math.sqrt(papers * variance + papers**2 * variance / total_papers)
        sized = math.ceil(papers * mean + SIGMAS * sd) + FRAME_TOKENS
        return min(sized, self.ceiling(papers))
