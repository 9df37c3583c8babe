"""Sending an Agent to the emulator as kubectl does, and reading a refusal the way a user would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.operator_e2e.agents import GROUP, NAMESPACE, PLURAL, VERSION


@dataclass(frozen=True)
class Answer:
    """What the API server said to a create: the stored object, or a refusal."""

    status: int
    message: str
    stored: dict[str, Any] | None


def create_as_kubectl(api: Any, manifest: dict[str, Any]) -> Answer:
    """Create an Agent with strict field validation (kubectl's default since 1.27)."""
    custom = client.CustomObjectsApi(api)
    try:
        stored = custom.create_namespaced_custom_object(
            GROUP, VERSION, NAMESPACE, PLURAL, manifest, field_validation="Strict"
        )
    except ApiException as exc:
        body = json.loads(exc.body or "{}")
        return Answer(int(exc.status), str(body.get("message", "")), None)
    return Answer(201, "", cast(dict[str, Any], stored))


def delete_quietly(api: Any, name: str) -> None:
    custom = client.CustomObjectsApi(api)
    try:
        custom.delete_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, name)
    except ApiException as exc:
        if exc.status != 404:
            raise
