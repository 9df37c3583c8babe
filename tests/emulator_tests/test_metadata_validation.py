"""Names, label keys and values, and annotation keys are validated like the apiserver does."""

from __future__ import annotations

import httpx
import pytest

CM = "/api/v1/namespaces/default/configmaps"


def test_uppercase_name_is_invalid(http: httpx.Client) -> None:
    answer = http.post(CM, json={"metadata": {"name": "Bad"}})
    assert answer.status_code == 422
    assert answer.json()["message"].startswith(
        'ConfigMap "Bad" is invalid: metadata.name: Invalid value: "Bad": a lowercase RFC 1123 '
        "subdomain"
    )


def test_service_name_must_be_a_dns_label(http: httpx.Client) -> None:
    answer = http.post("/api/v1/namespaces/default/services", json={"metadata": {"name": "a.b"}})
    assert answer.status_code == 422


def test_long_label_value_is_invalid(http: httpx.Client) -> None:
    answer = http.post(CM, json={"metadata": {"name": "a", "labels": {"k": "v" * 64}}})
    assert answer.status_code == 422
    assert "must be no more than 63 characters" in answer.json()["message"]


@pytest.mark.parametrize("key", ["-bad", "a/b/c", "UPPER.example/ok"])
def test_malformed_label_keys_are_invalid(http: httpx.Client, key: str) -> None:
    answer = http.post(CM, json={"metadata": {"name": "a", "labels": {key: "v"}}})
    assert answer.status_code == 422


def test_well_formed_labels_pass(http: httpx.Client) -> None:
    labels = {"app.kubernetes.io/name": "agent", "x": "", "tier": "Web_1.0"}
    answer = http.post(CM, json={"metadata": {"name": "a", "labels": labels}})
    assert answer.status_code == 201


def test_labels_changed_by_a_patch_are_validated(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a"}})
    answer = http.patch(
        f"{CM}/a",
        json={"metadata": {"labels": {"k": "not ok"}}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert answer.status_code == 422
