"""Reading an Agent object's identity, as `render` and the handlers need it."""

from __future__ import annotations

from typing import Any

import pytest

from agent_operator.builders import AgentMeta, agent_meta, render_agent
from agent_operator.spec import SpecError


def _agent(**metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": "agent-operator.io/v1alpha1",
        "kind": "Agent",
        "metadata": metadata,
        "spec": {"model": {"name": "m"}},
    }


def test_the_identity_is_read_from_metadata() -> None:
    meta = agent_meta(_agent(name="weather", namespace="demo", uid="u-1", generation=4))
    assert meta == AgentMeta(name="weather", namespace="demo", uid="u-1", generation=4)


def test_an_agent_without_namespace_lands_in_default() -> None:
    assert agent_meta(_agent(name="weather")).namespace == "default"


@pytest.mark.parametrize("name", [None, "", "Weather", "under_score", "x" * 254])
def test_a_name_kubernetes_would_refuse_is_refused(name: str | None) -> None:
    with pytest.raises(SpecError, match=r"^metadata\.name: "):
        agent_meta(_agent(name=name))


def test_an_object_of_another_kind_is_refused() -> None:
    with pytest.raises(SpecError, match="apiVersion/kind"):
        agent_meta({**_agent(name="x"), "kind": "Deployment"})


def test_an_agent_without_spec_is_refused() -> None:
    agent = _agent(name="x")
    del agent["spec"]
    with pytest.raises(SpecError, match=r"^spec: "):
        render_agent(agent)


def test_rendering_puts_every_child_in_the_agents_namespace() -> None:
    children = render_agent(_agent(name="weather", namespace="demo"))
    assert {child["metadata"]["namespace"] for child in children} == {"demo"}
