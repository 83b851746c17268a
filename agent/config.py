"""One settings object: config file, then environment, then command-line flags.

Precedence (lowest to highest): defaults < config file (TOML) < environment < flags.
The config file is `$PAPERSKIM_CONFIG`, else `./paperskim.toml`, else
`~/.config/paperskim/config.toml`. Environment variables use the prefix `PAPERSKIM_` and `__`
between section and field (`PAPERSKIM_LLM__MODEL`). The API key is read only from the
environment (`PAPERSKIM_LLM__API_KEY` or `OPENAI_API_KEY`), never from the config file, and is
never stored or logged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from agent.core.errors import ConfigError

StructuredMode = Literal["json_schema", "json_object", "prompt"]


def default_home() -> Path:
    """Where paperskim keeps its database and caches unless told otherwise."""
    if env := os.environ.get("PAPERSKIM_HOME"):
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "paperskim"


def config_path() -> Path | None:
    """The config file in force, or None when there is none."""
    if env := os.environ.get("PAPERSKIM_CONFIG"):
        return Path(env)
    for candidate in (Path("paperskim.toml"), Path.home() / ".config/paperskim/config.toml"):
        if candidate.is_file():
            return candidate
    return None


class Price(BaseModel):
    """Dollars per million tokens, for cost estimates."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(description="USD per 1M prompt tokens.")
    output: float = Field(description="USD per 1M completion tokens.")


# Published list prices (USD per 1M tokens) of common models; add your own under [llm.prices].
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4.1": Price(input=2.00, output=8.00),
    "gpt-4.1-mini": Price(input=0.40, output=1.60),
    "gpt-4.1-nano": Price(input=0.10, output=0.40),
    "gpt-4o": Price(input=2.50, output=10.00),
    "gpt-4o-mini": Price(input=0.15, output=0.60),
}


