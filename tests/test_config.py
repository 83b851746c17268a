from pathlib import Path

import pytest

from agent.config import load_settings
from agent.core.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "PAPERSKIM_DB",
        "PAPERSKIM_LLM__MODEL",
        "PAPERSKIM_LLM__BASE_URL",
        "PAPERSKIM_LLM__API_KEY",
        "OPENAI_API_KEY",
        "PAPERSKIM_ENGINE",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_use_the_offline_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSKIM_HOME", str(tmp_path / "home"))
    settings = load_settings()
    assert not settings.use_llm
    assert settings.database_url == f"sqlite:///{tmp_path / 'home' / 'paperskim.db'}"


def test_file_then_environment_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "paperskim.toml"
    config.write_text(
        'db = "from-file.db"\n[llm]\nmodel = "file-model"\nbase_url = "http://f/v1"\n'
    )
    monkeypatch.setenv("PAPERSKIM_CONFIG", str(config))
    settings = load_settings()
    assert settings.db == "from-file.db"
    assert settings.llm.model == "file-model"
    assert settings.use_llm

    monkeypatch.setenv("PAPERSKIM_LLM__MODEL", "env-model")
    monkeypatch.setenv("PAPERSKIM_DB", "from-env.db")
    settings = load_settings()
    assert (settings.llm.model, settings.db) == ("env-model", "from-env.db")
    assert settings.llm.base_url == "http://f/v1"  # untouched fields still come from the file

    settings = load_settings(db="from-flag.db", llm={"model": "flag-model"})
    assert (settings.llm.model, settings.db) == ("flag-model", "from-flag.db")


def test_api_key_only_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "paperskim.toml"
    config.write_text('[llm]\napi_key = "sk-in-a-file"\n')
    monkeypatch.setenv("PAPERSKIM_CONFIG", str(config))
    with pytest.raises(ConfigError, match="must not be in the config file"):
        load_settings()
    config.write_text("")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    settings = load_settings()
    assert settings.llm.api_key is not None
    assert settings.llm.api_key.get_secret_value() == "sk-from-env"
    assert "sk-from-env" not in repr(settings)
    assert settings.use_llm


def test_invalid_setting_names_the_field_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "paperskim.toml"
    config.write_text('[llm]\ntimeout = "soon"\n')
    monkeypatch.setenv("PAPERSKIM_CONFIG", str(config))
    with pytest.raises(ConfigError, match=r"llm\.timeout.*paperskim\.toml"):
        load_settings()


def test_unknown_setting_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "paperskim.toml"
    config.write_text('[llm]\nmodle = "typo"\n')
    monkeypatch.setenv("PAPERSKIM_CONFIG", str(config))
    with pytest.raises(ConfigError, match="modle"):
        load_settings()


def test_dated_model_snapshot_priced_like_its_family() -> None:
    settings = load_settings()
    assert settings.llm.price_for("gpt-4.1-mini-2025-04-14") == settings.llm.price_for(
        "gpt-4.1-mini"
    )
    assert settings.llm.price_for("my-local-llama") is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:s3cret@db:5432/p", "postgresql://u:***@db:5432/p"),
        ("http://user:pw@llm.local/v1", "http://user:***@llm.local/v1"),
        ("sqlite:////tmp/p.db", "sqlite:////tmp/p.db"),
        ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/v1/"),
    ],
)
def test_urls_are_shown_without_passwords(url: str, shown: str) -> None:
    from agent.core.urls import safe_url

    assert safe_url(url) == shown
