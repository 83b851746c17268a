"""Marking quoted gains in an abstract, with everything else escaped."""

from __future__ import annotations

from markupsafe import Markup, escape


def quote_spans(text: str, quotes: list[str]) -> list[tuple[int, int, list[int]]]:
    """Where the quotes occur (first occurrence of each), merged where they overlap.

    Each span is (start, end, indexes of the quotes inside it), in text order; a quote not in
    the text (which validation would have refused) is simply not marked.
    """
    found = []
    for index, quote in enumerate(quotes):
        start = text.find(quote) if quote else -1
        if start >= 0:
            found.append((start, start + len(quote), index))
    spans: list[tuple[int, int, list[int]]] = []
    for start, end, index in sorted(found):
        if spans and start < spans[-1][1]:
            last_start, last_end, members = spans[-1]
            spans[-1] = (last_start, max(last_end, end), [*members, index])
        else:
            spans.append((start, end, [index]))
    return spans


def highlight_quotes(text: str, quotes: list[str]) -> Markup:
    """`text` as HTML with each quote in a <mark> numbered like its gain (1-based)."""
    parts: list[str] = []
    position = 0
    for start, end, members in quote_spans(text, quotes):
        label = ", ".join(str(i + 1) for i in members)
        parts.append(str(escape(text[position:start])))
        parts.append(
            f'<mark class="quote" title="gain {label}" data-gain="{label}">'
            f"{escape(text[start:end])}<sup>{label}</sup></mark>"
        )
        position = end
    parts.append(str(escape(text[position:])))
    return Markup("".join(parts))
