import hashlib
from pathlib import Path

import pytest

from agent.llm import tokens


def test_vocabularies_are_installed_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    cache = tokens.ensure_offline_vocabularies()
    assert cache == tmp_path
    for name, sha256 in tokens.VOCABULARIES.items():
        url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
        data = (tmp_path / hashlib.sha1(url.encode()).hexdigest()).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha256


def test_a_corrupt_cached_vocabulary_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    url = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
    target = tmp_path / hashlib.sha1(url.encode()).hexdigest()
    target.write_bytes(b"garbage")
    tokens.ensure_offline_vocabularies()
    assert hashlib.sha256(target.read_bytes()).hexdigest() == tokens.VOCABULARIES["o200k_base"]


def test_counts_are_real_bpe_counts() -> None:
    # Known o200k_base / cl100k_base encodings, not a length heuristic.
    assert tokens.count_tokens("hello world", "gpt-4o") == 2
    assert tokens.encoding_for("gpt-4o").name == "o200k_base"
    assert tokens.encoding_for("gpt-4").name == "cl100k_base"
    assert tokens.encoding_for("some-local-model").name == "o200k_base"
    text = "average speedup of 2.20x " * 50
    assert tokens.count_tokens(text) != len(text) // 4


def test_truncate_keeps_whole_tokens() -> None:
    text = "word " * 1000
    cut = tokens.truncate_to_tokens(text, 100)
    assert tokens.count_tokens(cut) <= 100
    assert text.startswith(cut)
    assert tokens.truncate_to_tokens("short", 100) == "short"
