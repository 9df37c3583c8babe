"""A small custom resource for the emulator's tests: `Widget` in `example.com/v1`.

Its schema exercises what the emulator validates (types, required, enum, bounds, patterns,
item counts, defaults, pruning, CEL rules including a transition rule), and it declares the
status and scale subresources.
"""

from __future__ import annotations

import copy
from typing import Any

GROUP = "example.com"
VERSION = "v1"
PLURAL = "widgets"
API_VERSION = f"{GROUP}/{VERSION}"

WIDGET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["size"],
            "x-kubernetes-validations": [
                {"rule": "self.size <= self.maxSize", "message": "size must not exceed maxSize"},
                {
                    "rule": "!has(oldSelf.colour) || self.colour == oldSelf.colour",
                    "message": "colour is immutable",
                },
            ],
            "properties": {
                "size": {"type": "integer", "minimum": 0, "maximum": 100},
                "maxSize": {"type": "integer", "default": 50},
                "replicas": {"type": "integer", "minimum": 0},
                "colour": {"type": "string", "enum": ["red", "green", "blue"]},
                "label": {"type": "string", "pattern": "^[a-z]+$", "minLength": 2, "maxLength": 8},
                "parts": {
                    "type": "array",
                    "maxItems": 3,
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": {"type": "string"}},
                    },
                },
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        },
        "status": {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
            "properties": {
                "phase": {"type": "string", "enum": ["Pending", "Ready"]},
                "replicas": {"type": "integer"},
                "selector": {"type": "string"},
            },
        },
    },
}

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"{PLURAL}.{GROUP}"},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": PLURAL, "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
        "versions": [
            {
                "name": VERSION,
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": WIDGET_SCHEMA},
                "subresources": {
                    "status": {},
                    "scale": {
                        "specReplicasPath": ".spec.replicas",
                        "statusReplicasPath": ".status.replicas",
                        "labelSelectorPath": ".status.selector",
                    },
                },
            }
        ],
    },
}


def widget_crd() -> dict[str, Any]:
    return copy.deepcopy(WIDGET_CRD)


def widget(name: str, namespace: str = "default", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "Widget",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"size": 1, **spec},
    }
