"""Agent pods pass the `restricted` Pod Security Standard, run without an API token, and may
only reach DNS and the destinations their spec declares; checked for every example Agent and
for generated specs."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from agent_operator.builders import AgentMeta, build_children
from agent_operator.settings import OperatorSettings
from agent_operator.spec import KIND, parse_spec
from tests.operator_unit.test_properties import specs

from .pod_security import egress_problems, restricted_violations

EXAMPLES_DIR = Path(__file__).parents[2] / "examples"
EXAMPLE_AGENTS = [
    pytest.param(doc, id=f"{path.name}:{doc['metadata']['name']}")
    for path in sorted(EXAMPLES_DIR.glob("**/*.yaml"))
    for doc in yaml.safe_load_all(path.read_text())
    if isinstance(doc, dict) and doc.get("kind") == KIND
]
GENERATED = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def children(name: str, spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    meta = AgentMeta(name=name, namespace="demo")
    built = build_children(meta, parse_spec(spec), OperatorSettings()).apply
    return {obj["kind"]: obj for obj in built}


def assert_locked_down(objs: dict[str, dict[str, Any]]) -> None:
    deployment = objs["Deployment"]
    kubernetes_validate.validate(deployment, desired_version="1.31", strict=True)
    pod = deployment["spec"]["template"]["spec"]
    assert restricted_violations(pod) == []
    assert pod["automountServiceAccountToken"] is False
    assert objs["ServiceAccount"]["automountServiceAccountToken"] is False
    for container in pod["containers"]:
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert egress_problems(objs["NetworkPolicy"]) == []


def test_there_are_examples_to_check() -> None:
    assert len(EXAMPLE_AGENTS) >= 3


@pytest.mark.parametrize("manifest", EXAMPLE_AGENTS)
def test_every_example_agent_runs_locked_down(manifest: dict[str, Any]) -> None:
    assert_locked_down(children(manifest["metadata"]["name"], manifest["spec"]))


@GENERATED
@given(spec=specs)
def test_every_generated_agent_runs_locked_down(spec: dict[str, Any]) -> None:
    assert_locked_down(children("generated", spec))


def test_an_agent_that_calls_nothing_outside_may_only_reach_dns() -> None:
    objs = children("local", {"model": {"name": "m", "endpoint": "http://127.0.0.1:8081"}})

    egress = objs["NetworkPolicy"]["spec"]["egress"]

    assert len(egress) == 1
    assert {p["port"] for p in egress[0]["ports"]} == {53}


def test_the_checker_refuses_what_the_restricted_profile_refuses() -> None:
    pod = copy.deepcopy(children("probe", {"model": {"name": "m"}})["Deployment"])
    spec = pod["spec"]["template"]["spec"]
    spec["hostNetwork"] = True
    spec["volumes"].append({"name": "host", "hostPath": {"path": "/"}})
    container = spec["containers"][0]
    container["securityContext"]["allowPrivilegeEscalation"] = True
    container["securityContext"]["capabilities"] = {"add": ["SYS_ADMIN"]}
    container["ports"] = [{"containerPort": 8080, "hostPort": 8080}]

    found = "\n".join(restricted_violations(spec))

    for problem in ("hostNetwork", "hostPath", "allowPrivilegeEscalation", "SYS_ADMIN", "ALL"):
        assert problem in found
    assert "hostPort" in found


def test_the_checker_refuses_an_open_egress_policy() -> None:
    policy = {"spec": {"policyTypes": ["Ingress"], "egress": [{"ports": [{"port": 443}]}]}}

    found = "\n".join(egress_problems(policy))

    assert "lacks Egress" in found
    assert "every destination" in found
    assert "DNS" in found
