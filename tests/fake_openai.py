"""A local OpenAI-compatible HTTP server for tests.

Tests drive the real ``openai.OpenAI`` / ``openai.AsyncOpenAI`` client against it with
``base_url=server.url``. The installed SDK sends through ``httpx2``, so transport-patching
libraries (respx and friends) cannot intercept it; a real socket on 127.0.0.1 can.

Stdlib only. Each request runs on its own daemon thread, so concurrent requests work and a
handler that is still sleeping never blocks ``stop()``.

    with FakeOpenAIServer() as server:
        server.script(Reply.error(429, headers={"retry-after-ms": "1"}), Reply.content("hi"))
        client = openai.OpenAI(base_url=server.url, api_key="test-key")
        client.chat.completions.create(model="m", messages=[...])

Note on retries: the SDK only honours a *positive* server delay. ``Retry-After: 0`` falls back
to its own exponential backoff (about 0.4-0.5 s for the first retry); send
``{"retry-after-ms": "1"}`` to make a retry effectively immediate.
"""

from __future__ import annotations

import contextlib
import email
import itertools
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

DEFAULT_MODEL = "fake-model"

# OpenAI's error "type" per status; anything unlisted is reported as a server error.
_ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "invalid_request_error",
    409: "conflict_error",
    422: "invalid_request_error",
    429: "rate_limit_exceeded",
}


def _word_count(value: Any) -> int:
    """Rough token count: whitespace-separated words in every string inside ``value``."""
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, Mapping):
        return sum(_word_count(v) for v in value.values())
    if isinstance(value, list):
        return sum(_word_count(v) for v in value)
    return 0


def _prompt_words(messages: list[Any]) -> int:
    """Words in the messages' content (plain strings or text parts), not in roles or names."""
    total = 0
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, list):
            content = [p.get("text") for p in content if isinstance(p, Mapping)]
        total += _word_count(content)
    return total


# What a request without max_tokens reserves against a token limit.
DEFAULT_MAX_TOKENS = 4096


def _limit_headers(kind: str, limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        f"x-ratelimit-limit-{kind}": str(limit),
        f"x-ratelimit-remaining-{kind}": str(remaining),
        f"x-ratelimit-reset-{kind}": f"{max(reset, 0.001):.3f}s",
    }


def _room_wait(
    entries: deque[list[float]], used: float, amount: float, limit: int, window: float, now: float
) -> float:
    """Seconds until a window holding `entries` has room for `amount` more (when it has room
    now: until its oldest entry ages out, which is what x-ratelimit-reset-* says)."""
    if used + amount <= limit or not entries:
        return (entries[0][0] + window - now) if entries else window
    freed = 0.0
    for admitted_at, charge in entries:
        freed += charge
        if used - freed + amount <= limit:
            return admitted_at + window - now
    return entries[-1][0] + window - now


def _error_body(message: str, error_type: str, code: str | None) -> bytes:
    payload = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    return json.dumps(payload).encode()