class LLMSettings(BaseModel):
    """The OpenAI-compatible endpoint and how requests are made."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(
        default=None,
        description="Endpoint base URL (OpenAI, Azure, vLLM, Ollama, llama.cpp), e.g. "
        "http://localhost:11434/v1. With neither this nor an API key set, the offline engine runs.",
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="API key; environment only (PAPERSKIM_LLM__API_KEY or OPENAI_API_KEY).",
    )
    model: str = Field(default="gpt-4.1-mini", description="Model name sent to the endpoint.")
    preset: Literal["remote", "local"] = Field(
        default="remote",
        description="remote: a hosted API. local: a model on this machine's CPU (llama.cpp, "
        "Ollama): 2 papers a request, one request at a time, a 600 s timeout, and speeds of "
        "30 prompt / 10 output tokens a second assumed; settings you give yourself win.",
    )
    prompt_tokens_per_second: float | None = Field(
        default=None,
        description="How fast the endpoint reads a prompt; with output_tokens_per_second, "
        "batches are cut so that a request can finish within `timeout`. None: not limited.",
    )
    output_tokens_per_second: float | None = Field(
        default=None, description="How fast the endpoint writes an answer (see above)."
    )
    structured_output: StructuredMode = Field(
        default="json_schema",
        description="json_schema: strict structured outputs; json_object: JSON mode for servers "
        "without schemas; prompt: schema in the prompt only, for servers with neither.",
    )
    extraction: Literal["full", "confirm"] = Field(
        default="full",
        description="full: the model extracts every gain, quote included (prompts/summarize/). "
        "confirm: the offline rules list the candidate numbers and the model only confirms and "
        "labels them and writes the takeaway (prompts/confirm/): every quote is verbatim by "
        "construction; for small local models (bench/bench_real_model.py compares the two).",
    )
    temperature: float = Field(default=0.0, description="Sampling temperature.")
    timeout: float = Field(default=120.0, description="Seconds before one request times out.")
    max_retries: int = Field(
        default=3,
        description="Transport retries of one request (429 honouring Retry-After, 5xx, "
        "timeouts, dropped connections); every try is logged.",
    )
    max_retry_wait: float = Field(
        default=60.0,
        description="Longest wait, in seconds, paperskim accepts when the endpoint asks it to "
        "hold off (Retry-After, rate-limit reset); a longer one fails the request with a message.",
    )
    max_reasks: int = Field(
        default=2, description="Re-asks with the validation errors when an answer is invalid."
    )
    batch_token_budget: int = Field(
        default=12000, description="Most prompt tokens in one request (instructions + abstracts)."
    )
    max_papers_per_batch: int = Field(
        default=32,
        description="Most papers in one request (32: instructions are paid once per request; "
        "see bench/bench_tokens.py).",
    )
    prompt_version: str | None = Field(
        default=None,
        description="Version of the prompt to use (prompts/summarize/, or prompts/confirm/ with "
        "extraction = confirm), e.g. v1; default: the latest. "
        "Summaries made with another version are redone.",
    )
    output_tokens_per_paper: int = Field(
        default=400,
        description="Most completion tokens a paper in a batch may take (max_tokens). Once the "
        "run has answers, max_tokens is what they took a paper plus headroom, within this.",
    )
    requests_per_minute: float | None = Field(
        default=None,
        description="Most requests in any 60 s (your account's RPM limit); none: no budget. "
        "Limits the endpoint names in its x-ratelimit-* headers are kept as well, and its 429s "
        "are waited out.",
    )
    tokens_per_minute: float | None = Field(
        default=None,
        description="Most tokens in any 60 s (your account's TPM limit), prompt plus completion "
        "tokens used, or prompt plus max_tokens once the endpoint shows it charges that (as "
        "OpenAI does); none: no budget.",
    )
    prices: dict[str, Price] = Field(
        default_factory=dict, description="Extra or overriding prices, by model name."
    )

    @model_validator(mode="after")
    def _apply_preset(self) -> LLMSettings:
        if self.preset == "local":
            # Measured on a 2-core CPU with Qwen2.5-Coder-1.5B Q4_K_M (issue 12): ~30 tokens/s
            # prompt, ~10 tokens/s output; a 4-paper batch took 100-120 s.
            local = {
                "max_papers_per_batch": 2,
                "timeout": 600.0,
                "batch_token_budget": 4000,
                "max_retries": 1,
                "prompt_tokens_per_second": 30.0,
                "output_tokens_per_second": 10.0,
            }
            for name, value in local.items():
                if name not in self.model_fields_set:
                    object.__setattr__(self, name, value)
        return self

    def price_for(self, model: str) -> Price | None:
        prices = {**DEFAULT_PRICES, **self.prices}
        if model in prices:
            return prices[model]
        # Dated snapshots ("gpt-4.1-mini-2025-04-14") cost what their family costs.
        family = max(
            (name for name in prices if model.startswith(name + "-")), key=len, default=None
        )
        return prices[family] if family else None


class DigestSettings(BaseModel):
    """Where digests go."""

    model_config = ConfigDict(extra="forbid")

    out_dir: Path | None = Field(
        default=None, description="Folder for digests written by `run`; default: ./digests."
    )


class ProfileSettings(BaseModel):
    """What the reader cares about: scores each paper's relevance for the digest, offline."""

    model_config = ConfigDict(extra="forbid")

    keywords: list[str] = Field(
        default_factory=list,
        description='Words or phrases of interest, e.g. "KV cache"; a match in the title adds '
        "2, in the abstract or takeaway 1 (case, hyphens and plurals do not matter).",
    )
    topics: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Named topics, each a list of keywords (scored like `keywords`); the digest "
        "groups papers in one section per topic, by the first topic a paper matches.",
    )
    negative_keywords: list[str] = Field(
        default_factory=list,
        description="A paper mentioning any of these loses 10 points, which keeps it out of the "
        "digest at the default threshold (it stays in the store and in search).",
    )
    authors: list[str] = Field(
        default_factory=list, description="Authors to follow (full names); each adds 3."
    )
    categories: list[str] = Field(
        default_factory=list,
        description="Categories to follow, e.g. cs.LG (or cs for all of cs.*); each adds 2.",
    )
    threshold: float = Field(
        default=0.0,
        description="Papers scoring below this stay out of the digest but remain searchable; "
        "0 keeps everything but negative matches, 1 keeps only papers matching an interest.",
    )

    @property
    def has_interests(self) -> bool:
        """Whether anything here scores a paper's text (else relevance is the LLM rating)."""
        return bool(
            self.keywords
            or self.topics
            or self.negative_keywords
            or self.authors
            or self.categories
        )

    def prompt_block(self) -> str:
        """The reader's interests as the summarize prompt's <reader_interests> block, so the LLM
        can rate relevance in the same batched call; empty when the profile names no interest."""
        lines = []
        if self.keywords:
            lines.append("keywords: " + "; ".join(self.keywords))
        for name, words in self.topics.items():
            lines.append(f"topic {name}: " + "; ".join(words))
        if self.authors:
            lines.append("authors followed: " + "; ".join(self.authors))
        if self.categories:
            lines.append("categories followed: " + "; ".join(self.categories))
        if self.negative_keywords:
            lines.append("not interested in: " + "; ".join(self.negative_keywords))
        if not lines:
            return ""
        return "<reader_interests>\n" + "\n".join(lines) + "\n</reader_interests>\n"


class SmtpSettings(BaseModel):
    """The mail server `digest --send` uses. The password comes from the environment only."""

    model_config = ConfigDict(extra="forbid")

    host: str | None = Field(default=None, description="SMTP server host; needed for --send.")
    port: int = Field(default=587, description="SMTP port (587 for STARTTLS submission).")
    starttls: bool = Field(
        default=True, description="Upgrade the connection with STARTTLS before logging in."
    )
    ca_file: Path | None = Field(
        default=None,
        description="CA certificate file to trust for STARTTLS (e.g. a self-hosted server's); "
        "default: the system's trusted CAs.",
    )
    username: str | None = Field(default=None, description="Login name; no login when unset.")
    password: SecretStr | None = Field(
        default=None,
        description="Login password; environment only (PAPERSKIM_SMTP__PASSWORD), never stored.",
    )
    sender: str | None = Field(default=None, description="From address, e.g. digest@example.org.")
    recipients: list[str] = Field(
        default_factory=list, description="To addresses of the digest email."
    )
    timeout: float = Field(default=30.0, description="Seconds before the SMTP connection gives up.")


