"""The fake OpenAI server, exercised through the real openai SDK over HTTP."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any, Protocol

import openai
import pytest

from tests.fake_openai import FakeOpenAIServer, Reply

MESSAGES: list[Any] = [
    {"role": "system", "content": "Summarize the abstract."},
    {"role": "user", "content": "We train a small model."},
]


class ClientFactory(Protocol):
    def __call__(self, max_retries: int = 0, timeout: float = 5.0) -> openai.OpenAI: ...


@pytest.fixture
def client(fake_openai: FakeOpenAIServer) -> Iterator[ClientFactory]:
    """Builds real SDK clients pointed at the fake server; closes them after the test."""
    made: list[openai.OpenAI] = []

    def make(max_retries: int = 0, timeout: float = 5.0) -> openai.OpenAI:
        sdk = openai.OpenAI(
            base_url=fake_openai.url, api_key="test-key", max_retries=max_retries, timeout=timeout
        )
        made.append(sdk)
        return sdk

    yield make
    for sdk in made:
        sdk.close()


def test_scripted_content_comes_back_with_usage(
    fake_openai: FakeOpenAIServer, client: ClientFactory
) -> None:
    fake_openai.script(Reply.content("A one line takeaway."))

    completion = client().chat.completions.create(model="gpt-x", messages=MESSAGES)

    assert completion.object == "chat.completion"
    assert completion.model == "gpt-x"
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == "A one line takeaway."
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 8  # words in the request messages
    assert completion.usage.completion_tokens == 4
    assert completion.usage.total_tokens == 12


def test_explicit_usage_and_json_content(
    fake_openai: FakeOpenAIServer, client: ClientFactory
) -> None:
    fake_openai.script(Reply.content({"takeaway": "x"}, prompt_tokens=100, completion_tokens=7))

    completion = client().chat.completions.create(model="m", messages=MESSAGES)

    assert json.loads(completion.choices[0].message.content or "") == {"takeaway": "x"}
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (100, 7)


def test_requests_are_recorded_with_authorization(
    fake_openai: FakeOpenAIServer, client: ClientFactory
) -> None:
    fake_openai.script(Reply.content("ok"))

    client().chat.completions.create(model="m", messages=MESSAGES, temperature=0)

    [request] = fake_openai.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == "Bearer test-key"
    assert fake_openai.chat_requests() == [{"model": "m", "messages": MESSAGES, "temperature": 0}]


def test_rate_limit_is_retried_by_the_sdk(
    fake_openai: FakeOpenAIServer, client: ClientFactory
) -> None:
    # The server's 429 carries the headers a real one sends; the SDK retries once and succeeds.
    # (How long it waits is not asserted here: timing belongs in bench/, not in unit tests.)
    fake_openai.script(
        Reply.error(429, "slow down", headers={"Retry-After": "0", "retry-after-ms": "1"}),
        Reply.content("ok"),
    )

    completion = client(max_retries=2).chat.completions.create(model="m", messages=MESSAGES)

    assert completion.choices[0].message.content == "ok"
    assert len(fake_openai.chat_requests()) == 2


def test_server_error_without_retries_raises(
    fake_openai: FakeOpenAIServer, client: ClientFactory
) -> None:
    fake_openai.script(Reply.error(500, "boom"), Reply.error(500, "boom"))
    sdk = client(max_retries=0)

    for _ in range(2):
        with pytest.raises(openai.InternalServerError) as info:
            sdk.chat.completions.create(model="m", messages=MESSAGES)
        assert info.value.status_code == 500
        assert "boom" in info.value.message
        assert info.value.request_id is not None

    assert len(fake_openai.requests) == 2  # no retries: one request per call


def test_hang_triggers_client_timeout(fake_openai: FakeOpenAIServer, client: ClientFactory) -> None:
    fake_openai.script(Reply.hang(2))

    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client(timeout=0.5).chat.completions.create(model="m", messages=MESSAGES)

    assert time.monotonic() - started < 1.5
    # teardown (the fixture's stop()) must not wait for the sleeping handler either


def test_truncated_content_keeps_finish_reason_length(
    fake_openai: FakeOpenAIServer, client: ClientFactory
) -> None:
    fake_openai.script(Reply.content('{"takeaway": "cut o', finish_reason="length"))

    completion = client().chat.completions.create(model="m", messages=MESSAGES)

    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[0].message.content == '{"takeaway": "cut o'


def test_tool_calls_are_parsed_by_the_sdk(
    fake_openai: FakeOpenAIServer, client: ClientFactory
) -> None:
    fake_openai.script(Reply.tool_calls([("record_summary", {"takeaway": "t", "gains": []})]))

    completion = client().chat.completions.create(model="m", messages=MESSAGES)

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.function.name == "record_summary"
    assert json.loads(call.function.arguments) == {"takeaway": "t", "gains": []}


def test_async_client(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.script(Reply.content("one"), Reply.content("two"))

    async def run() -> list[str | None]:
        sdk = openai.AsyncOpenAI(
            base_url=fake_openai.url, api_key="test-key", max_retries=0, timeout=5
        )
        async with sdk:
            results = await asyncio.gather(
                *(sdk.chat.completions.create(model="m", messages=MESSAGES) for _ in range(2))
            )
        return [r.choices[0].message.content for r in results]

    assert sorted(asyncio.run(run()), key=str) == ["one", "two"]
    assert len(fake_openai.chat_requests()) == 2


def test_handler_answers_when_script_is_empty(
    fake_openai: FakeOpenAIServer, client: ClientFactory
) -> None:
    fake_openai.script(Reply.content("scripted"))
    fake_openai.handler = lambda body: Reply.content(f"echo {body['messages'][-1]['content']}")
    sdk = client()

    first = sdk.chat.completions.create(model="m", messages=MESSAGES)
    second = sdk.chat.completions.create(model="m", messages=MESSAGES)

    assert first.choices[0].message.content == "scripted"
    assert second.choices[0].message.content == "echo We train a small model."


def test_no_scripted_reply_fails_fast_even_with_retries(
    fake_openai: FakeOpenAIServer, client: ClientFactory
) -> None:
    with pytest.raises(openai.InternalServerError, match="no scripted reply"):
        client(max_retries=2).chat.completions.create(model="m", messages=MESSAGES)

    assert len(fake_openai.requests) == 1  # x-should-retry: false stops the SDK's retries


def test_truncated_body_surfaces_as_json_decode_error(
    fake_openai: FakeOpenAIServer, client: ClientFactory
) -> None:
    fake_openai.script(Reply.raw(200, b'{"id": "chatcmpl-1", "choi'))

    # The SDK does not wrap this in an openai error: callers must catch ValueError themselves.
    with pytest.raises(json.JSONDecodeError):
        client().chat.completions.create(model="m", messages=MESSAGES)


def test_dropped_connection_is_a_connection_error(
    fake_openai: FakeOpenAIServer, client: ClientFactory
) -> None:
    fake_openai.script(Reply.drop())

    with pytest.raises(openai.APIConnectionError):
        client().chat.completions.create(model="m", messages=MESSAGES)


def test_models_lists_models_seen(fake_openai: FakeOpenAIServer, client: ClientFactory) -> None:
    sdk = client()
    assert [m.id for m in sdk.models.list()] == ["fake-model"]

    fake_openai.script(Reply.content("ok"))
    sdk.chat.completions.create(model="gpt-seen", messages=MESSAGES)

    assert [m.id for m in sdk.models.list()] == ["gpt-seen"]


def test_unknown_path_is_404_in_openai_format(
    fake_openai: FakeOpenAIServer, client: ClientFactory
) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client().embeddings.create(model="m", input="x")

    assert info.value.body == {
        "message": "Unknown request URL: POST /v1/embeddings",
        "type": "invalid_request_error",
        "param": None,
        "code": "unknown_url",
    }


def test_concurrent_requests_are_served_in_parallel(
    fake_openai: FakeOpenAIServer, client: ClientFactory
) -> None:
    fake_openai.handler = lambda body: Reply.hang(1.5, then=Reply.content("late"))
    sdk = client()
    results: list[str | None] = []

    def call() -> None:
        completion = sdk.chat.completions.create(model="m", messages=MESSAGES)
        results.append(completion.choices[0].message.content)

    threads = [threading.Thread(target=call) for _ in range(4)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert results == ["late"] * 4
    # four 1.5 s replies one after another would take 6 s; overlapped, about 1.5 s
    assert time.monotonic() - started < 4.5


def test_stop_does_not_wait_for_a_hanging_handler() -> None:
    server = FakeOpenAIServer(handler=lambda body: Reply.hang(30)).start()
    sdk = openai.OpenAI(base_url=server.url, api_key="test-key", max_retries=0, timeout=0.2)
    with sdk, pytest.raises(openai.APITimeoutError):
        sdk.chat.completions.create(model="m", messages=MESSAGES)

    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 10  # the handler would hang for 30 s
    with pytest.raises(RuntimeError):
        _ = server.url
