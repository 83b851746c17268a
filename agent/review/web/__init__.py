"""The review web UI (FastAPI, server-rendered templates, htmx): `create_app(settings)`."""

from agent.review.web.app import create_app

__all__ = ["create_app"]
