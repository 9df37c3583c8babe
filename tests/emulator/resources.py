"""Resource types the emulator serves: built-in kinds plus whatever CRDs register.

A resource type carries what discovery advertises (kind, plural, scope, short names,
subresources) and what serving needs (whether `.status` is a separate subresource, where a
scale subresource reads and writes replicas, the CRD's schema for validation).
"""

from __future__ import annotations

import dataclasses
from typing import Any

ALL_VERBS: tuple[str, ...] = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)


@dataclasses.dataclass(frozen=True)
class ScalePaths:
    """Where the scale subresource finds replicas and the selector, as JSON paths (`.spec.x`)."""

    spec_replicas: str = ".spec.replicas"
    status_replicas: str = ".status.replicas"
    label_selector: str | None = None


@dataclasses.dataclass(frozen=True)
class ResourceType:
    """One served resource (group/version/plural) and how to treat its objects."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    has_status: bool = False
    scale: ScalePaths | None = None
    schema: dict[str, Any] | None = None  # openAPIV3Schema of a CRD version
    crd_name: str | None = None  # set for custom resources: the owning CRD's name

    @property
    def key(self) -> tuple[str, str]:
        """Objects are stored per group and plural (one served version per resource)."""
        return (self.group, self.plural)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> tuple[str, str]:
        return (self.group, self.version)

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def qualified_kind(self) -> str:
        """How the apiserver names the kind in messages: `Agent.agent-operator.io`."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def subresources(self) -> tuple[str, ...]:
        return tuple(
            name
            for name, present in (("status", self.has_status), ("scale", self.scale is not None))
            if present
        )


def _core(plural: str, kind: str, **kwargs: Any) -> ResourceType:
    return ResourceType(group="", version="v1", plural=plural, kind=kind, **kwargs)


BUILTIN_TYPES: tuple[ResourceType, ...] = (
    _core("namespaces", "Namespace", namespaced=False, short_names=("ns",), has_status=True),
    _core("configmaps", "ConfigMap", short_names=("cm",)),
    _core("secrets", "Secret"),
    _core("services", "Service", short_names=("svc",), has_status=True, categories=("all",)),
    _core("serviceaccounts", "ServiceAccount", short_names=("sa",)),
    _core("events", "Event", short_names=("ev",)),
    _core("pods", "Pod", short_names=("po",), has_status=True, categories=("all",)),
    ResourceType("events.k8s.io", "v1", "events", "Event", short_names=("ev",)),
    ResourceType(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        short_names=("deploy",),
        categories=("all",),
        has_status=True,
        scale=ScalePaths(),
    ),
    ResourceType(
        "networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", short_names=("netpol",)
    ),
    ResourceType(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        short_names=("pdb",),
        has_status=True,
    ),
    ResourceType(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        short_names=("hpa",),
        categories=("all",),
        has_status=True,
    ),
    ResourceType("coordination.k8s.io", "v1", "leases", "Lease"),
    ResourceType("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    ResourceType("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    ResourceType(
        "rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False
    ),
    ResourceType(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        namespaced=False,
    ),
    ResourceType(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        short_names=("crd", "crds"),
        has_status=True,
    ),
)

CRD_KEY: tuple[str, str] = ("apiextensions.k8s.io", "customresourcedefinitions")
NAMESPACE_KEY: tuple[str, str] = ("", "namespaces")
DEPLOYMENT_KEY: tuple[str, str] = ("apps", "deployments")


def types_from_crd(crd: dict[str, Any]) -> list[ResourceType]:
    """The served versions of a CRD, each as a resource type, as a real cluster registers them."""
    spec = crd.get("spec", {})
    names = spec.get("names", {})
    result: list[ResourceType] = []
    for version in spec.get("versions", []):
        if not version.get("served", True):
            continue
        subresources = version.get("subresources") or {}
        scale_spec = subresources.get("scale")
        scale = (
            ScalePaths(
                spec_replicas=scale_spec.get("specReplicasPath", ".spec.replicas"),
                status_replicas=scale_spec.get("statusReplicasPath", ".status.replicas"),
                label_selector=scale_spec.get("labelSelectorPath"),
            )
            if scale_spec is not None
            else None
        )
        result.append(
            ResourceType(
                group=spec["group"],
                version=version["name"],
                plural=names["plural"],
                kind=names["kind"],
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames", ())),
                categories=tuple(names.get("categories", ())),
                has_status="status" in subresources,
                scale=scale,
                schema=(version.get("schema") or {}).get("openAPIV3Schema"),
                crd_name=crd.get("metadata", {}).get("name"),
            )
        )
    # The storage version first: one version per resource is what the emulator stores.
    result.sort(key=lambda rt: not _is_storage(spec, rt.version))
    return result


def _is_storage(spec: dict[str, Any], version: str) -> bool:
    return any(v.get("name") == version and v.get("storage") for v in spec.get("versions", []))


class Registry:
    """All resource types currently served, indexed the ways requests need them."""

    def __init__(self) -> None:
        self._by_gvp: dict[tuple[str, str, str], ResourceType] = {}
        for rtype in BUILTIN_TYPES:
            self.add(rtype)

    def add(self, rtype: ResourceType) -> None:
        self._by_gvp[(rtype.group, rtype.version, rtype.plural)] = rtype

    def remove_crd(self, crd_name: str) -> list[ResourceType]:
        removed = [rt for rt in self._by_gvp.values() if rt.crd_name == crd_name]
        for rtype in removed:
            del self._by_gvp[(rtype.group, rtype.version, rtype.plural)]
        return removed

    def find(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_gvp.get((group, version, plural))

    def by_key(self, key: tuple[str, str]) -> ResourceType | None:
        for rtype in self._by_gvp.values():
            if rtype.key == key:
                return rtype
        return None

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        for rtype in self._by_gvp.values():
            if rtype.api_version == api_version and rtype.kind == kind:
                return rtype
        return None

    def all(self) -> list[ResourceType]:
        return list(self._by_gvp.values())

    def group_versions(self) -> dict[str, list[str]]:
        """Group name to its versions (the core group is left out, as /apis does)."""
        groups: dict[str, list[str]] = {}
        for rtype in self._by_gvp.values():
            if rtype.group and rtype.version not in groups.setdefault(rtype.group, []):
                groups[rtype.group].append(rtype.version)
        return groups
