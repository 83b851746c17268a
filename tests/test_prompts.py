from pathlib import Path

import pytest

import prompts
from agent.core.errors import PromptError


def test_latest_summarize_prompt_loads_and_renders() -> None:
    prompt = prompts.load_prompt("summarize")
    assert prompt.ref.startswith("summarize/v")
    system, user = prompt.render(papers='[{"id": "a"}]')
    assert '"id": "a"' in user
    assert "verbatim" in system
    assert "$" not in user


def test_render_refuses_missing_or_undeclared_values() -> None:
    prompt = prompts.load_prompt("summarize", "v1")
    with pytest.raises(PromptError, match="missing"):
        prompt.render()
    with pytest.raises(PromptError, match="undeclared"):
        prompt.render(papers="[]", other="x")


def test_a_template_using_an_undeclared_variable_fails_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "v1.toml").write_text(
        'name = "demo"\nversion = "v1"\nvariables = ["a"]\nsystem = "s $a"\nuser = "u $b"\n'
    )
    monkeypatch.setattr(prompts, "PROMPTS_DIR", tmp_path)
    with pytest.raises(PromptError, match="declares"):
        prompts.load_prompt("demo")
    with pytest.raises(PromptError, match="no version"):
        prompts.load_prompt("demo", "v9")
    with pytest.raises(PromptError, match="no prompt named"):
        prompts.load_prompt("nothing")
