"""The review server answers only its own host, only its own pages' posts, and is never framed.

* Host allow-list: a request whose Host header names another host is refused (400). A page on
  evil.example whose name resolves to 127.0.0.1 (DNS rebinding) reaches the server with
  `Host: evil.example`, so it is refused before any route runs.
* Every POST whose Origin (or, without one, Referer) is another origin is refused (403), on
  top of the CSRF token (agent/review/web/csrf.py).
* Every response says it may not be framed by another site (X-Frame-Options, CSP
  frame-ancestors) and carries a Content-Security-Policy; the digest preview's own page sets its
  stricter policy, framed by this origin only.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def allowed_hosts(bind: str, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The names the server answers to when bound to `bind` (`paperskim serve --host`).

    Always this machine's loopback names; the bound address itself; when bound to every
    interface (0.0.0.0, ::), this machine's host names too. `extra`: names it is reached by.
    """
    names = set(LOOPBACK_NAMES) | {h.lower() for h in extra}
    bind = bind.strip("[]").lower()
    if bind in ("0.0.0.0", "::", ""):
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    else:
        names.add(bind)
    return frozenset(names)


def host_name(host_header: str) -> str:
    """The host of a Host header or URL netloc, without port or IPv6 brackets, lowercased."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host.rstrip(".")


def _same_origin(source: str, request: Request) -> bool:
    """True when `source` (an Origin or Referer) is this very server, as the browser reached it."""
    try:
        parts = urlsplit(source)
    except ValueError:
        return False
    host = request.headers.get("host", "")
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


class HostGuard:
    """ASGI middleware applying the three rules above to every HTTP request."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = self._refusal(request)
        if refusal is not None:
            await _with_headers(refusal)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                if b"x-frame-options" not in names:
                    headers.append((b"x-frame-options", b"DENY"))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _refusal(self, request: Request) -> Response | None:
        if host_name(request.headers.get("host", "")) not in self.hosts:
            return PlainTextResponse(
                "unknown host: this review server answers only the address it was started on "
                "(see `paperskim serve --host/--allow-host`)",
                status_code=400,
            )
        if request.method in UNSAFE_METHODS:
            origin = request.headers.get("origin")
            source = origin if origin is not None else request.headers.get("referer")
            if source is not None and not _same_origin(source, request):
                return PlainTextResponse(
                    "refused: this request came from another site's page", status_code=403
                )
        return None


def _with_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    return response
