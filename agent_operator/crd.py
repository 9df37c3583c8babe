"""The CustomResourceDefinitions, generated from the pydantic models in `spec` and `evaluation`.

The API server accepts only structural schemas: every node typed, no `$ref`, no `anyOf` of
types, no `additionalProperties: false`. Pydantic's JSON Schema has all of these, so this
module rewrites it: references are inlined, `X | None` becomes an optional `X`, `exclusiveMinimum`
takes its OpenAPI v3.0 form, and titles go. The CEL rules published by the models stay where
they are, under `x-kubernetes-validations`.

`python -m agent_operator.crd > crds/agent.yaml` and `python -m agent_operator.crd evaluation >
crds/agentevaluation.yaml` (or `make crd`) write the committed CRDs; a test fails when those
files and this generator disagree.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import yaml
from pydantic import BaseModel

from agent_operator.evaluation import (
    EVALUATION_KIND,
    EVALUATION_PLURAL,
    PASSED,
    EvaluationSpec,
    EvaluationStatus,
)
from agent_operator.spec import GROUP, KIND, PLURAL, VERSION, AgentSpec, AgentStatus

#: The first lines of the generated file, so nobody edits it by hand.
HEADER = (
    "# The Agent CustomResourceDefinition. Generated from agent_operator/spec.py by `make crd`;\n"
    "# do not edit by hand.\n"
)
#: The first lines of the generated AgentEvaluation CRD.
EVALUATION_HEADER = (
    "# The AgentEvaluation CustomResourceDefinition. Generated from agent_operator/evaluation.py\n"
    "# by `make crd`; do not edit by hand.\n"
)

#: The kubectl category of Agents: `kubectl get agent-operator` lists them.
CATEGORY = "agent-operator"
#: Keywords of pydantic's JSON Schema that a structural schema has no use for.
_DROPPED_KEYWORDS = frozenset({"title"})
#: The order keywords are written in, for a CRD that reads top-down; the rest follow sorted.
_KEYWORD_ORDER = ("type", "description", "default", "required", "properties", "items")

Schema = dict[str, Any]


def openapi_schema(model: type[BaseModel]) -> Schema:
    """The structural OpenAPI v3 schema of `model`, every reference inlined."""
    raw = model.model_json_schema(by_alias=True)
    definitions = raw.pop("$defs", {})
    return _structural(raw, definitions)


def _structural(node: Schema, definitions: dict[str, Schema]) -> Schema:
    node = _inline(node, definitions)
    result: Schema = {}
    for keyword, value in node.items():
        if keyword in _DROPPED_KEYWORDS or _is_empty_default(keyword, value):
            continue
        if keyword == "additionalProperties" and isinstance(value, bool):
            continue  # `false` is pydantic's extra="forbid"; the API server prunes instead
        if keyword in ("exclusiveMinimum", "exclusiveMaximum"):
            result[keyword.replace("exclusive", "").lower()] = value
            result[keyword] = True
        elif keyword == "properties":
            result[keyword] = {k: _structural(v, definitions) for k, v in value.items()}
        elif keyword in ("items", "additionalProperties"):
            result[keyword] = _structural(value, definitions)
        else:
            result[keyword] = value
    return _ordered(result)


def _ordered(node: Schema) -> Schema:
    def rank(keyword: str) -> tuple[int, str]:
        if keyword in _KEYWORD_ORDER:
            return _KEYWORD_ORDER.index(keyword), ""
        return len(_KEYWORD_ORDER), keyword

    return {keyword: node[keyword] for keyword in sorted(node, key=rank)}


def _inline(node: Schema, definitions: dict[str, Schema]) -> Schema:
    """Replace a `$ref` by its definition and `anyOf: [X, null]` by X, siblings winning."""
    if "$ref" in node:
        target = definitions[node["$ref"].rsplit("/", 1)[-1]]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return _inline({**target, **siblings}, definitions)
    if "anyOf" in node:
        members = [m for m in node["anyOf"] if m != {"type": "null"}]
        if len(members) != 1:
            raise ValueError(f"a structural schema cannot express anyOf {node['anyOf']}")
        siblings = {k: v for k, v in node.items() if k != "anyOf"}
        return _inline({**members[0], **siblings}, definitions)
    return node


def _is_empty_default(keyword: str, value: object) -> bool:
    return keyword == "default" and (value is None or value == [])


def _printer_columns() -> list[Schema]:
    return [
        {"name": "Model", "type": "string", "jsonPath": ".spec.model.name"},
        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
        _condition_column("Ready", "Ready", "status"),
        {**_condition_column("Reason", "Ready", "reason"), "priority": 1},
        {"name": "Endpoint", "type": "string", "jsonPath": ".status.endpoint", "priority": 1},
        _AGE_COLUMN,
    ]


def _evaluation_printer_columns() -> list[Schema]:
    return [
        {"name": "Agent", "type": "string", "jsonPath": ".spec.agentRef.name"},
        {"name": "Passed", "type": "string", "jsonPath": ".status.summary"},
        _condition_column("Result", PASSED, "reason"),
        {**_condition_column("Message", PASSED, "message"), "priority": 1},
        _AGE_COLUMN,
    ]


#: The age column every kind shows last, as kubectl does for built-in kinds.
_AGE_COLUMN: Schema = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}


def _condition_column(name: str, condition: str, field: str) -> Schema:
    path = f'.status.conditions[?(@.type=="{condition}")].{field}'
    return {"name": name, "type": "string", "jsonPath": path}


def _root_schema(description: str, spec: type[BaseModel], status: type[BaseModel]) -> Schema:
    return {
        "type": "object",
        "description": description,
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string", "description": "The versioned schema of the object."},
            "kind": {"type": "string", "description": "The REST resource of the object."},
            "metadata": {"type": "object"},
            "spec": openapi_schema(spec),
            "status": openapi_schema(status),
        },
    }


def _crd(
    kind: str, plural: str, short_names: list[str], version: Schema, categories: list[str]
) -> Schema:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{plural}.{GROUP}",
            "labels": {
                "app.kubernetes.io/name": "agent-operator",
                "app.kubernetes.io/part-of": "agent-operator",
            },
        },
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": short_names,
                **({"categories": categories} if categories else {}),
            },
            "versions": [{"name": VERSION, "served": True, "storage": True, **version}],
        },
    }


def build_crd() -> Schema:
    """The CustomResourceDefinition object of `Agent`."""
    description = "An agent: a Mistral model with instructions and tools, served over HTTP."
    version = {
        "schema": {"openAPIV3Schema": _root_schema(description, AgentSpec, AgentStatus)},
        "subresources": {
            "status": {},
            "scale": {
                "specReplicasPath": ".spec.replicas",
                "statusReplicasPath": ".status.replicas",
                "labelSelectorPath": ".status.selector",
            },
        },
        "additionalPrinterColumns": _printer_columns(),
    }
    # A category of its own, not `all`: `kubectl delete all --all` must not delete Agents
    # (their Deployments would come back; the Agents would not).
    return _crd(KIND, PLURAL, ["ag"], version, [CATEGORY])


def build_evaluation_crd() -> Schema:
    """The CustomResourceDefinition object of `AgentEvaluation`."""
    description = "Test cases an Agent's answers must pass, and the results of the last run."
    schema = _root_schema(description, EvaluationSpec, EvaluationStatus)
    version = {
        "schema": {"openAPIV3Schema": schema},
        "subresources": {"status": {}},
        "additionalPrinterColumns": _evaluation_printer_columns(),
    }
    # Not in the `all` category: `kubectl get all` lists what serves, not test definitions.
    return _crd(EVALUATION_KIND, EVALUATION_PLURAL, ["agev"], version, [])


class _PlainDumper(yaml.SafeDumper):
    """Writes shared sub-schemas out in full: no YAML anchors, which few readers expect."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def crd_yaml() -> str:
    """The Agent CRD as the YAML text committed in `crds/agent.yaml`."""
    return HEADER + _dump(build_crd())


def evaluation_crd_yaml() -> str:
    """The AgentEvaluation CRD as the YAML text committed in `crds/agentevaluation.yaml`."""
    return EVALUATION_HEADER + _dump(build_evaluation_crd())


def _dump(crd: Schema) -> str:
    return yaml.dump(crd, Dumper=_PlainDumper, sort_keys=False, width=100, allow_unicode=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Print a CRD on standard output: the Agent's, or with `evaluation` the AgentEvaluation's."""
    which = list(sys.argv[1:] if argv is None else argv)
    print(evaluation_crd_yaml() if which == ["evaluation"] else crd_yaml(), end="")


if __name__ == "__main__":
    main()
