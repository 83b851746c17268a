"""One root exception; each error carries what a user needs to act on it.

The CLI turns any PaperskimError into one clear line and a non-zero exit.
"""

from __future__ import annotations


class PaperskimError(Exception):
    """Root of every error paperskim raises on purpose."""


class ConfigError(PaperskimError):
    """The configuration file or environment is invalid."""


class PromptError(PaperskimError):
    """A prompt template is missing or does not declare the variables it uses."""


class StoreError(PaperskimError):
    """The database cannot be opened, migrated or queried as asked."""


class NotFoundError(PaperskimError):
    """A paper, run or digest the user named does not exist."""


class LLMCallError(PaperskimError):
    """A request to the endpoint failed after the SDK's own retries (transport, 4xx, 5xx)."""


class AnswerInvalid(PaperskimError):
    """The model answered, but the answer failed validation; carries the errors for a re-ask."""

    def __init__(self, errors: list[str], completion: str | None = None) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors
        self.completion = completion


class CorrectionRefused(PaperskimError):
    """A reviewer's correction breaks the rules every stored summary must follow."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("correction refused: " + "; ".join(errors))
        self.errors = errors