class FetchSettings(BaseModel):
    """Fetching feeds: who we are to the servers, where they are, and how politely we ask."""

    model_config = ConfigDict(extra="forbid")

    contact: str | None = Field(
        default=None,
        description="An email address or URL put in the User-Agent, as arXiv asks of clients.",
    )
    sources: list[str] = Field(
        default_factory=list,
        description="Sources `run` and `fetch` use when given none, e.g. ['arxiv:cs.LG'].",
    )
    arxiv_api: str = Field(
        default="https://export.arxiv.org/api/query", description="The arXiv API endpoint."
    )
    arxiv_rss: str = Field(
        default="https://rss.arxiv.org", description="arXiv's RSS/Atom listings host."
    )
    hf_daily: str = Field(
        default="https://huggingface.co/api/daily_papers",
        description="Hugging Face daily papers API.",
    )
    timeout: float = Field(default=30.0, description="Seconds to wait for a response.")
    arxiv_delay: float = Field(
        default=3.0, description="Seconds between requests to arXiv (its published limit)."
    )
    max_retries: int = Field(default=3, description="Retries after 429, 5xx or a timeout.")
    max_wait: float = Field(
        default=120.0, description="Longest Retry-After honoured; a longer one fails the source."
    )
    page_size: int = Field(default=100, description="Entries per arXiv API request.")
    max_results: int = Field(default=300, description="Most entries one arXiv API query reads.")


class ReviewSettings(BaseModel):
    """Who reviews."""

    model_config = ConfigDict(extra="forbid")

    reviewer: str | None = Field(
        default=None, description="Name recorded with review actions; default: the OS user."
    )


class Settings(BaseSettings):
    """Every setting paperskim reads."""

    model_config = SettingsConfigDict(
        env_prefix="PAPERSKIM_", env_nested_delimiter="__", extra="forbid"
    )

    db: str | None = Field(
        default=None,
        description="SQLite file path or database URL (also DATABASE_URL); "
        "default: $PAPERSKIM_HOME/paperskim.db.",
    )
    engine: Literal["auto", "offline", "llm"] = Field(
        default="auto",
        description="auto: the LLM when an endpoint or API key is configured, else offline.",
    )
    offline_workers: int | None = Field(
        default=None,
        ge=1,
        description="Processes the offline engine spreads a large run over (default: one a "
        "core, at most 2); 1 when several summarize workers share a PostgreSQL database on "
        "one machine.",
    )
    llm: LLMSettings = Field(default_factory=LLMSettings, description="The LLM endpoint.")
    digest: DigestSettings = Field(default_factory=DigestSettings, description="Digests.")
    review: ReviewSettings = Field(default_factory=ReviewSettings, description="Review.")
    fetch: FetchSettings = Field(default_factory=FetchSettings, description="Fetching feeds.")
    profile: ProfileSettings = Field(
        default_factory=ProfileSettings, description="Interests that rank the digest."
    )
    smtp: SmtpSettings = Field(default_factory=SmtpSettings, description="Mail for the digest.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_path()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def database_url(self) -> str:
        raw = self.db or os.environ.get("DATABASE_URL") or str(default_home() / "paperskim.db")
        return raw if "://" in raw else f"sqlite:///{Path(raw).expanduser()}"

    @property
    def use_llm(self) -> bool:
        if self.engine == "auto":
            return self.llm.base_url is not None or self.llm.api_key is not None
        return self.engine == "llm"


def load_settings(**overrides: Any) -> Settings:
    """Settings from file and environment, with flag values (non-None) on top."""
    path = config_path()
    if path is not None and not path.is_file():
        raise ConfigError(f"config file {path} (from PAPERSKIM_CONFIG) does not exist")
    flags = {k: v for k, v in overrides.items() if v is not None}
    llm_flags = flags.pop("llm", {})
    try:
        settings = Settings(**flags)
        if llm_flags:
            settings.llm = settings.llm.model_copy(update=llm_flags)
        if path is not None:
            _refuse_key_in_file(path)
        if settings.llm.api_key is None and (key := os.environ.get("OPENAI_API_KEY")):
            settings.llm.api_key = SecretStr(key)
    except ValidationError as exc:
        where = f" (config file {path})" if path else ""
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"invalid setting {loc}{where}: {first['msg']}") from None
    return settings


def _refuse_key_in_file(path: Path) -> None:
    import tomllib

    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if "api_key" in data.get("llm", {}):
        raise ConfigError(
            f"{path}: api_key must not be in the config file; set PAPERSKIM_LLM__API_KEY "
            "or OPENAI_API_KEY in the environment instead"
        )
    if "password" in data.get("smtp", {}):
        raise ConfigError(
            f"{path}: the SMTP password must not be in the config file; set "
            "PAPERSKIM_SMTP__PASSWORD in the environment instead"
        )
