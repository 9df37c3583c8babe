"""Invalid Agents are refused by the API server (the emulator enforcing the CRD's schema and
CEL rules) with a message naming the field; whatever it accepts the builders turn into objects
Kubernetes accepts.

The invalid cases of `tests/operator_unit/cases/invalid/` are checked there against the models
and an offline reading of the CRD; here they go through the API, as `kubectl apply` sends them.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_operator.builders import AgentMeta, build_children
from agent_operator.settings import OperatorSettings
from agent_operator.spec import parse_spec
from tests.emulator import EmulatorServer
from tests.operator_e2e.agents import NAMESPACE, agent
from tests.operator_unit.test_properties import specs

from .refusals import create_as_kubectl, delete_quietly

INVALID = sorted((Path(__file__).parents[1] / "operator_unit/cases/invalid").glob("*.yaml"))
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: Wrong values, each at a path the schema or a CEL rule guards.
BREAKAGES: list[tuple[tuple[str, ...], Any]] = [
    (("replicas",), -1),
    (("replicas",), "two"),
    (("model", "name"), ""),
    (("model", "temperature"), 7),
    (("model", "timeoutSeconds"), 0),
    (("limits", "maxTurns"), 0),
    (("egress", "allowHosts"), ["https://with-scheme.example"]),
    (("egress", "allowCIDRs"), ["10.0.0.0/33"]),
    (("autoscaling",), {"minReplicas": 4, "maxReplicas": 2}),
    (("tools",), [{"name": "t", "http": {"url": "http://a"}, "mcp": {"url": "http://b"}}]),
    (("tools",), [{"name": "has space", "http": {"url": "http://a"}}]),
    (("tools",), [{"name": "t", "http": {"url": "ftp://a"}}]),
    (("auth", "bearerTokenSecretRef"), {"name": "s"}),
    (("resources",), {"requests": {"cpu": "lots"}}),
    (("modle",), {"name": "typo"}),
]
names = (f"generated-{i}" for i in itertools.count())


def expected_fragment(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    return first.removeprefix("# expect: ").strip()


def refusal_is_well_formed(status: int, message: str) -> bool:
    """422 naming a spec field, or 400 naming an unknown one (strict field validation)."""
    if status == 400:
        return 'unknown field "spec.' in message
    return status == 422 and "spec" in message


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_the_api_server_refuses_each_invalid_case_naming_the_problem(
    cluster: EmulatorServer, api: Any, path: Path
) -> None:
    (manifest,) = [d for d in yaml.safe_load_all(path.read_text()) if d]
    manifest["metadata"]["namespace"] = NAMESPACE

    answer = create_as_kubectl(api, manifest)

    assert answer.stored is None, f"{path.name} was accepted"
    assert refusal_is_well_formed(answer.status, answer.message), answer
    assert expected_fragment(path) in answer.message


@st.composite
def broken(draw: st.DrawFn) -> dict[str, Any]:
    """A valid spec with one value made wrong."""
    spec: dict[str, Any] = draw(specs)
    path, value = draw(st.sampled_from(BREAKAGES))
    node = spec
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return spec


@EXAMPLES
@given(spec=st.one_of(specs, broken()))
def test_every_spec_is_refused_naming_a_field_or_accepted_and_builds_valid_objects(
    cluster: EmulatorServer, api: Any, spec: dict[str, Any]
) -> None:
    name = next(names)
    answer = create_as_kubectl(api, agent(name, **spec))

    if answer.stored is None:
        assert refusal_is_well_formed(answer.status, answer.message), answer
        return
    delete_quietly(api, name)
    parsed = parse_spec(answer.stored["spec"])  # what the API stored, defaults included
    meta = AgentMeta(name=name, namespace=NAMESPACE, uid=answer.stored["metadata"]["uid"])
    for child in build_children(meta, parsed, OperatorSettings()).apply:
        kubernetes_validate.validate(child, desired_version="1.31", strict=True)
