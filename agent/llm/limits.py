"""Pacing requests to an endpoint: concurrency, requests and tokens per minute, and backing off.

One `RateLimiter` is shared by every thread sending requests for a run. Before a request a thread
calls `acquire(prompt_tokens, output_tokens)` (output_tokens: its max_tokens), which waits until

* fewer than `limit` requests are in flight (the limit starts at the configured concurrency,
  halves once per wave of 429s, and grows back by one per success: additive increase,
  multiplicative decrease, growing fast enough to come back within a run);
* every rate limit has room for the request: a limit is a number of requests or tokens in any
  sliding `window` of what was *sent* (not a bucket with a burst on top, which lets more through
  in some 60 s than the limit allows), so the limiter never sends more than a window holds
  (each request is held 1% longer than the window, for the time it takes to arrive);
* any pause the endpoint asked for is over;
* before the first answer, no other request is in flight if a first wave would take over half
  of the token window (so the rest are sized from that answer, see `_first_wave_too_big`).

The limits are the configured ones (`requests_per_minute`, `tokens_per_minute`, per 60 s) and the
ones the endpoint names in its `x-ratelimit-limit-*` headers, over a window as long as the
longest `x-ratelimit-reset-*` it has named (at most 60 s): the window of a sliding limit never
resets later than its length.

Tokens are counted as the endpoint counts them. A request holds its reservation (prompt +
max_tokens) while in flight; when the answer comes, `release(ticket, usage=...)` brings it to
what it used (prompt + completion tokens as the usage reports them). OpenAI instead charges the
reservation itself: the first 429 for tokens that the window would not have had if it counted
reservations switches the limiter to counting them (prompt as reported + max_tokens), for good.

A 429 pauses new requests until the reset it names; retrying it is the client's job
(agent/llm/client.py `_send`). `release(...)` reports how a request went.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from agent.core.errors import LLMCallError

log = logging.getLogger(__name__)

_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

# Providers' limits are per minute; a window is never taken to be longer.
MINUTE = 60.0
# A request is counted from when it is sent, the endpoint counts it from when it arrives: a
# little later. Holding each request in the window this share of it longer keeps the next one
# from arriving an instant before the endpoint's window has room (a 429 at every boundary).
SKEW = 0.01
# How long after the last answer a 429 still counts as pacing (see `recently_answered`).
ANSWERED_WITHIN = MINUTE

Kind = Literal["requests", "tokens"]
KINDS: tuple[Kind, ...] = ("requests", "tokens")


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


class Clock:
    """Time and waiting; tests pass a fake one that advances when waited on."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, cond: threading.Condition, timeout: float) -> None:
        cond.wait(timeout=timeout)


@dataclass
class Ticket:
    """One request let through: when it was sent and what it is charged."""

    sent_at: float
    number: int  # the order it was let through in
    reserved: int  # prompt + max_tokens (the prompt as reported once the answer came)
    output_reserved: int  # the max_tokens part
    used: int | None = None  # prompt + completion tokens, once the answer came
    refused: bool = False  # a 429: the endpoint did not take it, so it used no tokens
    # Whether every token limit had room for it counting reservations, not usage.
    fits_reserved: bool = True

    def tokens(self, counting: str) -> int:
        if self.refused:
            return 0
        if self.used is None or counting == "reserved":
            return self.reserved
        return self.used


@dataclass(frozen=True)
class Limit:
    """At most `amount` requests or tokens in any `window` seconds."""

    kind: Kind
    amount: float
    window: float = MINUTE


@dataclass
class LimiterStats:
    """What the limiter did, for benchmarks and the run report."""

    requests: int = 0
    rate_limited: int = 0
    waited_seconds: float = 0.0
    lowest_limit: int = 0
    decreases: int = 0  # waves of 429s, each halving the concurrency once
    counting: str = "usage"  # how tokens are counted: "usage" or "reserved"
    learned: dict[str, Limit] = field(default_factory=dict)


