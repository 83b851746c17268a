"""The rate limiter on a fake clock: sliding windows, learned limits, AIMD, token counting.

No wall time: the clock advances only when the limiter waits, so each test checks what the
limiter lets through and when, exactly.
"""

from __future__ import annotations

import random
import threading

import pytest

from agent.llm.limits import Clock, RateLimiter, Ticket
from agent.summarize.output_budget import OutputBudget


class FakeClock(Clock):
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    def wait(self, cond: threading.Condition, timeout: float) -> None:
        self.t += timeout


def _answered(limiter: RateLimiter) -> None:
    """One request answered: the limiter has seen the endpoint answer (see the first-wave rule)."""
    limiter.release(limiter.acquire(0), usage=(0, 0))


def _over_any_window(sent: list[tuple[float, float]], window: float = 60.0) -> float:
    """The most charged in any `window` seconds of (sent at, charge) pairs."""
    return max(
        sum(charge for at, charge in sent if start <= at < start + window) for start, _ in sent
    )


@pytest.mark.parametrize("counting", ["usage", "reserved"])
def test_the_sliding_window_is_never_exceeded(counting: str) -> None:
    clock = FakeClock()
    limiter = RateLimiter(8, requests_per_minute=40, tokens_per_minute=20_000, clock=clock)
    limiter._counting = counting
    rng = random.Random(7)
    tickets: list[Ticket] = []
    for _ in range(400):
        prompt, reserve = rng.randint(300, 2500), rng.randint(100, 1500)
        ticket = limiter.acquire(prompt, reserve)
        clock.t += rng.random() * 2  # the request takes a while
        limiter.release(ticket, usage=(prompt - rng.randint(0, 5), rng.randint(0, reserve)))
        tickets.append(ticket)
    assert _over_any_window([(t.sent_at, 1) for t in tickets]) <= 40
    assert _over_any_window([(t.sent_at, t.tokens(counting)) for t in tickets]) <= 20_000
    # ... and it goes as fast as the window allows: the token budget is nearly all used.
    elapsed = tickets[-1].sent_at - tickets[0].sent_at
    used = sum(t.tokens(counting) for t in tickets[:-1])
    assert used / (elapsed / 60 + 1) > 0.9 * 20_000


def test_a_whole_window_goes_at_once_then_the_next_request_waits_for_it_to_age_out() -> None:
    clock = FakeClock()
    limiter = RateLimiter(64, requests_per_minute=600, clock=clock)
    start = clock.t
    for _ in range(600):
        limiter.release(limiter.acquire(1))
    assert clock.t == start  # no burst allowance on top of the window, and no waiting within it
    limiter.acquire(1)
    # The 601st waits for the first to age out (and the 1% a request takes to arrive).
    assert clock.t == pytest.approx(start + 60.6)


def test_a_reservation_is_held_in_flight_and_brought_to_the_usage_after() -> None:
    clock = FakeClock()
    limiter = RateLimiter(8, tokens_per_minute=10_000, clock=clock)
    _answered(limiter)
    first = limiter.acquire(2_000, 4_000)
    limiter.acquire(2_000, 2_000)  # still fits beside the first's full reservation
    limiter.release(first, usage=(2_100, 500))
    assert first.tokens("usage") == 2_600 and first.tokens("reserved") == 6_100
    limiter.acquire(2_000, 1_000)  # room freed by the first answer's usage
    assert clock.t == 1000.0


def test_a_429_for_tokens_the_usage_count_did_not_foresee_switches_to_counting_reservations() -> (
    None
):
    clock = FakeClock()
    limiter = RateLimiter(8, tokens_per_minute=10_000, clock=clock)
    for _ in range(3):
        limiter.release(limiter.acquire(1_000, 2_000), usage=(1_000, 500))  # 1,500 each
    ticket = limiter.acquire(1_000, 2_000)  # fits counting usage, not reservations
    assert not ticket.fits_reserved
    limiter.release(
        ticket,
        rate_limited=True,
        headers={"x-ratelimit-limit-tokens": "10000", "x-ratelimit-remaining-tokens": "1000"},
    )
    assert limiter.stats.counting == "reserved"
    # The earlier requests now count their reservations (3,000 each): the next waits.
    limiter.acquire(1_000, 2_000)
    assert clock.t > 1000.0


def test_a_429_that_reservations_do_not_explain_keeps_counting_usage() -> None:
    limiter = RateLimiter(8, tokens_per_minute=10_000, clock=FakeClock())
    ticket = limiter.acquire(1_000, 2_000)
    assert ticket.fits_reserved
    limiter.release(ticket, rate_limited=True, headers={"x-ratelimit-remaining-tokens": "0"})
    assert limiter.stats.counting == "usage"


