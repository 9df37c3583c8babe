"""The `agent-operator` command line: render, crd, and the hand-over to the handlers."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent_operator import cli
from agent_operator.crd import crd_yaml

EXAMPLES = Path(__file__).parents[2] / "examples"


def _render(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[Any], str]:
    status = cli.main(["render", *args])
    out, err = capsys.readouterr()
    return status, list(yaml.safe_load_all(out)), err


def test_render_prints_the_children_of_an_agent(capsys: pytest.CaptureFixture[str]) -> None:
    status, documents, _ = _render(capsys, str(EXAMPLES / "weather.yaml"))
    assert status == 0
    assert [doc["kind"] for doc in documents][:2] == ["ServiceAccount", "ConfigMap"]
    assert "PodDisruptionBudget" in [doc["kind"] for doc in documents]


def test_render_takes_several_files_and_skips_other_kinds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = [str(EXAMPLES / name) for name in ("secrets.yaml", "hello.yaml", "research.yaml")]
    status, documents, _ = _render(capsys, *files)
    assert status == 0
    names = {doc["metadata"]["name"] for doc in documents}
    assert names == {"hello", "research"}
    assert "Secret" not in {doc["kind"] for doc in documents}


def test_render_reads_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO((EXAMPLES / "hello.yaml").read_text()))
    status, documents, _ = _render(capsys, "-")
    assert status == 0
    assert documents[0]["metadata"]["name"] == "hello"


def test_the_rendered_config_reads_as_a_block(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["render", str(EXAMPLES / "hello.yaml")])
    assert "agent.json: |" in capsys.readouterr().out


def test_render_names_the_wrong_field_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    agent = tmp_path / "bad.yaml"
    agent.write_text(
        "apiVersion: agent-operator.io/v1alpha1\nkind: Agent\nmetadata: {name: bad}\n"
        "spec: {model: {name: m}, tools: [{name: t, http: {url: 'ftp://x'}}]}\n"
    )
    status, documents, err = _render(capsys, str(agent))
    assert status == 2
    assert documents == []
    assert "spec.tools[0].http.url" in err
    assert "bad.yaml: document 1" in err


def test_render_refuses_an_agent_without_a_valid_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    agent = tmp_path / "bad.yaml"
    agent.write_text(
        "apiVersion: agent-operator.io/v1alpha1\nkind: Agent\nmetadata: {name: Bad_Name}\n"
        "spec: {model: {name: m}}\n"
    )
    status, _, err = _render(capsys, str(agent))
    assert status == 2
    assert "metadata.name" in err


def test_render_of_a_file_without_agents_is_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = _render(capsys, str(EXAMPLES / "secrets.yaml"))
    assert status == 2
    assert "no Agent found" in err


def test_render_of_a_missing_file_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = _render(capsys, str(tmp_path / "missing.yaml"))
    assert status == 2
    assert "missing.yaml" in err


def test_crd_prints_the_generated_crd(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["crd"]) == 0
    assert capsys.readouterr().out == crd_yaml()


def test_run_hands_its_options_to_the_handlers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import types

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))

    calls: list[dict[str, Any]] = []
    fake = types.ModuleType("agent_operator.handlers")
    fake.run = lambda **kwargs: calls.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "agent_operator.handlers", fake)
    import agent_operator

    monkeypatch.setattr(agent_operator, "handlers", fake, raising=False)
    status = cli.main(
        [
            "run",
            "-n",
            "demo",
            "-n",
            "team-*",
            "--liveness",
            "http://0.0.0.0:8080/healthz",
            "--metrics-port",
            "9090",
            "--verbose",
            "--log-format",
            "text",
        ]
    )
    assert status == 0
    assert calls == [
        {
            "namespaces": ["demo", "team-*"],
            "clusterwide": False,
            "liveness_endpoint": "http://0.0.0.0:8080/healthz",
            "metrics_port": 9090,
            "verbose": True,
            "debug": False,
            "log_format": "text",
        }
    ]


def test_run_without_a_cluster_says_in_one_line_what_it_looked_for_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    status = cli.main(["run"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1
    assert "no cluster" in err
    assert str(tmp_path / "absent") in err
    assert "KUBERNETES_SERVICE_HOST" in err


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"agent-operator {version('agent-operator')}"


def test_run_cannot_mix_namespaces_and_all_namespaces() -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["run", "-n", "demo", "-A"])
    assert caught.value.code == 2
