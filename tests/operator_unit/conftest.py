"""Fixtures of the builder tests: settings, an Agent's identity, and a way to build children."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agent_operator.builders import AgentMeta, Manifest, build_children
from agent_operator.settings import OperatorSettings
from agent_operator.spec import AgentSpec, parse_spec

#: Builds every child of an Agent from its spec (a dict), keyed by kind.
BuildChildren = Callable[..., dict[str, Manifest]]


@pytest.fixture
def settings() -> OperatorSettings:
    return OperatorSettings()


@pytest.fixture
def meta() -> AgentMeta:
    return AgentMeta(name="weather", namespace="demo", uid="0c0ffee0-uid", generation=3)


def minimal_spec(**fields: Any) -> dict[str, Any]:
    """The smallest valid spec, with `fields` added (or replaced)."""
    return {"model": {"name": "mistral-small-latest"}, **fields}


def spec_of(**fields: Any) -> AgentSpec:
    """A parsed minimal spec with `fields`."""
    return parse_spec(minimal_spec(**fields))


@pytest.fixture
def children(meta: AgentMeta, settings: OperatorSettings) -> BuildChildren:
    """`children(**spec_fields)` -> every applied child of the Agent, by kind."""

    def build(**fields: Any) -> dict[str, Manifest]:
        desired = build_children(meta, spec_of(**fields), settings)
        return {child["kind"]: child for child in desired.apply}

    return build
