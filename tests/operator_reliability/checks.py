"""What every reliability scenario checks at its end: the cluster is whole and the log is calm.

- `children_of_agents`: every object the operator manages, by kind.
- `assert_no_duplicate_or_orphan`: each managed child has exactly one controller owner
  reference, to an Agent that exists, and each Agent has one child of each kind it needs.
- `fault_lines`: the log lines that mention one injected fault's message.
- `assert_no_traceback`: an expected transient fault is one log line, never a traceback.
"""

from __future__ import annotations

from typing import Any

from tests.emulator import EmulatorServer
from tests.operator_e2e.agents import ALWAYS, KINDS, NAMESPACE, PLURAL

GROUP = "agent-operator.io"
MANAGED_BY = ("app.kubernetes.io/managed-by", "agent-operator")


def managed_children(cluster: EmulatorServer) -> dict[str, list[dict[str, Any]]]:
    """Every object labelled as managed by the operator in the test namespace, by kind."""
    found: dict[str, list[dict[str, Any]]] = {}
    for kind, (plural, group) in KINDS.items():
        objs = cluster.list_objects(plural, NAMESPACE, group)
        found[kind] = [
            o
            for o in objs
            if (o["metadata"].get("labels") or {}).get(MANAGED_BY[0]) == MANAGED_BY[1]
        ]
    return found


def agent_uids(cluster: EmulatorServer) -> dict[str, str]:
    """Name to uid of every Agent in the test namespace."""
    return {
        a["metadata"]["name"]: a["metadata"]["uid"]
        for a in cluster.list_objects(PLURAL, NAMESPACE, GROUP)
    }


def assert_no_duplicate_or_orphan(cluster: EmulatorServer, names: list[str]) -> None:
    """Each child has one controller owner, an existing Agent; each Agent has one of each."""
    uids = agent_uids(cluster)
    children = managed_children(cluster)
    for kind, objs in children.items():
        owners: list[str] = []
        for obj in objs:
            refs = obj["metadata"].get("ownerReferences") or []
            controllers = [r for r in refs if r.get("controller")]
            where = f"{kind} {obj['metadata']['name']}"
            assert len(controllers) == 1, f"{where} has owners {refs}"
            ref = controllers[0]
            assert ref["kind"] == "Agent", where
            assert uids.get(ref["name"]) == ref["uid"], f"{where} is owned by a gone Agent"
            owners.append(ref["name"])
        assert len(owners) == len(set(owners)), f"an Agent has two {kind}s: {sorted(owners)}"
        if kind in ALWAYS:
            assert set(names) <= set(owners), f"missing {kind}s: {set(names) - set(owners)}"


def fault_lines(log: str, marker: str) -> list[str]:
    """The lines of the log that report the injected fault `marker` (debug dumps excluded)."""
    return [line for line in log.splitlines() if marker in line and "[DEBUG" not in line]


def assert_no_traceback(log: str) -> None:
    """Expected transient faults are told in one line each, never with a traceback."""
    assert "Traceback (most recent call last)" not in log, log[-6000:]
