"""URLs fit to show."""

from __future__ import annotations


def safe_url(url: object) -> str:
    """A URL fit to print or store: any password in it (postgresql://u:pw@host, an endpoint
    with user:pw@) replaced by ***."""
    text = str(url)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return text
    userinfo, _, host = authority.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}{slash}{path}"
