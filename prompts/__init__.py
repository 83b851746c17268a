"""Versioned prompt templates.

Each prompt is a TOML file `prompts/<name>/<version>.toml` with `name`, `version`,
`variables` (the placeholders it declares), optionally `optional` (placeholders that render empty
when no value is given), `system` and `user` templates using `$name` placeholders. A published
version is never edited: a change is a new file. Every stored result records the prompt name and
version it came from.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from pathlib import Path

from agent.core.errors import PromptError

PROMPTS_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    variables: tuple[str, ...]
    system: str
    user: str
    optional: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        """How results name this prompt: "summarize/v1"."""
        return f"{self.name}/{self.version}"

    def render(self, **values: str) -> tuple[str, str]:
        """The system and user messages with every declared variable filled in."""
        values = {**dict.fromkeys(self.optional, ""), **values}
        missing = set(self.variables) - values.keys()
        extra = values.keys() - set(self.variables) - set(self.optional)
        if missing or extra:
            raise PromptError(
                f"prompt {self.ref}: missing {sorted(missing)} / undeclared {sorted(extra)}"
            )
        return (
            string.Template(self.system).substitute(values),
            string.Template(self.user).substitute(values),
        )


def _placeholders(template: str) -> set[str]:
    return {
        m.group("named") or m.group("braced")
        for m in string.Template.pattern.finditer(template)
        if m.group("named") or m.group("braced")
    }


def available_versions(name: str) -> list[str]:
    """Versions of a prompt, oldest first (v1, v2, ... v10)."""
    files = (PROMPTS_DIR / name).glob("v*.toml")
    return sorted((p.stem for p in files), key=lambda v: int(v[1:]) if v[1:].isdigit() else 0)


def load_prompt(name: str, version: str | None = None) -> Prompt:
    """Load a prompt (latest version by default) and check its declared variables."""
    versions = available_versions(name)
    if not versions:
        raise PromptError(f"no prompt named {name!r} in {PROMPTS_DIR}")
    version = version or versions[-1]
    path = PROMPTS_DIR / name / f"{version}.toml"
    if not path.is_file():
        raise PromptError(f"prompt {name!r} has no version {version!r} (have: {versions})")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    prompt = Prompt(
        name=data["name"],
        version=data["version"],
        variables=tuple(data.get("variables", [])),
        system=data["system"],
        user=data["user"],
        optional=tuple(data.get("optional", [])),
    )
    if (prompt.name, prompt.version) != (name, version):
        raise PromptError(f"{path}: says it is {prompt.ref}, file name says {name}/{version}")
    used = _placeholders(prompt.system) | _placeholders(prompt.user)
    declared = set(prompt.variables) | set(prompt.optional)
    if used != declared:
        raise PromptError(f"{path}: declares {sorted(declared)} but uses {sorted(used)}")
    return prompt
