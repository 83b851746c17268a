"""The one place paperskim talks to an LLM. Nothing else imports `openai`.

Every request sent is logged to the store as an LLMCall (model, prompt name/version, tokens
in/out, latency, cost estimate, finish reason, error), successful or not, and committed at once,
so a crash never hides what was paid for. Transport faults (429, 5xx, timeouts, connection
errors) are retried here, by `_send`, with the SDK's own retries set to zero: an SDK retry is
invisible to the caller, so cost and `stats` would undercount (issue 16), and its wait for a
Retry-After has no cap. Here a wait the endpoint asks for longer than `max_retry_wait` fails the
request at once with a message saying so. A 429 from an endpoint that is answering other requests
is pacing: it is waited out without counting against `max_retries` (agent/llm/limits.py keeps the
next requests inside the limits).

The structured-output mode is found, not assumed: a request refused as unsupported
(`response_format`/`json_schema` rejected, with a 4xx or a 5xx) is not retried as a transport
fault but sent again in the next mode (json_schema → json_object → prompt), and the mode that
worked is remembered per endpoint and model in the store and said once.
Invalid *answers* are the caller's business (agent/summarize/llm_engine.py).
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session

from agent.config import LLMSettings
from agent.core.errors import LLMCallError
from agent.core.urls import safe_url
from agent.llm.limits import RateLimiter, Ticket, parse_reset
from agent.llm.tokens import count_tokens
from prompts import Prompt
from store.capabilities import known_mode, remember_mode
from store.tables import LLMCall

if TYPE_CHECKING:
    import openai

# `openai` (most of a second to import) is imported in the functions that use it, all reached
# only once an LLM is configured: the offline engine and the command line never load it.

log = logging.getLogger(__name__)

Message = dict[str, str]
# A request's max_tokens, or how to work it out when the request goes (see RateLimiter.acquire).
OutputSize = int | Callable[[], int]
# Told an answer's finish reason and completion tokens before the next request may go.
AnswerHook = Callable[[str | None, int], None]

# Strongest first: a refusal moves one step down this list.
MODES = ("json_schema", "json_object", "prompt")

# What servers say when they do not take a response_format (llama-cpp-python's server answers
# json_schema with a 500 and a pydantic error naming the allowed types; vLLM/Ollama a 400).
_UNSUPPORTED_RE = re.compile(
    r"response_format|json_schema|json_object|structured output|grammar|"
    r"not supported|unsupported|unknown (?:parameter|field|argument)|extra (?:inputs|fields)",
    re.IGNORECASE,
)
_RETRY_STATUSES = {408, 409, 429}
_BACKOFF_FIRST = 0.5
_BACKOFF_MAX = 8.0


@dataclass(frozen=True)
class Completion:
    """What came back from one request, and what it cost."""

    content: str
    finish_reason: str | None
    input_tokens: int
    output_tokens: int
    latency_ms: int
    cost_usd: float | None
    call_id: int | None


def make_client(settings: LLMSettings) -> openai.OpenAI:
    """An SDK client for the configured endpoint. Its own retries are off: `LLM._send` retries,
    so that every attempt is logged and every wait is capped."""
    import openai

    key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
    return openai.OpenAI(
        api_key=key,  # local servers (vLLM, Ollama, llama.cpp) accept any key
        base_url=settings.base_url,
        timeout=settings.timeout,
        max_retries=0,
    )


def response_format(mode: str, schema_model: type[BaseModel]) -> dict[str, Any] | None:
    """The `response_format` for a structured-output mode, or None when the server has none."""
    from openai.lib._pydantic import to_strict_json_schema

    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {
                "name": schema_model.__name__,
                "strict": True,
                "schema": to_strict_json_schema(schema_model),
            },
        }
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def schema_instructions(schema_model: type[BaseModel]) -> str:
    """The JSON schema spelled out for servers that cannot enforce one."""
    from openai.lib._pydantic import to_strict_json_schema

    schema = json.dumps(to_strict_json_schema(schema_model), separators=(",", ":"))
    return (
        f"\n\nAnswer with one JSON object, nothing else, that follows this JSON schema:\n{schema}"
    )


DEFAULT_MAX_CONCURRENCY = 64
# The Batch API bills half the live price (OpenAI's published discount).
BATCH_DISCOUNT = 0.5


def make_limiter(settings: LLMSettings, concurrency: int) -> RateLimiter:
    return RateLimiter(
        concurrency,
        requests_per_minute=settings.requests_per_minute,
        tokens_per_minute=settings.tokens_per_minute,
        max_wait=settings.max_retry_wait,
    )


# Tokens OpenAI adds to a prompt: a few per message, and the reply's priming.
_PER_MESSAGE = 4
_PER_REQUEST = 3


def prompt_tokens(body: dict[str, Any], model: str) -> int:
    """About the prompt tokens the endpoint will count for a request body: its messages and
    its response_format's schema (a little over, never much under: the rate limiter holds this
    until the usage reported replaces it)."""
    total = _PER_REQUEST
    for message in body["messages"]:
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(message)
        total += count_tokens(text or "", model) + _PER_MESSAGE
    if body.get("response_format") is not None:
        total += count_tokens(json.dumps(body["response_format"]), model)
    if body.get("tools"):
        total += count_tokens(json.dumps(body["tools"]), model)
    return total


class LLM:
    """A configured endpoint plus the store where its calls are logged."""

    def __init__(
        self,
        settings: LLMSettings,
        store: Engine | None,
        client: openai.OpenAI | None = None,
        run_id: int | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.client = client or make_client(settings)
        self.run_id = run_id
        # Paces every request this LLM sends (concurrency, RPM/TPM budgets, backing off).
        self.limiter = limiter or make_limiter(settings, DEFAULT_MAX_CONCURRENCY)
        self._mode: str | None = None  # the structured-output mode in use, once known
        # Ctrl-C: set once the run is stopping; requests still on the wire are then abandoned
        # (logged as such by `abandon`) rather than awaited, and nothing new is sent.
        self.stopped = threading.Event()
        self._in_flight: dict[int, tuple[LLMCall, float]] = {}
        self._in_flight_lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return safe_url(self.client.base_url).rstrip("/")

    @property
    def mode(self) -> str:
        """The structured-output mode to send: the configured one, or a weaker one this
        endpoint and model were found to need (remembered in the store)."""
        if self._mode is None:
            mode: str = self.settings.structured_output
            learned = known_mode(self.store, self.endpoint, self.model) if self.store else None
            if learned in MODES and MODES.index(learned) > MODES.index(mode):
                log.info("%s at %s takes %s (learned earlier)", self.model, self.endpoint, learned)
                mode = learned
            self._mode = mode
        return self._mode

    def _fall_back(self, refusal: str) -> bool:
        """Step down to the next structured-output mode after a refusal; False at the bottom."""
        current = self.mode
        if current == MODES[-1]:
            return False
        self._mode = MODES[MODES.index(current) + 1]
        log.warning(
            "%s at %s does not take structured output %s (%s); using %s from now on",
            self.model,
            self.endpoint,
            current,
            refusal[:160],
            self._mode,
        )
        if self.store is not None:
            remember_mode(self.store, self.endpoint, self.model, self._mode, refusal[:500])
        return True

    @property
    def model(self) -> str:
        return self.settings.model

    def estimate_cost(self, input_tokens: int, output_tokens: int) -> float | None:
        price = self.settings.price_for(self.model)
        if price is None:
            return None
        return (input_tokens * price.input + output_tokens * price.output) / 1_000_000

    def complete(
        self,
        messages: list[Message],
        *,
        prompt: Prompt,
        schema_model: type[BaseModel],
        max_tokens: OutputSize,
        paper_ids: list[int],
        attempt: int = 1,
        temperature: float | None = None,
        on_answer: AnswerHook | None = None,
    ) -> Completion:
        """Send one chat-completions request and log it. Raises LLMCallError on API failure.

        `max_tokens` may be a function: it is asked when the rate limiter lets the request go;
        `on_answer` hears of the answer before the limiter lets another go (so that one is
        sized by it). A refusal of the structured-output mode moves to the next mode and sends
        again."""
        while True:
            first = max_tokens() if callable(max_tokens) else max_tokens
            kwargs = self.request_body(messages, schema_model=schema_model, max_tokens=first)
            if temperature is not None:
                kwargs["temperature"] = temperature
            call = LLMCall(
                run_id=self.run_id,
                model=self.model,
                prompt=prompt.ref,
                paper_ids=paper_ids,
                attempt=attempt,
                request=json.dumps(kwargs["messages"], ensure_ascii=False),
            )
            try:
                choice = self._send(call, kwargs, max_tokens, on_answer)
                break
            except _Unsupported as refused:
                if not self._fall_back(refused.reason):
                    raise LLMCallError(refused.message) from None
        call.response = (choice.message.content if choice else None) or ""
        if choice is not None and getattr(choice.message, "refusal", None):
            call.error = f"model refused: {choice.message.refusal}"
        self._log(call)
        return self._completion(call, call.response)

    def complete_with_tools(
        self,
        messages: list[dict[str, Any]],
        *,
        prompt: Prompt,
        tools: list[dict[str, Any]],
        max_tokens: int,
        paper_ids: list[int] | None = None,
        attempt: int = 1,
        tool_choice: str = "auto",
    ) -> tuple[Completion, list[dict[str, str]]]:
        """One chat-completions request offering `tools` (OpenAI function tools), logged.

        Returns the completion and the tool calls asked for, each {"id", "name", "arguments"}
        with arguments as the raw JSON string the model wrote. `tool_choice="none"` asks for a
        final answer. Raises LLMCallError on API failure.
        """
        call = LLMCall(
            run_id=self.run_id,
            model=self.model,
            prompt=prompt.ref,
            paper_ids=paper_ids or [],
            attempt=attempt,
            request=json.dumps(messages, ensure_ascii=False),
        )
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.settings.temperature,
            "max_tokens": max_tokens,
            "tools": tools,
            "tool_choice": tool_choice,
        }
        choice = self._send(call, kwargs)
        calls = [
            {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}
            for c in ((choice.message.tool_calls or []) if choice else [])
            if c.type == "function"
        ]
        content = (choice.message.content if choice else None) or ""
        call.response = json.dumps({"tool_calls": calls}) if calls else content
        self._log(call)
        return self._completion(call, content), calls

    def _send(
        self,
        call: LLMCall,
        kwargs: dict[str, Any],
        max_tokens: OutputSize = 0,
        on_answer: AnswerHook | None = None,
    ) -> Any:
        """Send one request for `call` within the rate budget, retrying transport faults up to
        `max_retries` times, filling in its latency, usage, cost and finish reason; return the
        first choice (None if the server sent none).

        A 429 while the endpoint is answering other requests (it did within the last minute)
        is pacing, not a fault: it is waited out and not counted against `max_retries`, so no
        paper fails because the run went as fast as the limits allow. Every failed try is
        logged as its own row (so cost and `stats` count what was sent). On a final failure
        LLMCallError is raised; a refused response_format raises _Unsupported. `max_tokens`
        (a number, or a function asked when the request goes) is sent as the body's max_tokens.
        """
        prompt = prompt_tokens(kwargs, self.model)
        import openai

        tries = self.settings.max_retries + 1
        number = 1  # tries that count against max_retries
        while True:
            self._raise_if_stopped()
            ticket = self.limiter.acquire(prompt, max_tokens or int(kwargs["max_tokens"]))
            kwargs["max_tokens"] = ticket.output_reserved
            started = time.perf_counter()
            with self._in_flight_lock:
                self._in_flight[id(call)] = (call, started)
            try:
                raw = self.client.chat.completions.with_raw_response.create(**kwargs)
                response = raw.parse()
            except (openai.APIError, ValueError) as exc:
                self._raise_if_stopped()
                # ValueError: the SDK lets a cut-off or non-JSON response body through as a
                # json.JSONDecodeError rather than an openai error.
                failed = _copy_call(call)
                failed.latency_ms = int((time.perf_counter() - started) * 1000)
                self._release_after_error(exc, ticket)
                error = self._redact(describe_api_error(exc))
                message = f"{self.model} at {self.endpoint}: {error}"
                if "response_format" in kwargs and _is_unsupported(exc):
                    failed.error = f"{error} (structured output {self.mode} refused)"
                    self._log(failed)
                    raise _Unsupported(error, message) from None
                wait = self._retry_wait(exc, number)
                pacing = isinstance(exc, openai.RateLimitError) and self.limiter.recently_answered()
                if wait is not None and not isinstance(wait, str) and (pacing or number < tries):
                    if pacing:
                        failed.error = f"{error} (rate limited: waiting {wait:.1f} s; not a try)"
                    else:
                        failed.error = (
                            f"{error} (try {number} of {tries}; retrying in {wait:.1f} s)"
                        )
                        number += 1
                    self._log(failed)
                    time.sleep(wait)
                    continue
                if isinstance(wait, str):
                    error = f"{error}; {wait}"
                elif number > 1:
                    error = f"{error} (after {number} tries)"
                failed.error = error
                self._log(failed)
                raise LLMCallError(f"{self.model} at {self.endpoint}: {error}") from None
            finally:
                with self._in_flight_lock:
                    self._in_flight.pop(id(call), None)
            self._raise_if_stopped()
            call.latency_ms = int((time.perf_counter() - started) * 1000)
            break
        choice = response.choices[0] if response.choices else None
        usage = response.usage
        call.input_tokens = usage.prompt_tokens if usage else 0
        call.output_tokens = usage.completion_tokens if usage else 0
        call.finish_reason = choice.finish_reason if choice else None
        if on_answer is not None:
            on_answer(call.finish_reason, call.output_tokens)
        self.limiter.release(
            ticket,
            headers=raw.headers,
            usage=(call.input_tokens, call.output_tokens) if usage else None,
            retries=raw.retries_taken,
        )
        call.cost_usd = self.estimate_cost(call.input_tokens, call.output_tokens)
        return choice

    def _retry_wait(self, exc: Exception, number: int) -> float | str | None:
        """Seconds to wait before retrying `exc`, None if it is not worth retrying, or the reason
        (a str) the endpoint's requested wait is over `max_retry_wait`."""
        import openai

        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            headers = exc.response.headers
            if headers.get("x-should-retry") == "false" or exc.code == "insufficient_quota":
                return None  # a spent quota is a 429 too, and waiting does not refill it
            if (
                status not in _RETRY_STATUSES
                and status < 500
                and headers.get("x-should-retry") != "true"
            ):
                return None
            asked = parse_retry_after(headers)
            if asked is None and status == 429:
                asked = (
                    max(
                        (parse_reset(headers.get(f"x-ratelimit-reset-{k}")) or 0.0)
                        for k in ("requests", "tokens")
                    )
                    or None
                )
            if asked is not None:
                cap = self.settings.max_retry_wait
                if asked > cap:
                    return (
                        f"the endpoint asks to wait {asked:.0f} s before retrying, more than "
                        f"llm.max_retry_wait ({cap:.0f} s): try again later or raise "
                        "llm.max_retry_wait"
                    )
                if asked > 5:
                    log.warning("%s asks to wait %.0f s before retrying", self.endpoint, asked)
                return max(asked, 0.0)
        elif not isinstance(exc, (openai.APIConnectionError, ValueError)):
            return None
        backoff = min(_BACKOFF_FIRST * 2.0 ** (number - 1), _BACKOFF_MAX)
        return backoff * (0.75 + random.random() / 2)  # jitter: threads do not retry in step

    @staticmethod
    def _completion(call: LLMCall, content: str) -> Completion:
        return Completion(
            content=content,
            finish_reason=call.finish_reason,
            input_tokens=call.input_tokens,
            output_tokens=call.output_tokens,
            latency_ms=call.latency_ms,
            cost_usd=call.cost_usd,
            call_id=call.id,
        )

    def request_body(
        self, messages: list[Message], *, schema_model: type[BaseModel], max_tokens: int
    ) -> dict[str, Any]:
        """The chat-completions request body (for a live call or a Batch API line)."""
        mode = self.mode
        if mode != "json_schema":
            messages = [
                {
                    **messages[0],
                    "content": messages[0]["content"] + schema_instructions(schema_model),
                },
                *messages[1:],
            ]
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.settings.temperature,
            "max_tokens": max_tokens,
        }
        if (fmt := response_format(mode, schema_model)) is not None:
            body["response_format"] = fmt
        return body

    # -- Batch API (half price, answers within 24 h) -------------------------------------------

    def upload_batch_input(self, jsonl: bytes) -> str:
        """Upload a Batch API input file; return its file id."""
        created = self._batch_api(
            "upload", lambda: self.client.files.create(file=("batch.jsonl", jsonl), purpose="batch")
        )
        return str(created.id)

    def create_batch(self, input_file_id: str) -> dict[str, Any]:
        batch = self._batch_api(
            "create batch",
            lambda: self.client.batches.create(
                input_file_id=input_file_id,
                endpoint="/v1/chat/completions",
                completion_window="24h",
            ),
        )
        return dict(batch.model_dump())

    def retrieve_batch(self, batch_id: str) -> dict[str, Any]:
        batch = self._batch_api("poll batch", lambda: self.client.batches.retrieve(batch_id))
        return dict(batch.model_dump())

    def file_text(self, file_id: str) -> str:
        content = self._batch_api("download", lambda: self.client.files.content(file_id))
        return str(content.text)

    def _batch_api(self, what: str, send: Any) -> Any:
        # Batch API calls are not LLM calls (nothing to log); the SDK may retry them.
        import openai

        try:
            return send()
        except (openai.APIError, ValueError) as exc:
            message = self._redact(describe_api_error(exc))
            raise LLMCallError(
                f"Batch API {what} at {safe_url(self.client.base_url)}: {message}"
            ) from None

    def batch_call_row(
        self,
        body: dict[str, Any],
        *,
        prompt: Prompt,
        paper_ids: list[int],
        result: dict[str, Any],
    ) -> tuple[LLMCall, Completion]:
        """The call-log row for one Batch API result (billed at half the live price).

        Returned, not committed: the caller adds it in the transaction that stores the
        summaries made from it, so a crash never logs a result twice or stores one unlogged.
        """
        response = result.get("response") or {}
        status = response.get("status_code")
        payload = response.get("body") or {}
        call = LLMCall(
            run_id=self.run_id,
            model=self.model,
            prompt=prompt.ref,
            paper_ids=paper_ids,
            attempt=1,
            request=json.dumps(body["messages"], ensure_ascii=False),
        )
        if status != 200 or result.get("error"):
            error = result.get("error") or payload.get("error") or {}
            message = error.get("message") if isinstance(error, dict) else str(error)
            call.error = self._redact(f"batch request failed: HTTP {status}: {message}")
            return call, Completion("", None, 0, 0, 0, None, None)
        choices = payload.get("choices") or [{}]
        usage = payload.get("usage") or {}
        call.input_tokens = int(usage.get("prompt_tokens") or 0)
        call.output_tokens = int(usage.get("completion_tokens") or 0)
        full = self.estimate_cost(call.input_tokens, call.output_tokens)
        call.cost_usd = full * BATCH_DISCOUNT if full is not None else None
        call.finish_reason = choices[0].get("finish_reason")
        call.response = (choices[0].get("message") or {}).get("content") or ""
        completion = Completion(
            call.response,
            call.finish_reason,
            call.input_tokens,
            call.output_tokens,
            0,
            call.cost_usd,
            None,
        )
        return call, completion

    def _raise_if_stopped(self) -> None:
        # An answer arriving after Ctrl-C belongs to a request already logged as abandoned.
        if self.stopped.is_set():
            raise LLMCallError(f"{self.model} at {self.endpoint}: {ABANDONED}")

    def abandon(self) -> int:
        """Stop: send nothing more, and log every request still waiting for its answer as
        abandoned (what it cost is unknown; the server may still be working on it). Returns
        how many were abandoned."""
        self.stopped.set()
        with self._in_flight_lock:
            waiting = list(self._in_flight.values())
            self._in_flight.clear()
        for call, started in waiting:
            row = _copy_call(call)
            row.latency_ms = int((time.perf_counter() - started) * 1000)
            row.error = ABANDONED
            self._log(row, even_if_stopped=True)
        return len(waiting)

    def _release_after_error(self, exc: Exception, ticket: Ticket) -> None:
        import openai

        headers = getattr(getattr(exc, "response", None), "headers", None)
        rate_limited = isinstance(exc, openai.RateLimitError)
        retry_after = None
        if rate_limited and headers is not None:
            retry_after = parse_retry_after(headers)
        self.limiter.release(
            ticket,
            headers=headers,
            rate_limited=rate_limited,
            retry_after=retry_after,
            failed=not rate_limited,
        )

    def _redact(self, text: str) -> str:
        key = self.settings.api_key.get_secret_value() if self.settings.api_key else ""
        return text.replace(key, "***") if len(key) >= 8 else text

    def _log(self, call: LLMCall, *, even_if_stopped: bool = False) -> None:
        if self.store is None or (self.stopped.is_set() and not even_if_stopped):
            return
        with Session(self.store, expire_on_commit=False) as session:
            session.add(call)
            session.commit()