def test_limits_named_in_the_headers_are_kept_over_the_window_the_resets_show() -> None:
    clock = FakeClock()
    limiter = RateLimiter(8, clock=clock)
    assert limiter.token_limit is None
    headers = {
        "x-ratelimit-limit-tokens": "5000",
        "x-ratelimit-remaining-tokens": "4000",
        "x-ratelimit-reset-tokens": "60s",
        "x-ratelimit-limit-requests": "100",
        "x-ratelimit-remaining-requests": "99",
        "x-ratelimit-reset-requests": "0.5s",
    }
    limiter.release(limiter.acquire(500, 500), headers=headers, usage=(600, 400))
    assert limiter.token_limit == 5000
    assert limiter.stats.learned["requests"].window == 0.5
    for _ in range(4):
        limiter.release(limiter.acquire(500, 500), usage=(600, 400))
    assert clock.t == 1000.0
    limiter.acquire(500, 500)  # 5 × 1,000 in the last minute: wait for the first to age out
    assert clock.t == pytest.approx(1060.6)


def test_a_wave_of_429s_halves_the_concurrency_once_and_successes_grow_it_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(16, clock=clock)
    wave = [limiter.acquire(100) for _ in range(16)]
    for ticket in wave:
        limiter.release(ticket, rate_limited=True, retry_after=1.0)
    assert limiter.limit == 8 and limiter.stats.decreases == 1  # not 16 halvings down to 1
    for _ in range(8):
        limiter.release(limiter.acquire(100))
    assert limiter.limit == 16  # grown back within eight answers
    late = limiter.acquire(100)  # sent after the last decrease: a new wave
    limiter.release(late, rate_limited=True)
    assert limiter.limit == 8 and limiter.stats.decreases == 2


def test_a_429_counts_as_pacing_only_while_the_endpoint_answers() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4, clock=clock)
    assert not limiter.recently_answered()  # nothing answered yet: a 429 is a refusal
    limiter.release(limiter.acquire(10))
    assert limiter.recently_answered()
    clock.t += 61
    assert not limiter.recently_answered()


def test_a_refused_request_uses_no_tokens_but_counts_as_a_request() -> None:
    limiter = RateLimiter(4, requests_per_minute=10, tokens_per_minute=1000, clock=FakeClock())
    ticket = limiter.acquire(500, 400)
    limiter.release(ticket, rate_limited=True)
    assert ticket.tokens("usage") == 0 and ticket.tokens("reserved") == 0
    assert limiter.stats.requests == 1


def test_max_tokens_is_sized_from_the_answers_with_headroom_for_their_spread() -> None:
    rng = random.Random(3)

    def answer(papers: int) -> int:  # 80-220 tokens a paper, 150 on average
        return sum(rng.randint(80, 220) for _ in range(papers)) + 8

    budget = OutputBudget(400)
    assert budget.max_tokens(32) == 400 * 32 + 200  # nothing measured: the setting
    for _ in range(20):
        budget.record(32, answer(32))
    sized = budget.max_tokens(32)
    assert 32 * 150 < sized < 1.25 * 32 * 150  # far below the setting's 13,000
    cut_off = sum(answer(32) > sized for _ in range(2000))
    assert cut_off <= 10  # about one in a thousand answers would need a second try
    assert budget.max_tokens(2) <= 400 * 2 + 200  # never above what the setting allows


def test_max_tokens_is_decided_when_the_request_goes_not_when_it_starts_waiting() -> None:
    clock = FakeClock()
    limiter = RateLimiter(8, tokens_per_minute=10_000, clock=clock)
    _answered(limiter)
    limiter.acquire(4_000, 4_000)  # fills most of the window for a minute

    def size() -> int:  # answers came in meanwhile: the budget a request needs went down
        return 4_000 if clock.t < 1030 else 1_000

    ticket = limiter.acquire(500, size)
    assert ticket.output_reserved == 1_000 and ticket.reserved == 1_500


def test_a_first_wave_that_would_fill_the_token_window_waits_for_the_first_answer() -> None:
    limiter = RateLimiter(32, tokens_per_minute=200_000)
    probe = limiter.acquire(9_000, 13_000)  # 32 of these would be 700,000 tokens
    admitted: list[Ticket] = []
    second = threading.Thread(target=lambda: admitted.append(limiter.acquire(9_000, 13_000)))
    second.start()
    second.join(timeout=0.3)
    assert not admitted  # held back while the first request is the only one out
    limiter.release(probe, usage=(9_000, 4_000))
    second.join(timeout=5)
    assert len(admitted) == 1


def test_a_first_wave_that_fits_the_token_window_goes_at_once() -> None:
    limiter = RateLimiter(4, tokens_per_minute=200_000, clock=FakeClock())
    tickets = [limiter.acquire(9_000, 13_000) for _ in range(4)]  # 88,000: under half
    assert len(tickets) == 4 and limiter.clock.now() == 1000.0
