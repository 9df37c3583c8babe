"""Server-side apply, simplified: per-manager sets of owned leaf paths.

The real apiserver tracks ownership in `managedFields` (fieldsV1) and merges associative lists
by key. Here each manager owns the set of leaf paths it applied (dicts recurse; lists and
scalars are leaves, so lists are replaced atomically). On re-apply, paths the manager owned
before and omits now are removed unless another applier still owns them. Conflicts between
managers are not reported (every apply behaves as `force=true`), and ownership gained through
plain updates (PUT/PATCH) is not tracked. Identical re-applies leave the object unchanged, so
the store treats them as no-ops (no new resourceVersion, no watch event).
"""

from __future__ import annotations

import copy
from typing import Any

Path = tuple[str, ...]
Ownership = dict[str, frozenset[Path]]

# Fields that identify the object or belong to the server: nobody "owns" them through apply.
_UNOWNED_METADATA = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generateName",
    }
)


def leaf_paths(config: dict[str, Any]) -> frozenset[Path]:
    """Every leaf the applied configuration sets (apiVersion and kind excluded)."""
    paths: set[Path] = set()

    def walk(node: Any, prefix: Path) -> None:
        if isinstance(node, dict) and node:
            for key, value in node.items():
                walk(value, (*prefix, key))
        else:
            paths.add(prefix)

    for key, value in config.items():
        if key in ("apiVersion", "kind"):
            continue
        if key == "metadata" and isinstance(value, dict):
            for mkey, mvalue in value.items():
                if mkey not in _UNOWNED_METADATA:
                    walk(mvalue, ("metadata", mkey))
        else:
            walk(value, (key,))
    return frozenset(paths)


def _delete_path(obj: dict[str, Any], path: Path) -> None:
    """Remove a leaf, then prune the maps that the removal left empty."""
    trail: list[tuple[dict[str, Any], str]] = []
    node: Any = obj
    for key in path[:-1]:
        if not isinstance(node, dict) or key not in node:
            return
        trail.append((node, key))
        node = node[key]
    if isinstance(node, dict):
        node.pop(path[-1], None)
    for parent, key in reversed(trail[1:]):  # never prune the top-level sections
        if parent[key] == {}:
            del parent[key]
        else:
            break


def _deep_merge(target: dict[str, Any], config: dict[str, Any]) -> None:
    for key, value in config.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict) and value:
            _deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def apply_config(
    current: dict[str, Any] | None,
    config: dict[str, Any],
    manager: str,
    ownership: Ownership,
) -> tuple[dict[str, Any], Ownership]:
    """Merge an applied configuration into the live object; return it and the new ownership."""
    applied = leaf_paths(config)
    previous = ownership.get(manager, frozenset())
    owned_by_others: set[Path] = set()
    for other, paths in ownership.items():
        if other != manager:
            owned_by_others |= paths
    result: dict[str, Any] = copy.deepcopy(current) if current is not None else {}
    for path in sorted(previous - applied - owned_by_others, key=len, reverse=True):
        if not any(path[: len(p)] == p or p[: len(path)] == path for p in applied):
            _delete_path(result, path)
    _deep_merge(result, config)
    new_ownership = dict(ownership)
    new_ownership[manager] = applied
    return result, new_ownership


def render_fields_v1(paths: frozenset[Path]) -> dict[str, Any]:
    """A fieldsV1-shaped tree (`{"f:spec": {"f:replicas": {}}}`) of the owned paths."""
    tree: dict[str, Any] = {}
    for path in sorted(paths):
        node = tree
        for key in path:
            node = node.setdefault(f"f:{key}", {})
    return tree