def parse_retry_after(headers: Any) -> float | None:
    """Seconds a 429 asks to wait (retry-after-ms, then retry-after in seconds or as an HTTP
    date), if it says."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) / divisor
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        return max(when.timestamp() - time.time(), 0.0)
    return None


ABANDONED = "abandoned: the run was interrupted (Ctrl-C) before the answer came"


class _Unsupported(Exception):
    """The endpoint refused the request's response_format."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _is_unsupported(exc: Exception) -> bool:
    """Whether an API error means "this endpoint does not take that response_format"."""
    import openai

    if not isinstance(exc, openai.APIStatusError) or exc.status_code in (401, 403, 404, 429):
        return False
    text = f"{exc.message} {getattr(exc, 'body', '')}"
    return exc.status_code in (400, 422, 500, 501) and bool(_UNSUPPORTED_RE.search(text))


def _copy_call(call: LLMCall) -> LLMCall:
    """A fresh row for one try of `call` (each try is its own logged request)."""
    return LLMCall(
        run_id=call.run_id,
        model=call.model,
        prompt=call.prompt,
        paper_ids=list(call.paper_ids),
        attempt=call.attempt,
        request=call.request,
    )


def describe_api_error(exc: Exception) -> str:
    """One line naming the failure; never includes request headers, so never the API key."""
    import openai

    if isinstance(exc, ValueError):
        return f"malformed response body from the server ({exc})"
    if isinstance(exc, openai.APITimeoutError):
        return "request timed out"
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot connect: {exc.__cause__ or exc}"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}: {exc.message}"
    return f"{exc.__class__.__name__}: {exc}"
