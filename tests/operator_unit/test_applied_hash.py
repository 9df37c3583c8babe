"""Each child carries the hash of what was applied; stamping it never touches the desired object."""

from __future__ import annotations

import copy
from typing import Any

from agent_operator.drift import APPLIED_HASH_ANNOTATION, applied_hash, with_applied_hash


def config_map(**data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "weather", "namespace": "demo", "annotations": {"team": "search"}},
        "data": data or {"agent.json": "{}"},
    }


def test_the_stamp_is_the_hash_of_the_desired_object_and_keeps_its_annotations() -> None:
    desired = config_map()
    stamped = with_applied_hash(desired)
    assert stamped["metadata"]["annotations"] == {
        "team": "search",
        APPLIED_HASH_ANNOTATION: applied_hash(desired),
    }
    assert {k: v for k, v in stamped.items() if k != "metadata"} == {
        k: v for k, v in desired.items() if k != "metadata"
    }


def test_stamping_leaves_the_desired_object_as_it_was() -> None:
    desired = config_map()
    before = copy.deepcopy(desired)
    with_applied_hash(desired)
    assert desired == before


def test_any_change_of_the_desired_object_changes_the_stamp() -> None:
    one = with_applied_hash(config_map(**{"agent.json": '{"a": 1}'}))
    other = with_applied_hash(config_map(**{"agent.json": '{"a": 2}'}))
    assert (
        one["metadata"]["annotations"][APPLIED_HASH_ANNOTATION]
        != other["metadata"]["annotations"][APPLIED_HASH_ANNOTATION]
    )
