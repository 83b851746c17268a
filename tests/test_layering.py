"""Guards that keep the architecture standing: who may import whom.

Layers, bottom up: agent.core (pure rules) → agent.config → store, prompts → agent.llm →
the stages (ingest, summarize, digest, ask, review, export) → evals → agent.cli. A module may
import its own package and the layers below it, never a sibling stage (stages talk through the
store, the rule arxiv-sanity-lite keeps) and never a layer above.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE = {"agent.core"}
BELOW_STAGES = BASE | {"agent.config", "store", "prompts", "agent.llm"}
STAGES = ["agent.ingest", "agent.summarize", "agent.digest", "agent.ask", "agent.review"]
ALLOWED: dict[str, set[str]] = {
    "agent.core": BASE,
    "agent.config": BASE | {"agent.config"},
    "store": BASE | {"store"},
    "prompts": BASE | {"prompts"},
    "agent.llm": BELOW_STAGES,
    "agent.export": BASE | {"agent.config", "store", "agent.export"},
    **{stage: BELOW_STAGES | {stage} for stage in STAGES},
    "evals": BELOW_STAGES | set(STAGES) | {"agent.export", "evals"},
}
TOP = {"agent.cli", "agent.__main__", "agent"}  # the command line may import anything
PROJECT = ("agent", "store", "prompts", "evals")
QUERY_NAMES = {
    "select", "col", "func", "exists", "and_", "or_", "not_", "delete", "update", "insert",
    "text", "case", "union", "literal", "bindparam", "Select",
}  # fmt: skip
PURE_FORBIDDEN = (
    "openai", "sqlmodel", "sqlalchemy", "typer", "fastapi", "uvicorn", "jinja2", "rich",
)  # fmt: skip


def modules() -> Iterator[tuple[str, Path]]:
    for top in PROJECT:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # Alembic's own scripts
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def imports(path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(module, imported names, line) for every import, also those inside functions."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.name for a in node.names], node.lineno


def layer_of(module: str) -> str | None:
    for name in sorted([*ALLOWED, *TOP], key=len, reverse=True):
        if module == name or module.startswith(name + "."):
            return name
    return None


def within(module: str, names: set[str]) -> bool:
    return any(module == n or module.startswith(n + ".") for n in names)


def test_every_module_belongs_to_a_layer() -> None:
    homeless = [m for m, _ in modules() if layer_of(m) is None]
    assert homeless == [], f"modules outside every layer: {homeless}"


def test_no_upward_or_sideways_imports() -> None:
    bad = []
    for module, path in modules():
        layer = layer_of(module)
        if layer is None or layer in TOP:
            continue
        for target, _, line in imports(path):
            if target.split(".")[0] not in PROJECT:
                continue
            if target == "agent":  # `from agent import __version__`
                continue
            if not within(target, ALLOWED[layer]):
                bad.append(f"{path.relative_to(ROOT)}:{line} ({layer}) imports {target}")
    assert bad == [], "\n".join(bad)


def test_sql_lives_only_in_store() -> None:
    bad = []
    for module, path in modules():
        if module.startswith("store"):
            continue
        for target, names, line in imports(path):
            if target.split(".")[0] in ("sqlmodel", "sqlalchemy"):
                used = sorted(set(names) & QUERY_NAMES)
                if used or target.startswith(("sqlalchemy.sql", "sqlalchemy.dialects")):
                    bad.append(f"{path.relative_to(ROOT)}:{line} imports {used or target}")
    assert bad == [], "\n".join(bad)


def test_openai_is_imported_by_one_module() -> None:
    users = sorted(
        module
        for module, path in modules()
        if any(t.split(".")[0] == "openai" for t, _, _ in imports(path))
    )
    assert users == ["agent.llm.client"]


def test_the_core_is_pure() -> None:
    bad = []
    for module, path in modules():
        if layer_of(module) != "agent.core":
            continue
        for target, _, line in imports(path):
            if target.split(".")[0] in PURE_FORBIDDEN:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert bad == [], "\n".join(bad)


@pytest.mark.parametrize("top", ["store", "prompts"])
def test_store_and_prompts_import_no_stage(top: str) -> None:
    for module, path in modules():
        if layer_of(module) != top:
            continue
        for target, _, _ in imports(path):
            assert not within(target, {*STAGES, "agent.llm", "agent.cli", "evals"}), (
                f"{module} imports {target}"
            )
