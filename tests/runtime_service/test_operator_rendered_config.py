"""What the operator renders for an Agent is what the runtime serves.

`examples/hello.yaml` goes through the operator's builders; the ConfigMap's `agent.json` is
mounted under a temporary directory with its Secret, as the kubelet would, and served; the
Deployment's command line and probes must fit the runtime.
"""

from pathlib import Path
from typing import Any

import httpx
import yaml
from openai import OpenAI

from agent_operator.builders.children import render_agent
from agent_runtime.cli import build_parser
from agent_runtime.config import CONFIG_FILE_NAME, CONFIG_MOUNT_DIR, load_config
from agent_runtime.mockllm import MockLLM
from tests.runtime_service.conftest import serving
from tests.runtime_service.kubelet import mount

EXAMPLE = Path(__file__).parents[2] / "examples" / "hello.yaml"


def rendered(mock_llm: MockLLM) -> dict[str, dict[str, Any]]:
    agent = yaml.safe_load(EXAMPLE.read_text())
    agent["spec"]["model"]["endpoint"] = mock_llm.url
    return {child["kind"]: child for child in render_agent(agent)}


def mount_hello(children: dict[str, dict[str, Any]], root: Path) -> Path:
    """Mount the config and the model's key, as the kubelet would."""
    return mount(children, root, secrets={"mistral-secrets": {"apiKey": "rendered-key"}})


def test_the_rendered_config_of_hello_is_served(tmp_path: Path, mock_llm: MockLLM) -> None:
    children = rendered(mock_llm)
    config = load_config(mount_hello(children, tmp_path))
    assert config.model.api_key is not None
    with (
        serving(config) as runtime,
        OpenAI(api_key="unused", base_url=f"{runtime.url}/v1", max_retries=0) as client,
    ):
        response = client.chat.completions.create(
            model="hello", messages=[{"role": "user", "content": "hi there"}]
        )
    assert response.choices[0].message.content == "You said: hi there"
    (request,) = mock_llm.completions
    assert request.body["model"] == "mistral-small-latest"
    assert request.messages[0]["role"] == "system"
    assert request.messages[0]["content"].startswith("You are a friendly assistant.")
    assert request.authorization == "Bearer rendered-key"


def test_the_deployments_command_line_is_one_the_runtime_accepts(mock_llm: MockLLM) -> None:
    (container,) = rendered(mock_llm)["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["agent-runtime"]
    args = build_parser().parse_args(container["args"])
    assert args.command == "serve"
    assert args.config == f"{CONFIG_MOUNT_DIR}/{CONFIG_FILE_NAME}"
    assert container["ports"][0]["containerPort"] == args.port


def test_the_deployments_probes_hit_routes_that_answer(tmp_path: Path, mock_llm: MockLLM) -> None:
    children = rendered(mock_llm)
    (container,) = children["Deployment"]["spec"]["template"]["spec"]["containers"]
    probes = [container["readinessProbe"], container["livenessProbe"]]
    with serving(load_config(mount_hello(children, tmp_path))) as runtime:
        for probe in probes:
            path = probe["httpGet"]["path"]
            assert httpx.get(runtime.url + path, timeout=10).status_code == 200, path
