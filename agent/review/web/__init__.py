"""The review web UI (FastAPI, server-rendered templates, htmx): `create_app(settings)`."""

from agent.review.web.app import ReviewServices, create_app

__all__ = ["ReviewServices", "create_app"]
