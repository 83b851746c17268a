"""Pacing requests to an endpoint: concurrency, requests and tokens per minute, and backing off.

One `RateLimiter` is shared by every thread sending requests for a run. Before a request a thread
calls `acquire(tokens)`, which waits until

* fewer than `limit` requests are in flight (the limit starts at the configured concurrency,
  halves when the endpoint pushes back with a 429, and grows back by one per `limit` successes:
  additive increase, multiplicative decrease, as TCP does);
* the request and token buckets (`requests_per_minute`, `tokens_per_minute`) have room;
* any pause the endpoint asked for is over (`x-ratelimit-remaining-*: 0` with its reset time).

Retrying a 429 itself is the client's job (agent/llm/client.py `_send`); this only keeps the *next*
requests from running into the same wall, so the run goes as fast as the limits allow and no
faster. `release(...)` reports what happened.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from agent.core.errors import LLMCallError

log = logging.getLogger(__name__)

_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_reset(value: str | None) -> float | None:
    """Seconds in an x-ratelimit-reset-* header: "1s", "6m0s", "20ms", "0.5" → float."""
    if not value:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    parts = _DURATION_RE.findall(value)
    if not parts:
        return None
    return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in parts)


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    try:
        return int(float(headers[name]))
    except (KeyError, ValueError):
        return None


class _Bucket:
    """Token bucket: `rate_per_minute` refills evenly; holds at most `burst_seconds` of it."""

    def __init__(self, rate_per_minute: float, burst_seconds: float = 5.0) -> None:
        self.rate = rate_per_minute / 60.0
        self.capacity = max(self.rate * burst_seconds, 1.0)
        self.level = self.capacity
        self.stamp = time.monotonic()

    def wait_for(self, amount: float, now: float) -> float:
        """Seconds until `amount` is available (0 when it is now)."""
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now
        # A request bigger than the whole bucket waits until the bucket is full, then goes.
        need = min(amount, self.capacity)
        return 0.0 if self.level >= need else (need - self.level) / self.rate

    def take(self, amount: float) -> None:
        self.level -= amount


@dataclass
class LimiterStats:
    """What the limiter did, for benchmarks and the run report."""

    requests: int = 0
    rate_limited: int = 0
    waited_seconds: float = 0.0
    lowest_limit: int = 0


class RateLimiter:
    """Shared by the threads of one run; see the module docstring."""

    def __init__(
        self,
        max_concurrency: int,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        max_wait: float = 60.0,
    ) -> None:
        # A pause the endpoint asks for longer than this fails the request instead (a one-hour
        # rate-limit reset would otherwise stall the run silently).
        self.max_wait = max_wait
        self.max_concurrency = max(1, max_concurrency)
        self._limit = float(self.max_concurrency)
        self._in_flight = 0
        self._requests = _Bucket(requests_per_minute) if requests_per_minute else None
        self._tokens = _Bucket(tokens_per_minute) if tokens_per_minute else None
        self._paused_until = 0.0
        self._cond = threading.Condition()
        self.stats = LimiterStats(lowest_limit=self.max_concurrency)

    @property
    def limit(self) -> int:
        return max(1, int(self._limit))

    def acquire(self, tokens: int) -> None:
        """Block until a request of about `tokens` tokens may be sent."""
        started = time.monotonic()
        with self._cond:
            pause = self._paused_until - started
            if pause > self.max_wait:
                raise LLMCallError(
                    f"the endpoint's rate limit resets in {pause:.0f} s, more than "
                    f"llm.max_retry_wait ({self.max_wait:.0f} s): try again later or raise "
                    "llm.max_retry_wait"
                )
            if pause > 5:
                log.warning("waiting %.0f s for the endpoint's rate limit to reset", pause)
            while True:
                now = time.monotonic()
                wait = self._paused_until - now
                if self._in_flight >= self.limit:
                    wait = max(wait, 0.05)  # woken by release(); the timeout is a safety net
                if self._requests is not None:
                    wait = max(wait, self._requests.wait_for(1, now))
                if self._tokens is not None:
                    wait = max(wait, self._tokens.wait_for(tokens, now))
                if wait <= 0:
                    break
                self._cond.wait(timeout=wait)
            if self._requests is not None:
                self._requests.take(1)
            if self._tokens is not None:
                self._tokens.take(tokens)
            self._in_flight += 1
            self.stats.requests += 1
            self.stats.waited_seconds += time.monotonic() - started

    def release(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        retries: int = 0,
        rate_limited: bool = False,
        retry_after: float | None = None,
    ) -> None:
        """Report how a request went: its response headers, SDK retries, a final 429."""
        with self._cond:
            self._in_flight -= 1
            now = time.monotonic()
            if rate_limited or retries > 0:
                # The SDK retried (almost always a 429 or 5xx under load): back off.
                self.stats.rate_limited += 1
                self._limit = max(1.0, self._limit / 2)
                self.stats.lowest_limit = min(self.stats.lowest_limit, self.limit)
                if retry_after:
                    self._paused_until = max(self._paused_until, now + retry_after)
            else:
                self._limit = min(float(self.max_concurrency), self._limit + 1.0 / self._limit)
            if headers:
                self._follow_headers(headers, now)
            self._cond.notify_all()

    def _follow_headers(self, headers: Mapping[str, str], now: float) -> None:
        # OpenAI (and vLLM/LiteLLM proxies) send how much of the window is left; when nothing
        # is, wait for the reset instead of collecting 429s.
        for kind in ("requests", "tokens"):
            remaining = _int_header(headers, f"x-ratelimit-remaining-{kind}")
            reset = parse_reset(headers.get(f"x-ratelimit-reset-{kind}"))
            # The requests still in flight will use up what is left.
            if remaining is not None and remaining <= self._in_flight and reset:
                self._paused_until = max(self._paused_until, now + reset)
