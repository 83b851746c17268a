"""How the maker of a summary is named to readers, wherever it shows (digest, review UI,
terminal, eval reports): the offline engine is always labelled as having used no LLM."""

from __future__ import annotations

NO_LLM = "no LLM"
OFFLINE_LABEL = f"offline engine ({NO_LLM})"


def engine_label(engine: str, model: str | None = None, prompt_version: str | None = None) -> str:
    """'offline engine (no LLM)', 'corrected by alice', or 'gpt-4.1-mini (summarize/v3)'."""
    if engine == "offline":
        return OFFLINE_LABEL
    if engine == "human":
        return f"corrected by {model}"
    if prompt_version:
        return f"{model} ({prompt_version})"
    return model or engine
