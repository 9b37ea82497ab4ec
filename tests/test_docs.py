"""The docs stay true to the code: the Quickstart, the CI script, and the command reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pantau.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quickstart() -> list[str]:
    section = README.split("## Quickstart", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_readme_starts_with_a_two_command_quickstart():
    assert README.index("## Quickstart") < README.index("## What Pantau is")
    install_run, install_test = _quickstart()
    assert install_run == "pip install -e . && pantau run"
    # torch's CPU build must be installed before the extras, or pip picks a multi-GB CUDA build
    assert "pip install torch==2.13.0 && pip install -e " in install_test
    assert install_test.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _quickstart()[1] in ci.splitlines()


def test_ci_runs_ruff_lint_and_format_checks():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert "ruff check . && ruff format --check ." in ci


COMMANDS = sorted(c.name for c in app.registered_commands)


def test_every_command_is_in_the_readme_reference():
    assert set(COMMANDS) >= {"run", "classify", "alerts", "fetch", "init", "train"}
    for name in COMMANDS:
        assert f"`pantau {name}" in README, name


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name):
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
    command = next(c for c in app.registered_commands if c.name == name)
    assert command.callback.__doc__


def test_docs_links_exist():
    for link in re.findall(r"\]\(((?:docs|examples|classifiers)/[^)#]+)\)", README):
        assert (ROOT / link).exists(), link
