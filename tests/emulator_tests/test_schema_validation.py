"""Custom objects are pruned, defaulted and validated against the CRD schema, CEL included."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator import EmulatorServer

from .widgets import widget

WIDGETS = "/apis/example.com/v1/namespaces/default/widgets"
MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture
def api(widgets: EmulatorServer, http: httpx.Client) -> httpx.Client:
    return http


def rejected(http: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    answer = http.post(WIDGETS, json=body)
    assert answer.status_code == 422
    status: dict[str, Any] = answer.json()
    assert status["reason"] == "Invalid"
    return status


def test_wrong_type_names_the_field(api: httpx.Client) -> None:
    status = rejected(api, widget("w", size="big"))
    assert status["message"] == (
        'Widget.example.com "w" is invalid: spec.size: Invalid value: "big": '
        'spec.size in body must be of type integer: "string"'
    )
    assert status["details"]["causes"] == [
        {
            "reason": "FieldValueTypeInvalid",
            "message": 'Invalid value: "big": spec.size in body must be of type integer: "string"',
            "field": "spec.size",
        }
    ]


def test_missing_required_field(api: httpx.Client) -> None:
    body = widget("w")
    del body["spec"]["size"]
    status = rejected(api, body)
    assert status["message"] == 'Widget.example.com "w" is invalid: spec.size: Required value'


def test_enum(api: httpx.Client) -> None:
    status = rejected(api, widget("w", colour="pink"))
    assert (
        'spec.colour: Unsupported value: "pink": supported values: "red", "green", "blue"'
        in (status["message"])
    )


def test_minimum_and_maximum(api: httpx.Client) -> None:
    assert "should be greater than or equal to 0" in rejected(api, widget("w", size=-1))["message"]
    assert "should be less than or equal to 100" in rejected(api, widget("w", size=101))["message"]


def test_string_length_and_pattern(api: httpx.Client) -> None:
    assert "at least 2 chars long" in rejected(api, widget("w", label="a"))["message"]
    assert "Too long" in rejected(api, widget("w", label="abcdefghij"))["message"]
    assert "should match '^[a-z]+$'" in rejected(api, widget("w", label="Ab"))["message"]


def test_max_items(api: httpx.Client) -> None:
    parts = [{"name": str(i)} for i in range(4)]
    status = rejected(api, widget("w", parts=parts))
    assert status["details"]["causes"][0]["field"] == "spec.parts"


def test_nested_required_field_in_a_list(api: httpx.Client) -> None:
    status = rejected(api, widget("w", parts=[{"name": "a"}, {}]))
    assert status["details"]["causes"][0]["field"] == "spec.parts[1].name"


def test_several_failures_are_listed_together(api: httpx.Client) -> None:
    status = rejected(api, widget("w", size=-1, colour="pink"))
    assert len(status["details"]["causes"]) == 2
    assert ": [spec.size: Invalid value" in status["message"]


def test_defaults_are_applied(api: httpx.Client) -> None:
    created = api.post(WIDGETS, json=widget("w")).json()
    assert created["spec"]["maxSize"] == 50


def test_unknown_fields_are_pruned(api: httpx.Client) -> None:
    created = api.post(WIDGETS, json=widget("w", unknown="x")).json()
    assert "unknown" not in created["spec"]


def test_preserved_unknown_fields_are_kept(api: httpx.Client) -> None:
    created = api.post(WIDGETS, json=widget("w", extra={"anything": {"goes": 1}})).json()
    assert created["spec"]["extra"] == {"anything": {"goes": 1}}


def test_cel_rule_with_message(api: httpx.Client) -> None:
    status = rejected(api, widget("w", size=60))
    assert status["message"] == (
        'Widget.example.com "w" is invalid: spec: Invalid value: "object": '
        "size must not exceed maxSize"
    )


def test_cel_transition_rule_runs_on_update(api: httpx.Client) -> None:
    api.post(WIDGETS, json=widget("w", colour="red"))
    answer = api.patch(f"{WIDGETS}/w", json={"spec": {"colour": "blue"}}, headers=MERGE)
    assert answer.status_code == 422
    assert "colour is immutable" in answer.json()["message"]


def test_patch_is_validated(api: httpx.Client) -> None:
    api.post(WIDGETS, json=widget("w"))
    answer = api.patch(f"{WIDGETS}/w", json={"spec": {"size": "x"}}, headers=MERGE)
    assert answer.status_code == 422


def test_status_writes_are_validated(api: httpx.Client) -> None:
    api.post(WIDGETS, json=widget("w"))
    answer = api.patch(f"{WIDGETS}/w/status", json={"status": {"phase": "Lost"}}, headers=MERGE)
    assert answer.status_code == 422
    assert answer.json()["details"]["causes"][0]["field"] == "status.phase"


def test_apply_is_validated(api: httpx.Client) -> None:
    import json

    answer = api.patch(
        f"{WIDGETS}/w",
        content=json.dumps(widget("w", size=-5)),
        headers={"Content-Type": "application/apply-patch+yaml"},
        params={"fieldManager": "op"},
    )
    assert answer.status_code == 422


def test_null_of_a_non_nullable_field_is_dropped_then_defaulted(api: httpx.Client) -> None:
    created = api.post(WIDGETS, json=widget("w", maxSize=None, colour=None)).json()
    assert created["spec"]["maxSize"] == 50
    assert "colour" not in created["spec"]
