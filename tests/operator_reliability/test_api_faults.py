"""The API failing for a while (500, 409, 429 with Retry-After) delays an Agent, never loses it.

Each case arms one fault on one kind of request, creates Agents, and checks that every Agent
still converges, that no child is duplicated or orphaned, that the fault was really hit, and
that the operator told it in one log line per failure, without a traceback.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pytest
from kubernetes import client

from tests.emulator import EmulatorServer
from tests.emulator.recorder import RecordedRequest
from tests.operator_e2e.agents import NAMESPACE, Agents, agent
from tests.operator_e2e.operator import OperatorProcess, wait_for

from .checks import assert_no_duplicate_or_orphan, assert_no_traceback, fault_lines

TARGET = "flaky"
OTHERS = ["steady-1", "steady-2"]


@dataclass(frozen=True)
class Case:
    """One fault: which request fails, with what, and how often."""

    id: str
    verb: str
    resource: str
    subresource: str | None
    status: int
    times: int
    retry_after: float | None = None
    by_kopf: bool = False

    def matches(self, request: RecordedRequest) -> bool:
        return (
            request.verb == self.verb
            and request.resource == self.resource
            and request.subresource == self.subresource
            and (request.name in (TARGET, "mistral-secrets", None))
            and ("kopf" in request.user_agent.lower()) == self.by_kopf
        )


CASES = [
    Case("500 on applying the Deployment", "patch", "deployments", None, 500, 3),
    Case("409 on applying the ConfigMap", "patch", "configmaps", None, 409, 2),
    Case("429 with Retry-After on applying the Service", "patch", "services", None, 429, 2, 1),
    Case("500 on patching the status", "patch", "agents", "status", 500, 3),
    Case("429 with Retry-After on patching the status", "patch", "agents", "status", 429, 2, 1),
    Case("500 on reading the Secret", "get", "secrets", None, 500, 3),
    Case("409 on Kopf's own patch of the Agent", "patch", "agents", None, 409, 2, by_kopf=True),
    Case("500 on Kopf's own patch of the Agent", "patch", "agents", None, 500, 2, by_kopf=True),
    Case("429 on Kopf's own patch of the Agent", "patch", "agents", None, 429, 2, 1, True),
]


def with_secret(name: str) -> dict[str, Any]:
    return agent(
        name,
        model={
            "name": "mistral-small-latest",
            "apiKeySecretRef": {"name": "mistral-secrets", "key": "apiKey"},
        },
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_an_agent_converges_through_a_passing_api_fault_told_in_one_line_each(
    case: Case,
    operator: OperatorProcess,
    agents: Agents,
    cluster: EmulatorServer,
    core: client.CoreV1Api,
) -> None:
    core.create_namespaced_secret(
        NAMESPACE,
        client.V1Secret(
            metadata=client.V1ObjectMeta(name="mistral-secrets"),
            data={"apiKey": base64.b64encode(b"sk-not-needed-here").decode()},
        ),
    )
    marker = f"injected {case.status} fault on {case.resource}"
    fault = cluster.faults.add(
        case.matches,
        status=case.status,
        times=case.times,
        retry_after=case.retry_after,
        message=marker,
    )

    for name in [TARGET, *OTHERS]:
        agents.create(with_secret(name))

    wait_for(lambda: fault.exhausted(), what=f"the fault to be hit {case.times} times")
    for name in [TARGET, *OTHERS]:
        agents.wait_ready(name)
    assert_no_duplicate_or_orphan(cluster, [TARGET, *OTHERS])
    lines = fault_lines(operator.log, marker)
    assert 1 <= len(lines) <= case.times, lines
    assert_no_traceback(operator.log)