class RateLimiter:
    """Shared by the threads of one run; see the module docstring."""

    def __init__(
        self,
        max_concurrency: int,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        max_wait: float = 60.0,
        clock: Clock | None = None,
    ) -> None:
        # A pause the endpoint asks for longer than this fails the request instead (a one-hour
        # rate-limit reset would otherwise stall the run silently).
        self.max_wait = max_wait
        self.max_concurrency = max(1, max_concurrency)
        self.clock = clock or Clock()
        self._limit = float(self.max_concurrency)
        self._in_flight = 0
        self._configured: list[Limit] = []
        if requests_per_minute:
            self._configured.append(Limit("requests", requests_per_minute))
        if tokens_per_minute:
            self._configured.append(Limit("tokens", tokens_per_minute))
        self._learned: dict[Kind, Limit] = {}
        self._sent: deque[Ticket] = deque()  # the last minute's requests, oldest first
        self._counting = "usage"
        self._paused_until = 0.0
        # A 429 on a request let through before the last decrease is of the same wave.
        self._decreased_after = 0
        self._last_answer = -math.inf
        self._cond = threading.Condition()
        self.stats = LimiterStats(lowest_limit=self.max_concurrency)

    @property
    def limit(self) -> int:
        """Requests allowed in flight now."""
        return max(1, int(self._limit))

    @property
    def limits(self) -> list[Limit]:
        """The rate limits in force: configured and learned from the endpoint."""
        return [*self._configured, *self._learned.values()]

    @property
    def token_limit(self) -> float | None:
        """The most tokens one window may hold (the smallest token limit), if one is known."""
        return min((lim.amount for lim in self.limits if lim.kind == "tokens"), default=None)

    def recently_answered(self) -> bool:
        """Whether the endpoint answered a request within the last minute: a 429 then means
        "not now" (pacing), not "never" (a spent quota, a dead key)."""
        with self._cond:
            return self.clock.now() - self._last_answer <= ANSWERED_WITHIN

    # -- the window ---------------------------------------------------------------------------

    def _charge(self, ticket: Ticket, kind: Kind, counting: str) -> float:
        return 1.0 if kind == "requests" else float(ticket.tokens(counting))

    def _room_in(self, lim: Limit, amount: float, now: float, counting: str | None = None) -> float:
        """Seconds until `lim` has room for `amount` more (0: it has now). More than a whole
        window waits for the window to empty, then goes (the endpoint decides)."""
        counting = counting or self._counting
        span = lim.window * (1 + SKEW)
        # `sent_at + span > now`, written as the wait below is, so that rounding never lets a
        # request through that the window has no room for.
        inside = [t for t in self._sent if t.sent_at + span > now]
        used = sum(self._charge(t, lim.kind, counting) for t in inside)
        amount = min(amount, lim.amount)
        if used + amount <= lim.amount:
            return 0.0
        for ticket in inside:  # oldest first: wait for enough of them to age out
            used -= self._charge(ticket, lim.kind, counting)
            if used + amount <= lim.amount:
                return ticket.sent_at + span - now
        return inside[-1].sent_at + span - now

    def _forget_old(self, now: float) -> None:
        while self._sent and self._sent[0].sent_at + MINUTE * (1 + SKEW) <= now:
            self._sent.popleft()

    # -- sending ------------------------------------------------------------------------------

    def acquire(self, prompt_tokens: int, output_tokens: int | Callable[[], int] = 0) -> Ticket:
        """Block until a request of `prompt_tokens` plus `output_tokens` (its max_tokens) may be
        sent; return its ticket for `release`. `output_tokens` may be a function, asked while
        waiting: a request's max_tokens is decided when it goes, from what is known then."""
        size = output_tokens if callable(output_tokens) else lambda: output_tokens
        started = self.clock.now()
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
                now = self.clock.now()
                self._forget_old(now)
                wait = self._paused_until - now
                if self._in_flight >= self.limit:
                    wait = max(wait, 0.05)  # woken by release(); the timeout is a safety net
                output = size()
                tokens = prompt_tokens + output
                if self._first_wave_too_big(tokens):
                    wait = max(wait, 0.05)  # woken by the first answer's release()
                for lim in self.limits:
                    wait = max(
                        wait, self._room_in(lim, 1 if lim.kind == "requests" else tokens, now)
                    )
                if wait <= 0:
                    break
                self.clock.wait(self._cond, wait)
            fits_reserved = self._counting == "reserved" or all(
                self._room_in(lim, tokens, now, "reserved") <= 0
                for lim in self.limits
                if lim.kind == "tokens"
            )
            self.stats.requests += 1
            ticket = Ticket(now, self.stats.requests, tokens, output, fits_reserved=fits_reserved)
            self._sent.append(ticket)
            self._in_flight += 1
            self.stats.waited_seconds += now - started
            return ticket

    def _first_wave_too_big(self, tokens: int) -> bool:
        """Before any answer, a request's max_tokens is the setting's, far above what answers
        take. When a first wave of such requests would take over half of the token window, one
        goes alone and the rest wait for its answer, to be sized by what it took."""
        cap = self.token_limit
        return (
            self._last_answer == -math.inf
            and self._in_flight > 0
            and cap is not None
            and self.limit * tokens > cap / 2
        )

    def release(
        self,
        ticket: Ticket | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        usage: tuple[int, int] | None = None,
        retries: int = 0,
        rate_limited: bool = False,
        retry_after: float | None = None,
        failed: bool = False,
    ) -> None:
        """Report how a request went: its ticket, response headers, usage (prompt and
        completion tokens), SDK retries, a 429 (`rate_limited`), another failure."""
        with self._cond:
            self._in_flight -= 1
            now = self.clock.now()
            if ticket is not None and rate_limited:
                ticket.refused = True
            elif ticket is not None and usage is not None:
                prompt, completion = usage
                ticket.reserved = prompt + ticket.output_reserved
                ticket.used = prompt + completion
            if rate_limited or retries > 0:
                self._back_off(ticket, headers, now, retry_after)
            elif not failed:
                self._last_answer = now
                self._limit = min(float(self.max_concurrency), self._limit + 1.0)
            if headers:
                self._follow_headers(headers, ticket, now)
            self._cond.notify_all()

    def _back_off(
        self,
        ticket: Ticket | None,
        headers: Mapping[str, str] | None,
        now: float,
        retry_after: float | None,
    ) -> None:
        self.stats.rate_limited += 1
        # One decrease per wave: the requests already on the wire when the limit came down
        # were sent under the old limit, and their 429s say nothing new.
        if ticket is None or ticket.number > self._decreased_after:
            self._limit = max(1.0, self._limit / 2)
            self._decreased_after = self.stats.requests
            self.stats.decreases += 1
            self.stats.lowest_limit = min(self.stats.lowest_limit, self.limit)
        if retry_after:
            self._paused_until = max(self._paused_until, now + retry_after)
        # Refused for tokens although the window had room counting usage, and would not have
        # had counting reservations: the endpoint charges max_tokens (as OpenAI does).
        left = _int_header(headers or {}, "x-ratelimit-remaining-tokens")
        if (
            self._counting == "usage"
            and ticket is not None
            and not ticket.fits_reserved
            and left is not None
            and left < ticket.reserved
        ):
            self._counting = self.stats.counting = "reserved"
            log.info("the endpoint counts max_tokens against its token limit; so does paperskim")

    def _follow_headers(
        self, headers: Mapping[str, str], ticket: Ticket | None, now: float
    ) -> None:
        for kind in KINDS:
            amount = _int_header(headers, f"x-ratelimit-limit-{kind}")
            remaining = _int_header(headers, f"x-ratelimit-remaining-{kind}")
            reset = parse_reset(headers.get(f"x-ratelimit-reset-{kind}"))
            if amount:
                # OpenAI (and vLLM/LiteLLM proxies, Azure) name their limit on every answer.
                known = self._learned.get(kind)
                window = min(max(reset or 0.0, known.window if known else 0.0), MINUTE)
                self._learned[kind] = Limit(kind, amount, window or MINUTE)
                self.stats.learned[kind] = self._learned[kind]
            elif remaining is not None and reset:
                # A window of unknown size that is spent: wait for its reset, counted from
                # about when the endpoint said it (when the request was sent).
                need = 1 if kind == "requests" else (ticket.reserved if ticket else 1)
                if remaining < need + (self._in_flight if kind == "requests" else 0):
                    since = ticket.sent_at if ticket is not None else now
                    self._paused_until = max(self._paused_until, since + reset)