@dataclass(frozen=True)
class Reply:
    """What the server answers to one request. Build it with the static constructors."""

    status: int = 200
    # Assistant message for a chat completion; rendered against the request (model, usage).
    message: dict[str, Any] | None = None
    finish_reason: str = "stop"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    # Sent verbatim when set (errors, raw replies, other endpoints).
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering; cut short by stop().
    delay: float = 0.0
    # Close the connection without sending any response.
    disconnect: bool = False

    @staticmethod
    def content(
        text_or_obj: Any,
        finish_reason: str = "stop",
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
    ) -> Reply:
        """A chat completion whose message content is ``text_or_obj`` (non-str → json.dumps).

        Usage defaults to whitespace word counts of the request messages' content / this content.
        """
        text = text_or_obj if isinstance(text_or_obj, str) else json.dumps(text_or_obj)
        return Reply(
            message={"role": "assistant", "content": text, "refusal": None},
            finish_reason=finish_reason,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )

    @staticmethod
    def tool_calls(
        calls: list[tuple[str, Mapping[str, Any] | str]],
        finish_reason: str = "tool_calls",
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
    ) -> Reply:
        """An assistant message calling tools: ``[(name, arguments), ...]``.

        Arguments given as a mapping are JSON-encoded; a str is sent as-is (e.g. broken JSON).
        """
        tool_calls = [
            {
                "id": f"call_fake_{i}",
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": args if isinstance(args, str) else json.dumps(args),
                },
            }
            for i, (name, args) in enumerate(calls)
        ]
        return Reply(
            message={
                "role": "assistant",
                "content": None,
                "refusal": None,
                "tool_calls": tool_calls,
            },
            finish_reason=finish_reason,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )

    @staticmethod
    def error(
        status: int,
        message: str = "fake server error",
        headers: Mapping[str, str] | None = None,
        error_type: str | None = None,
        code: str | None = None,
    ) -> Reply:
        """An error in OpenAI's format: ``{"error": {"message", "type", "param", "code"}}``."""
        error_type = error_type or _ERROR_TYPES.get(status, "server_error")
        return Reply(
            status=status,
            body=_error_body(message, error_type, code),
            headers=dict(headers or {}),
        )

    @staticmethod
    def hang(seconds: float, then: Reply | None = None) -> Reply:
        """Wait ``seconds`` before answering with ``then`` (default: a valid "ok" completion)."""
        return replace(then or Reply.content("ok"), delay=seconds)

    @staticmethod
    def raw(status: int, body: bytes, content_type: str = "application/json") -> Reply:
        """Send ``body`` verbatim, e.g. truncated JSON."""
        return Reply(status=status, body=body, content_type=content_type)

    @staticmethod
    def json_body(payload: Any, status: int = 200) -> Reply:
        """Send ``payload`` JSON-encoded (for endpoints other than chat completions)."""
        return Reply(status=status, body=json.dumps(payload).encode())

    @staticmethod
    def drop() -> Reply:
        """Close the connection without answering (the SDK sees a connection error)."""
        return Reply(disconnect=True)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # keys lower-cased
    raw_body: bytes
    body: Any  # parsed JSON, or None if empty / not JSON
    received_at: float  # time.monotonic()


Route = Callable[[RecordedRequest], Reply]


