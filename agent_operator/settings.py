"""The operator's own configuration, read once from the environment at start-up.

Everything here applies to every Agent the operator serves (the runtime image, the defaults of
a pod); what varies per Agent lives in its spec. Each field is read from the environment
variable `AGENT_OPERATOR_<FIELD NAME IN UPPER CASE>`, so the Helm chart sets them as plain `env`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: The prefix of every environment variable the operator reads its settings from.
ENV_PREFIX = "AGENT_OPERATOR_"
#: A killed active replica is replaced within this; Kopf renews 5-10 s before it runs out.
PEERING_LIFETIME_SECONDS = 20


def _default_resources() -> dict[str, dict[str, str]]:
    # A CPU request is always set, so an HorizontalPodAutoscaler on CPU has a base to work from.
    return {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}}


class OperatorSettings(BaseModel):
    """Operator-wide settings; `from_env()` builds them from `AGENT_OPERATOR_*` variables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    runtime_image: str = Field(
        default="ghcr.io/agent-operator/agent-runtime:0.1.0",
        min_length=1,
        description="Image of the agent runtime, unless an Agent overrides it.",
    )
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = Field(
        default="IfNotPresent", description="Pull policy of the runtime container."
    )
    field_manager: str = Field(
        default="agent-operator", min_length=1, description="Server-side apply field manager."
    )
    cluster_domain: str = Field(
        default="cluster.local", min_length=1, description="DNS domain of the cluster."
    )
    resync_interval_seconds: float = Field(
        default=300.0, gt=0, description="How often every Agent is reconciled even unchanged."
    )
    secret_retry_max_delay_seconds: float = Field(
        default=60.0, gt=0, description="Longest wait before re-checking a missing Secret."
    )
    mistral_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Timeout of one call to Mistral's Agents API."
    )
    mistral_retry_max_delay_seconds: float = Field(
        default=300.0, gt=0, description="Longest wait before retrying a failed publish."
    )
    default_resources: dict[str, dict[str, str]] = Field(
        default_factory=_default_resources,
        description="`resources` of the runtime container when an Agent sets none (JSON).",
    )
    run_as_user: int = Field(
        default=65532, ge=1, description="Non-root user (and group) of the runtime pods."
    )
    peering_name: str = Field(
        default="",
        description="Kopf peering object the replicas share; empty: one replica, standalone.",
    )
    peering_lifetime_seconds: int = Field(
        default=PEERING_LIFETIME_SECONDS,
        ge=5,
        description="How long a replica's keep-alive counts; bounds the failover time.",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OperatorSettings:
        """Settings from `AGENT_OPERATOR_*` variables; defaults for those unset."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is not None:
                values[name] = json.loads(raw) if name == "default_resources" else raw
        return cls.model_validate(values)
