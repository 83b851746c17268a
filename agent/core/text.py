"""Paper text on its way out: to a terminal, a Markdown digest, a link, a spreadsheet.

Titles, abstracts, urls and everything a model derived from them come from outside. Each way out
has one function here, used by every place that writes there, so the rule lives in one place.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

# ESC sequences: CSI (colours, cursor moves, ESC[8m "conceal"), OSC (window title, hyperlinks;
# ended by BEL or ST, or by nothing), other two-byte escapes; and their 8-bit C1 forms.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
# What is left of C0 and C1 controls (but newline and tab), DEL, and the bidirectional
# overrides that make a terminal show text in another order than it is stored.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with terminal control sequences and control characters removed.

    Newlines and tabs stay (a CR-LF becomes a newline); everything that could move the cursor,
    retitle the window, hide or recolour text, or reorder it on screen goes.
    """
    text = text.replace("\r\n", "\n")
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def http_url(url: str | None) -> str | None:
    """The link if it is an http(s) URL with a host, made safe to embed; else None.

    Anything else (javascript:, data:, file:, a relative path) is never made a link; callers
    show it as text. Characters that could end a Markdown link or an HTML attribute early
    (spaces, quotes, brackets, parentheses) are percent-encoded.
    """
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")) or _CONTROLS.search(url):
        return None
    try:
        if not urlsplit(url).hostname:
            return None
    except ValueError:  # an invalid IPv6 host, a bad port
        return None
    return quote(url, safe=":/?#[]@!$&*+,;=%~-._")


_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>!|])")


def markdown_text(text: str | None) -> str:
    """`text` as literal inline Markdown: no HTML, no links, images or emphasis, one line.

    HTML tags become entities (`<script>` shows as text); `[x](javascript:…)`, `![i](…)`,
    `<scheme:…>` autolinks and emphasis are backslash-escaped so no renderer makes them
    markup; a newline (which could start a link definition) becomes a space.
    """
    text = " ".join(printable(text or "").split())
    text = _ENTITY.sub("&amp;", text)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return text.replace("\\<", "&lt;").replace("\\>", "&gt;")


def markdown_code(text: str | None) -> str:
    """`text` as a Markdown code span (inside one nothing is markup): one line, no backticks."""
    return "`" + " ".join(printable(text or "").split()).replace("`", "'") + "`"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula: one starting with = + - @ (or a tab
    or CR, which some spreadsheets skip before reading one) gets a leading apostrophe (OWASP's
    advice for CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value
