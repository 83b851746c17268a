"""What a source to fetch looks like on the command line (the rest of fetching is in fetch.py).

Kept apart from fetch.py, which loads the HTTP client and the store, so that the command line
can show this in its help and tell specs from files without loading either.
"""

from __future__ import annotations

SPEC_HELP = (
    "arxiv:CAT[+CAT] (arXiv API, newest submissions), arxiv-search:QUERY (an arXiv API "
    "search_query), arxiv-rss:CAT[+CAT] / arxiv-atom:CAT[+CAT] (today's listing), "
    "hf-daily[:YYYY-MM-DD] (Hugging Face daily papers), or any http(s) feed URL"
)


def is_spec(text: str) -> bool:
    """Whether a source names something to fetch rather than a local file."""
    return (
        text.startswith(
            ("arxiv:", "arxiv-search:", "arxiv-rss:", "arxiv-atom:", "http://", "https://")
        )
        or text == "hf-daily"
        or text.startswith("hf-daily:")
    )
