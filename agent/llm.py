"""The one place paperskim talks to an LLM. Nothing else imports `openai`.

Every request is logged to the store as an LLMCall (model, prompt name/version, tokens in/out,
latency, cost estimate, finish reason, error), successful or not, and committed at once, so a
crash never hides what was paid for. Transport faults (429 honouring Retry-After, 5xx, timeouts,
connection errors) are retried by the openai SDK itself (`max_retries`); this module never
retries them a second time. Invalid *answers* are the caller's business (agent/llm_engine.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import openai
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session

from agent.config import LLMSettings
from agent.errors import LLMCallError
from prompts import Prompt
from store.tables import LLMCall

Message = dict[str, str]


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
    """An SDK client for the configured endpoint; the SDK owns transport retries."""
    key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
    return openai.OpenAI(
        api_key=key,  # local servers (vLLM, Ollama, llama.cpp) accept any key
        base_url=settings.base_url,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
    )


def response_format(mode: str, schema_model: type[BaseModel]) -> dict[str, Any] | None:
    """The `response_format` for a structured-output mode, or None when the server has none."""
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
    schema = json.dumps(to_strict_json_schema(schema_model), separators=(",", ":"))
    return (
        f"\n\nAnswer with one JSON object, nothing else, that follows this JSON schema:\n{schema}"
    )


class LLM:
    """A configured endpoint plus the store where its calls are logged."""

    def __init__(
        self,
        settings: LLMSettings,
        store: Engine | None,
        client: openai.OpenAI | None = None,
        run_id: int | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.client = client or make_client(settings)
        self.run_id = run_id

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
        max_tokens: int,
        paper_ids: list[int],
        attempt: int = 1,
    ) -> Completion:
        """Send one chat-completions request and log it. Raises LLMCallError on API failure."""
        mode = self.settings.structured_output
        if mode != "json_schema":
            messages = [
                {
                    **messages[0],
                    "content": messages[0]["content"] + schema_instructions(schema_model),
                },
                *messages[1:],
            ]
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.settings.temperature,
            "max_tokens": max_tokens,
        }
        if (fmt := response_format(mode, schema_model)) is not None:
            kwargs["response_format"] = fmt
        call = LLMCall(
            run_id=self.run_id,
            model=self.model,
            prompt=prompt.ref,
            paper_ids=paper_ids,
            attempt=attempt,
            request=json.dumps(messages, ensure_ascii=False),
        )
        started = time.perf_counter()
        try:
            response = self.client.chat.completions.create(**kwargs)
        except (openai.APIError, ValueError) as exc:
            # ValueError: the SDK lets a cut-off or non-JSON response body through as a
            # json.JSONDecodeError rather than an openai error.
            call.latency_ms = int((time.perf_counter() - started) * 1000)
            call.error = self._redact(describe_api_error(exc))
            self._log(call)
            raise LLMCallError(f"{self.model} at {self.client.base_url}: {call.error}") from None
        call.latency_ms = int((time.perf_counter() - started) * 1000)
        choice = response.choices[0] if response.choices else None
        usage = response.usage
        call.input_tokens = usage.prompt_tokens if usage else 0
        call.output_tokens = usage.completion_tokens if usage else 0
        call.cost_usd = self.estimate_cost(call.input_tokens, call.output_tokens)
        call.finish_reason = choice.finish_reason if choice else None
        call.response = (choice.message.content if choice else None) or ""
        if choice is not None and getattr(choice.message, "refusal", None):
            call.error = f"model refused: {choice.message.refusal}"
        self._log(call)
        return Completion(
            content=call.response,
            finish_reason=call.finish_reason,
            input_tokens=call.input_tokens,
            output_tokens=call.output_tokens,
            latency_ms=call.latency_ms,
            cost_usd=call.cost_usd,
            call_id=call.id,
        )

    def _redact(self, text: str) -> str:
        key = self.settings.api_key.get_secret_value() if self.settings.api_key else ""
        return text.replace(key, "***") if len(key) >= 8 else text

    def _log(self, call: LLMCall) -> None:
        if self.store is None:
            return
        with Session(self.store, expire_on_commit=False) as session:
            session.add(call)
            session.commit()


def describe_api_error(exc: Exception) -> str:
    """One line naming the failure; never includes request headers, so never the API key."""
    if isinstance(exc, ValueError):
        return f"malformed response body from the server ({exc})"
    if isinstance(exc, openai.APITimeoutError):
        return "request timed out (after the SDK's retries)"
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot connect: {exc.__cause__ or exc}"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}: {exc.message}"
    return f"{exc.__class__.__name__}: {exc}"
