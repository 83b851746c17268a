import os
from collections.abc import Iterator
from pathlib import Path

# Wide, fixed terminal for rich tables printed by the CLI under test (read when consoles are made).
os.environ["COLUMNS"] = "200"

import pytest

from tests.fake_openai import FakeOpenAIServer

ROOT = Path(__file__).resolve().parent.parent
LISTING = ROOT / "data" / "trending_listing.txt"


@pytest.fixture(scope="session", autouse=True)
def tiktoken_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One offline tokenizer cache for the whole session, outside the user's home."""
    import os

    previous = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("tiktoken"))
    yield
    if previous is None:
        os.environ.pop("TIKTOKEN_CACHE_DIR", None)
    else:
        os.environ["TIKTOKEN_CACHE_DIR"] = previous


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's config, key or database."""
    import os

    for name in list(os.environ):
        if name.startswith("PAPERSKIM_") or name in (
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "DATABASE_URL",
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PAPERSKIM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    """A local OpenAI-compatible server on 127.0.0.1 (ephemeral port), stopped after the test."""
    with FakeOpenAIServer() as server:
        yield server


from tests.pg_server import PostgresServer, PostgresUnavailable  # noqa: E402


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session (tests/pg_server.py); skipped without binaries.

    `postgres_server.create_database()` gives a fresh empty database's URL for tests that need
    one of their own.
    """
    try:
        server = PostgresServer()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    with server:
        yield server


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """SQLAlchemy URL (postgresql+psycopg://...) of a database on the session's PostgreSQL."""
    return postgres_server.url
