"""The `agent-runtime` options as a newcomer meets them: help, version, choices, Agent files."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import pytest

from agent_runtime.cli import main
from tests.runtime_service.test_cli import CONFIG, write

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_serve_given_an_agent_manifest_says_which_command_serves_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    manifest = str(EXAMPLES / "hello.yaml")
    assert main(["serve", "--config", manifest]) == 1
    err = capsys.readouterr().err
    assert f"{manifest} is an Agent manifest" in err
    assert f"agent-operator dev {manifest}" in err
    assert "Field required" not in err  # no pydantic listing


def test_check_config_takes_its_path_as_serve_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-config", "--config", str(write(tmp_path, CONFIG))]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Agent demo/weather")
    assert err == ""


def test_check_config_with_a_bare_path_still_works_and_says_it_is_deprecated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-config", str(write(tmp_path, CONFIG))]) == 0
    assert "deprecated: use check-config --config PATH" in capsys.readouterr().err


def test_check_config_reads_the_environment_path_like_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AGENT_RUNTIME_CONFIG", str(write(tmp_path, CONFIG)))
    assert main(["check-config"]) == 0
    assert capsys.readouterr().out.startswith("Agent demo/weather")


def test_log_level_outside_the_choices_is_refused_with_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--log-level", "loud"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err
    assert all(f"'{level}'" in err for level in ("DEBUG", "INFO", "WARNING", "ERROR"))


@pytest.mark.parametrize("command", ["serve", "mock-llm", "check-config"])
def test_every_option_of_every_command_shows_its_default(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    help_text = capsys.readouterr().out
    entries: list[str] = []
    for line in help_text.split("options:", 1)[1].splitlines():
        if line.startswith("  -"):
            entries.append(line)
        elif entries:
            entries[-1] += " " + line.strip()
    options = [entry for entry in entries if not entry.strip().startswith("-h")]
    assert options
    for entry in options:
        assert "(default: " in entry, f"{command}: {entry.split()[0]} shows no default"


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"agent-runtime {version('agent-operator')}"


def test_a_rendered_config_is_not_taken_for_an_agent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = {**CONFIG, "model": {}}
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(broken))
    assert main(["check-config", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Invalid config" in err
    assert "Agent manifest" not in err
