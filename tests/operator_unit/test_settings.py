"""Operator settings: defaults, and overrides from AGENT_OPERATOR_* variables."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agent_operator.settings import OperatorSettings


def test_defaults_need_no_environment() -> None:
    settings = OperatorSettings.from_env({})
    assert settings.runtime_image == "ghcr.io/agent-operator/agent-runtime:0.1.0"
    assert settings.field_manager == "agent-operator"
    assert settings.cluster_domain == "cluster.local"
    assert settings.resync_interval_seconds == 300


def test_each_setting_is_read_from_its_variable() -> None:
    settings = OperatorSettings.from_env(
        {
            "AGENT_OPERATOR_RUNTIME_IMAGE": "registry.local/rt:dev",
            "AGENT_OPERATOR_IMAGE_PULL_POLICY": "Always",
            "AGENT_OPERATOR_RESYNC_INTERVAL_SECONDS": "30",
            "AGENT_OPERATOR_DEFAULT_RESOURCES": '{"requests": {"cpu": "50m"}}',
        }
    )
    assert settings.runtime_image == "registry.local/rt:dev"
    assert settings.image_pull_policy == "Always"
    assert settings.resync_interval_seconds == 30
    assert settings.default_resources == {"requests": {"cpu": "50m"}}


def test_a_wrong_value_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="image_pull_policy"):
        OperatorSettings.from_env({"AGENT_OPERATOR_IMAGE_PULL_POLICY": "Sometimes"})


def test_the_process_environment_is_the_default_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_OPERATOR_CLUSTER_DOMAIN", "corp.internal")
    assert OperatorSettings.from_env().cluster_domain == "corp.internal"
