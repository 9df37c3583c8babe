"""The config the operator renders names where secrets live and never holds a secret value.

Each example Agent goes through the operator's builders, next to the Secrets it refers to
(`examples/secrets.yaml`). The ConfigMap's `agent.json` holds none of their values; every
secret in it is a file under the secrets mount; and the Deployment mounts exactly that key of
that Secret there, passing no secret in its environment.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent_operator.builders.children import render_agent
from agent_runtime.config import CONFIG_FILE_NAME, SECRETS_MOUNT_DIR, RuntimeConfig

EXAMPLES = Path(__file__).parents[2] / "examples"
AGENTS = ["hello.yaml", "weather.yaml", "research.yaml", "refunds.yaml"]


def secret_values() -> list[str]:
    """Every value of the example Secrets."""
    values: list[str] = []
    for secret in yaml.safe_load_all((EXAMPLES / "secrets.yaml").read_text()):
        values.extend(str(v) for v in (secret.get("stringData") or {}).values())
    return values


def secret_sources(node: Any) -> Iterator[dict[str, Any]]:
    """Every secret reference (`{"file": ..., "env": ...}`) anywhere in a rendered config."""
    if isinstance(node, dict):
        if set(node) == {"file", "env"}:
            yield node
        for value in node.values():
            yield from secret_sources(value)
    elif isinstance(node, list):
        for value in node:
            yield from secret_sources(value)


@pytest.fixture(params=AGENTS)
def children(request: pytest.FixtureRequest) -> dict[str, dict[str, Any]]:
    agent = yaml.safe_load((EXAMPLES / request.param).read_text())
    return {child["kind"]: child for child in render_agent(agent)}


def test_the_rendered_config_holds_no_secret_value(children: dict[str, dict[str, Any]]) -> None:
    text = children["ConfigMap"]["data"][CONFIG_FILE_NAME]
    RuntimeConfig.model_validate_json(text)
    values = secret_values()
    assert values, "the example Secrets have values to look for"
    for value in values:
        assert value not in text


def test_every_secret_is_a_file_the_deployment_mounts_from_its_secret(
    children: dict[str, dict[str, Any]],
) -> None:
    config = json.loads(children["ConfigMap"]["data"][CONFIG_FILE_NAME])
    pod = children["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts") or []}
    volumes = {v["name"]: v for v in pod["volumes"]}
    sources = list(secret_sources(config))
    assert sources, "every example uses at least the model's API key"
    for source in sources:
        assert source["env"] is None
        path = Path(source["file"])
        assert path.parent.parent == Path(SECRETS_MOUNT_DIR)
        secret_name, key = path.parent.name, path.name
        volume = volumes[mounts[str(path.parent)]]
        assert volume["secret"]["secretName"] == secret_name
        items = volume["secret"].get("items")
        assert items is None or {"key": key, "path": key} in items


def test_the_pod_environment_carries_no_secret(children: dict[str, dict[str, Any]]) -> None:
    (container,) = children["Deployment"]["spec"]["template"]["spec"]["containers"]
    environment = json.dumps(container.get("env") or [])
    for value in secret_values():
        assert value not in environment
