"""The digest preview as HTML.

Uses the digest's own HTML page (agent/digest_render.py `render_html_page`) when it is there,
shown in a sandboxed frame because it is a whole page with its own styles. Otherwise the
Markdown digest is rendered with markdown-it (installed with rich) with raw HTML disabled, so a
title containing `<script>` shows as text and markdown-it's link check refuses unsafe schemes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from markdown_it import MarkdownIt
from markupsafe import Markup

from agent.digest.select import DigestItem, render_markdown

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
PageRenderer = Callable[[list[DigestItem]], str]


def page_renderer() -> PageRenderer | None:
    """The digest's whole-page HTML renderer, if this version of paperskim has one."""
    try:
        from agent.digest.render import render_html_page
    except ImportError:
        return None
    return render_html_page


def digest_fragment(items: list[DigestItem], today: date | None = None) -> Markup:
    """The Markdown digest of `items` as an HTML fragment that is safe to embed."""
    return Markup(_markdown.render(render_markdown(items, today)))
