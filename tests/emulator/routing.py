"""URL routing in the apiserver's terms: which resource, namespace, name and subresource.

`/api/v1/namespaces/ns/configmaps/x` and `/apis/apps/v1/namespaces/ns/deployments/x/scale`
become a :class:`Route` carrying the RBAC verb the request amounts to.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Route:
    """A parsed request target; `plural is None` for discovery and other non-resource URLs."""

    group: str | None = None
    version: str | None = None
    plural: str | None = None
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None
    verb: str = ""


_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})


def _verb(method: str, has_name: bool, watch: bool) -> str:
    method = method.upper()
    if method == "GET":
        return "watch" if watch else ("get" if has_name else "list")
    if method == "POST":
        return "create"
    if method == "PUT":
        return "update"
    if method == "PATCH":
        return "patch"
    if method == "DELETE":
        return "delete" if has_name else "deletecollection"
    return ""


def route(path: str, method: str, query: dict[str, str]) -> Route:
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return Route()
    if not rest:
        return Route(group=group, version=version)
    namespace: str | None = None
    if (
        rest[0] == "namespaces"
        and len(rest) >= 3
        and not (len(rest) == 3 and rest[2] in _NAMESPACE_SUBRESOURCES)
    ):
        namespace, rest = rest[1], rest[2:]
    plural = rest[0]
    name = rest[1] if len(rest) >= 2 else None
    subresource = "/".join(rest[2:]) or None
    watch = query.get("watch", "") in ("true", "1")
    return Route(
        group=group,
        version=version,
        plural=plural,
        namespace=namespace,
        name=name,
        subresource=subresource,
        verb=_verb(method, name is not None, watch),
    )
