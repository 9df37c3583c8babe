"""All of an Agent's children at once: what to apply, in which order, and what must be gone.

The apply order puts what others refer to first (ServiceAccount and ConfigMap before the
Deployment that mounts them), so pods never start against a missing object.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from agent_operator.builders.configmap import build_configmap
from agent_operator.builders.deployment import build_deployment
from agent_operator.builders.horizontalpodautoscaler import (
    API_VERSION as HPA_API_VERSION,
)
from agent_operator.builders.horizontalpodautoscaler import build_horizontal_pod_autoscaler
from agent_operator.builders.meta import (
    AgentMeta,
    DesiredChildren,
    Manifest,
    child_key,
    hosted_agent_id,
)
from agent_operator.builders.networkpolicy import build_network_policy
from agent_operator.builders.poddisruptionbudget import (
    API_VERSION as PDB_API_VERSION,
)
from agent_operator.builders.poddisruptionbudget import (
    build_pod_disruption_budget,
    wants_disruption_budget,
)
from agent_operator.builders.service import build_service
from agent_operator.builders.serviceaccount import build_service_account
from agent_operator.settings import OperatorSettings
from agent_operator.spec import API_VERSION, DNS_SUBDOMAIN, KIND, AgentSpec, SpecError, parse_spec

#: The namespace of an Agent whose manifest names none, as kubectl would pick.
DEFAULT_NAMESPACE = "default"


def build_children(meta: AgentMeta, spec: AgentSpec, settings: OperatorSettings) -> DesiredChildren:
    """Every child the Agent needs now, and the optional ones it must not have."""
    apply = [
        build_service_account(meta),
        build_configmap(meta, spec),
        build_service(meta),
        build_network_policy(meta, spec, settings),
        build_deployment(meta, spec, settings),
    ]
    absent = []
    if wants_disruption_budget(spec):
        apply.append(build_pod_disruption_budget(meta))
    else:
        absent.append(child_key(meta, PDB_API_VERSION, "PodDisruptionBudget"))
    if spec.autoscaling is not None:
        apply.append(build_horizontal_pod_autoscaler(meta, spec.autoscaling))
    else:
        absent.append(child_key(meta, HPA_API_VERSION, "HorizontalPodAutoscaler"))
    return DesiredChildren(apply=apply, absent=absent)


def render_agent(
    obj: Mapping[str, Any], settings: OperatorSettings | None = None
) -> list[Manifest]:
    """The children the operator would apply for a whole Agent object (for `render`)."""
    meta = agent_meta(obj)
    spec = parse_spec(_mapping(obj.get("spec"), "spec"))
    return build_children(meta, spec, settings or OperatorSettings()).apply


def agent_meta(obj: Mapping[str, Any]) -> AgentMeta:
    """The identity of an Agent object, or `SpecError` when it is not a well-formed Agent."""
    if obj.get("apiVersion") != API_VERSION or obj.get("kind") != KIND:
        raise SpecError(
            f"apiVersion/kind: expected {API_VERSION} {KIND}, "
            f"got {obj.get('apiVersion')} {obj.get('kind')}"
        )
    metadata = _mapping(obj.get("metadata"), "metadata")
    name = metadata.get("name")
    if not isinstance(name, str) or len(name) > 253 or not re.fullmatch(DNS_SUBDOMAIN, name):
        raise SpecError(f"metadata.name: {name!r} is not a DNS-1123 subdomain")
    namespace = metadata.get("namespace") or DEFAULT_NAMESPACE
    generation = metadata.get("generation")
    return AgentMeta(
        name=name,
        namespace=str(namespace),
        uid=metadata.get("uid"),
        generation=generation if isinstance(generation, int) else None,
        hosted_agent_id=hosted_agent_id(obj),
    )


def _mapping(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SpecError(f"{field}: must be a mapping")
    return value
