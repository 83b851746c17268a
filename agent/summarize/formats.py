"""Which answer format a summarize prompt uses, and which prompt a setting asks for."""

from __future__ import annotations

from agent.summarize.answers import AnswerFormat, full_extraction
from agent.summarize.confirm import confirm_candidates
from prompts import Prompt, load_prompt

# llm.extraction -> the prompt family that implements it.
PROMPT_OF_EXTRACTION = {"full": "summarize", "confirm": "confirm"}


def answer_format(prompt: Prompt) -> AnswerFormat:
    """The format of answers to `prompt`: confirm/ prompts label candidates, the rest extract."""
    if prompt.name == "confirm":
        return confirm_candidates(prompt)
    return full_extraction(prompt)


def summarize_prompt(extraction: str, version: str | None = None) -> Prompt:
    """The prompt for `llm.extraction` (full or confirm), at `version` or the latest."""
    return load_prompt(PROMPT_OF_EXTRACTION[extraction], version)
