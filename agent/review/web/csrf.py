"""CSRF protection: a signed token in a cookie that every state-changing request must echo.

Double-submit with a signature: the server hands out `nonce.hmac(secret, nonce)` in a cookie
(SameSite=Strict) and in the page; a POST must carry the same token in the `X-CSRF-Token`
header (htmx sends it) or the `csrf_token` form field, and its signature must be valid for this
process's secret. Another site can neither read the cookie nor forge a signed token. The secret
is made fresh per server process, so a page loaded before a restart must be reloaded.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request

COOKIE = "paperskim_csrf"
HEADER = "X-CSRF-Token"
FIELD = "csrf_token"


class CsrfSigner:
    """Makes and checks tokens with one secret."""

    def __init__(self, secret: bytes | None = None) -> None:
        self.secret = secret or secrets.token_bytes(32)

    def _sign(self, nonce: str) -> str:
        return hmac.new(self.secret, nonce.encode(), hashlib.sha256).hexdigest()

    def new_token(self) -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._sign(nonce)}"

    def is_valid(self, token: str | None) -> bool:
        if not token or "." not in token:
            return False
        nonce, signature = token.rsplit(".", 1)
        return hmac.compare_digest(signature, self._sign(nonce))


def token_for(request: Request) -> str:
    """The token this browser already holds, or a new one (set as a cookie by the response)."""
    signer: CsrfSigner = request.app.state.csrf
    held = request.cookies.get(COOKIE)
    return held if held and signer.is_valid(held) else signer.new_token()


async def require_csrf(request: Request) -> None:
    """Dependency of every state-changing route: 403 unless the token matches the cookie."""
    signer: CsrfSigner = request.app.state.csrf
    cookie = request.cookies.get(COOKIE)
    sent = request.headers.get(HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(FIELD)
        sent = field if isinstance(field, str) else None
    if not (cookie and sent and signer.is_valid(cookie) and hmac.compare_digest(cookie, sent)):
        raise HTTPException(
            status_code=403,
            detail="missing or invalid CSRF token: reload the page and try again",
        )