class FakeOpenAIServer:
    """OpenAI-compatible server on 127.0.0.1 (ephemeral port) for tests.

    Chat-completion requests take scripted replies in order; when the script is empty,
    ``handler(request_body)`` decides; with no handler the answer is a 500 "no scripted reply"
    (marked ``x-should-retry: false`` so the SDK fails at once instead of backing off).
    """

    def __init__(
        self,
        handler: Callable[[dict[str, Any]], Reply] | None = None,
        latency: float = 0.0,
        *,
        token_latency: float = 0.0,
        rate_limit: tuple[int, float] | None = None,
        token_limit: tuple[int, float] | None = None,
        token_charge: str = "reserved",
        count_prompt: Callable[[list[Any]], int] | None = None,
        response_formats: set[str] | None = None,
        refusal_status: int = 500,
    ) -> None:
        self.handler = handler
        # The response_format types this server takes (None: all). Others are refused the way
        # llama-cpp-python's server refuses json_schema: a 500 carrying a pydantic error.
        self.response_formats = response_formats
        self.refusal_status = refusal_status
        self.latency = latency
        # Seconds per completion token, added to a chat completion's delay (generation time).
        self.token_latency = token_latency
        # (requests, seconds): at most that many chat completions admitted per sliding window;
        # beyond it a 429 with retry-after-ms, and x-ratelimit-* headers on every answer.
        self.rate_limit = rate_limit
        self._admitted: deque[list[float]] = deque()  # [admitted at, 1]
        # (tokens, seconds): at most that many tokens charged per sliding window. A request is
        # charged when it is admitted: its prompt tokens plus max_tokens (OpenAI's rule: the
        # reservation counts, "reserved"), or with token_charge="used", that reservation is
        # brought down to prompt + completion tokens once the answer is made.
        self.token_limit = token_limit
        self.token_charge = token_charge
        self._charged: deque[list[float]] = deque()  # [admitted at, tokens]
        # Prompt tokens of a request's messages (usage and the token limit); default: words.
        self.count_prompt = count_prompt or _prompt_words
        self.charged_tokens = 0  # what the token limit counted, over the server's life
        self.rate_limited = 0
        self._lock = threading.Lock()
        self._script: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._models: list[str] = []
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        # (method, path) -> route. Add /v1/files, /v1/batches, ... here.
        # A path segment "{id}" matches any one segment.
        self.routes: dict[tuple[str, str], Route] = {
            ("POST", "/v1/chat/completions"): self._chat_completions,
            ("GET", "/v1/models"): self._list_models,
            ("POST", "/v1/files"): self._upload_file,
            ("GET", "/v1/files/{id}/content"): self._file_content,
            ("POST", "/v1/batches"): self._create_batch,
            ("GET", "/v1/batches/{id}"): self._retrieve_batch,
        }
        # Batch API: uploaded files, batches, and how many retrieves a batch takes to finish.
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_polls_to_complete = 1

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        if self._httpd is not None:
            raise RuntimeError("FakeOpenAIServer already started")
        self._stopping.clear()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler, self)
        # A short poll interval keeps stop() (shutdown waits one poll) fast in teardown.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openai",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()  # wakes handlers sleeping in hang()/latency
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL for the SDK, e.g. ``http://127.0.0.1:54321/v1``."""
        if self._httpd is None:
            raise RuntimeError("FakeOpenAIServer is not running; call start()")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    # -- scripting and inspection ----------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Queue replies, consumed in order by chat-completion requests."""
        with self._lock:
            self._script.extend(replies)

    @property
    def pending(self) -> int:
        """Scripted replies not yet consumed."""
        with self._lock:
            return len(self._script)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a snapshot)."""
        with self._lock:
            return list(self._requests)

    def chat_requests(self) -> list[dict[str, Any]]:
        """Bodies of the chat-completion requests received so far."""
        return [
            r.body for r in self.requests if r.method == "POST" and r.path == "/v1/chat/completions"
        ]

    # -- routes ----------------------------------------------------------------------------

    def _admit(
        self, body: dict[str, Any], prompt_tokens: int
    ) -> tuple[Reply | None, dict[str, str], list[float] | None]:
        """Sliding-window limits on requests and tokens: a 429 when either window has no room
        for this request, else the x-ratelimit-* headers to send and the request's token charge
        (a mutable [admitted at, tokens] entry, brought down to usage for token_charge="used")."""
        if self.rate_limit is None and self.token_limit is None:
            return None, {}, None
        now = time.monotonic()
        reserve = prompt_tokens + int(body.get("max_tokens") or DEFAULT_MAX_TOKENS)
        with self._lock:
            windows: list[tuple[str, int, float, deque[list[float]], float]] = []
            if self.rate_limit is not None:
                windows.append(("requests", *self.rate_limit, self._admitted, 1.0))
            if self.token_limit is not None:
                windows.append(("tokens", *self.token_limit, self._charged, float(reserve)))
            state = []
            for _kind, limit, window, entries, amount in windows:
                while entries and entries[0][0] <= now - window:
                    entries.popleft()
                used = sum(charge for _, charge in entries)
                wait = _room_wait(entries, used, amount, limit, window, now)
                state.append((used, wait, used + amount <= limit))
            admitted = all(fits for _, _, fits in state)
            headers: dict[str, str] = {}
            for (kind, limit, _, _, amount), (used, wait, _) in zip(windows, state, strict=True):
                left = limit - used - (amount if admitted else 0)
                headers.update(_limit_headers(kind, limit, max(int(left), 0), wait))
            if not admitted:
                self.rate_limited += 1
                waits = [wait for _, wait, fits in state if not fits]
                headers["retry-after-ms"] = str(max(int(max(waits) * 1000), 1))
                kinds = " and ".join(
                    w[0] for w, (_, _, fits) in zip(windows, state, strict=True) if not fits
                )
                refusal = Reply.error(429, f"Rate limit reached for {kinds}", headers=headers)
                return refusal, {}, None
            charge: list[float] | None = None
            for kind, _limit, _window, entries, amount in windows:
                entries.append([now, amount])
                if kind == "tokens":
                    charge = entries[-1]
                    self.charged_tokens += int(amount)
        return None, headers, charge

    def _chat_completions(self, request: RecordedRequest) -> Reply:
        body = request.body
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return Reply.error(400, "request body must be JSON with a 'messages' list")
        fmt = body.get("response_format")
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        if self.response_formats is not None and kind and kind not in self.response_formats:
            allowed = " or ".join(f"'{k}'" for k in sorted(self.response_formats))
            return Reply.error(
                self.refusal_status,
                "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n  "
                f"Input should be {allowed} [type=literal_error, input_value='{kind}']",
            )
        prompt_count = self.count_prompt(body["messages"])
        refused, limit_headers, charge = self._admit(body, prompt_count)
        if refused is not None:
            return refused
        with self._lock:
            model = body.get("model")
            if isinstance(model, str) and model not in self._models:
                self._models.append(model)
            reply = self._script.popleft() if self._script else None
        if reply is None:
            if self.handler is None:
                return Reply.error(500, "no scripted reply", headers={"x-should-retry": "false"})
            try:
                reply = self.handler(body)
            except Exception as exc:  # surface the test's own bug instead of hanging the SDK
                return Reply.error(
                    500, f"handler raised {exc!r}", headers={"x-should-retry": "false"}
                )
        if reply.message is None:
            return reply
        completion_tokens = reply.completion_tokens
        if completion_tokens is None:
            calls = reply.message.get("tool_calls") or []
            completion_tokens = _word_count(reply.message.get("content")) + _word_count(
                [c["function"]["arguments"] for c in calls]
            )
        prompt_tokens = reply.prompt_tokens
        if prompt_tokens is None:
            prompt_tokens = prompt_count
        if charge is not None and self.token_charge == "used":
            with self._lock:
                refund = charge[1] - (prompt_count + completion_tokens)
                charge[1] -= refund
                self.charged_tokens -= int(refund)
        completion = {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", DEFAULT_MODEL),
            "choices": [
                {
                    "index": 0,
                    "message": reply.message,
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return replace(
            reply,
            body=json.dumps(completion).encode(),
            headers={**limit_headers, **reply.headers},
            delay=reply.delay + self.token_latency * completion_tokens,
        )

    def _list_models(self, request: RecordedRequest) -> Reply:
        with self._lock:
            names = list(self._models) or [DEFAULT_MODEL]
        data = [
            {"id": n, "object": "model", "created": 0, "owned_by": "fake-openai"} for n in names
        ]
        return Reply.json_body({"object": "list", "data": data})

    # -- Batch API: /v1/files and /v1/batches ----------------------------------------------

    def _upload_file(self, request: RecordedRequest) -> Reply:
        """Multipart upload as the SDK sends it (parts "purpose" and "file")."""
        ctype = request.headers.get("content-type", "")
        message = email.message_from_bytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + request.raw_body
        )
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in message.walk():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str):
                payload = part.get_payload(decode=True)
                fields[name] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
        if "file" not in fields:
            return Reply.error(400, "no file part in the upload")
        filename, data = fields["file"]
        with self._lock:
            file_id = f"file-fake-{next(self._ids)}"
            self.files[file_id] = data
        return Reply.json_body(self._file_object(file_id, filename or "upload", "batch"))

    def _file_object(self, file_id: str, filename: str, purpose: str) -> dict[str, Any]:
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(self.files[file_id]),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
        }

    def _file_content(self, request: RecordedRequest) -> Reply:
        file_id = request.path.split("/")[3]
        with self._lock:
            data = self.files.get(file_id)
        if data is None:
            return Reply.error(404, f"No such File object: {file_id}")
        return Reply.raw(200, data, content_type="application/octet-stream")

    def _create_batch(self, request: RecordedRequest) -> Reply:
        body = request.body if isinstance(request.body, dict) else {}
        input_file_id = body.get("input_file_id")
        if input_file_id not in self.files:
            return Reply.error(400, f"input file {input_file_id} not found")
        with self._lock:
            batch_id = f"batch_fake_{next(self._ids)}"
            self.batches[batch_id] = {
                "id": batch_id,
                "object": "batch",
                "endpoint": body.get("endpoint", "/v1/chat/completions"),
                "errors": None,
                "input_file_id": input_file_id,
                "completion_window": body.get("completion_window", "24h"),
                "status": "validating",
                "output_file_id": None,
                "error_file_id": None,
                "created_at": int(time.time()),
                "request_counts": {"total": 0, "completed": 0, "failed": 0},
                "metadata": body.get("metadata"),
                "_polls": 0,
            }
            return Reply.json_body(_public(self.batches[batch_id]))

    def _retrieve_batch(self, request: RecordedRequest) -> Reply:
        batch_id = request.path.split("/")[3]
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return Reply.error(404, f"No such Batch object: {batch_id}")
            batch["_polls"] += 1
            finish = batch["status"] in ("validating", "in_progress") and (
                batch["_polls"] >= self.batch_polls_to_complete
            )
            if not finish and batch["status"] == "validating":
                batch["status"] = "in_progress"
        if finish:
            self._run_batch(batch)
        with self._lock:
            return Reply.json_body(_public(batch))

    def _run_batch(self, batch: dict[str, Any]) -> None:
        """Answer every line of the input file through the chat-completions route."""
        outputs: list[str] = []
        errors: list[str] = []
        for line in self.files[batch["input_file_id"]].decode().splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            inner = RecordedRequest(
                method="POST",
                path="/v1/chat/completions",
                query="",
                headers={},
                raw_body=json.dumps(item["body"]).encode(),
                body=item["body"],
                received_at=time.monotonic(),
            )
            with self._lock:
                self._requests.append(inner)
            reply = self._chat_completions(inner)
            try:
                payload = json.loads(reply.body or b"null")
            except ValueError:
                payload = {"error": {"message": "malformed body"}}
            result = {
                "id": f"batch_req_{next(self._ids)}",
                "custom_id": item["custom_id"],
                "response": {
                    "status_code": reply.status,
                    "request_id": f"req_{next(self._ids)}",
                    "body": payload,
                },
                "error": None,
            }
            (outputs if reply.status == 200 else errors).append(json.dumps(result))
        with self._lock:
            for kind, lines in (("output_file_id", outputs), ("error_file_id", errors)):
                if lines:
                    file_id = f"file-fake-{next(self._ids)}"
                    self.files[file_id] = ("\n".join(lines) + "\n").encode()
                    batch[kind] = file_id
            batch["status"] = "completed"
            batch["request_counts"] = {
                "total": len(outputs) + len(errors),
                "completed": len(outputs),
                "failed": len(errors),
            }

    def _dispatch(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
        route = self.routes.get((request.method, request.path)) or self._pattern_route(request)
        if route is None:
            return Reply.error(
                404, f"Unknown request URL: {request.method} {request.path}", code="unknown_url"
            )
        return route(request)

    def _pattern_route(self, request: RecordedRequest) -> Route | None:
        parts = request.path.split("/")
        for (method, pattern), route in self.routes.items():
            expected = pattern.split("/")
            if method != request.method or len(expected) != len(parts):
                continue
            if all(
                e == p or (e.startswith("{") and p) for e, p in zip(expected, parts, strict=True)
            ):
                return route
        return None


def _public(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in batch.items() if not k.startswith("_")}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # never wait for a handler that is still sleeping

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        fake: FakeOpenAIServer,
    ) -> None:
        super().__init__(address, handler)
        self.fake = fake
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._conns_lock:
            if alive:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def close_connections(self) -> None:
        """End keep-alive connections so their handler threads exit with the server."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):  # already closed by the client
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, alive=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, alive=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        url = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=url.path,
            query=url.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            raw_body=raw,
            body=parsed,
            received_at=time.monotonic(),
        )
        reply = fake._dispatch(request)
        wait = fake.latency + reply.delay
        if wait > 0 and fake._stopping.wait(wait):
            self.close_connection = True
            return  # server stopping: drop the connection instead of answering
        if reply.disconnect:
            self.close_connection = True
            return
        payload = reply.body or b""
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-request-id", f"req_fake_{next(fake._ids)}")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. its timeout fired during hang()); nothing to answer.
            self.close_connection = True


__all__ = ["DEFAULT_MODEL", "FakeOpenAIServer", "RecordedRequest", "Reply"]
