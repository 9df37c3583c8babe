"""Properties over generated Agents: any valid spec yields objects Kubernetes accepts,
the CRD and the models agree on it, and child names stay valid and distinct."""

from __future__ import annotations

import re
from typing import Any

import kubernetes_validate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_operator.builders import AgentMeta, build_children, child_name, label_value
from agent_operator.settings import OperatorSettings
from agent_operator.spec import API_VERSION, KIND, parse_spec
from tests.operator_unit.crd_validation import problems

EXAMPLES = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")

dns_labels = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?\Z")
subdomains = (
    st.lists(dns_labels, min_size=1, max_size=12).map(".".join).filter(lambda n: len(n) <= 253)
)
secret_refs = st.fixed_dictionaries(
    {"name": subdomains, "key": st.from_regex(r"\A[a-zA-Z0-9_][-._a-zA-Z0-9]{0,15}\Z")}
)
urls = st.sampled_from(
    [
        "https://api.example.com/v1",
        "http://tool.tools.svc:8080/x",
        "http://local-tool/y",
        "http://10.1.2.3:9000",
        "https://[2001:db8::1]:8443/z",
        "http://127.0.0.1:8081",
        "https://llm.internal.svc.cluster.local",
    ]
)
headers = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {"name": st.sampled_from(["Authorization", "X-Key"]), "value": st.text(max_size=8)}
        ),
        st.fixed_dictionaries(
            {
                "name": st.sampled_from(["Authorization", "X-Key"]),
                "valueFrom": st.fixed_dictionaries({"secretKeyRef": secret_refs}),
            }
        ),
    ),
    max_size=3,
)
tool_kinds = st.one_of(
    st.fixed_dictionaries(
        {
            "http": st.fixed_dictionaries(
                {"url": urls, "headers": headers},
                optional={"method": st.sampled_from(["GET", "POST"])},
            )
        }
    ),
    st.fixed_dictionaries(
        {
            "mcp": st.fixed_dictionaries(
                {"url": urls},
                optional={"include": st.lists(st.sampled_from(["a", "b"]), max_size=2)},
            )
        }
    ),
    st.fixed_dictionaries(
        {"agent": st.fixed_dictionaries({"name": subdomains}, optional={"namespace": dns_labels})}
    ),
)
tool_names = st.from_regex(r"\A[a-zA-Z_][a-zA-Z0-9_-]{0,10}\Z")


@st.composite
def tools(draw: st.DrawFn) -> list[dict[str, Any]]:
    names = draw(st.lists(tool_names, max_size=4, unique=True))
    return [{"name": name, **draw(tool_kinds)} for name in names]


@st.composite
def autoscaling(draw: st.DrawFn) -> dict[str, int]:
    low = draw(st.integers(1, 5))
    return {"minReplicas": low, "maxReplicas": draw(st.integers(low, 10))}


specs = st.fixed_dictionaries(
    {
        "model": st.fixed_dictionaries(
            {"name": st.sampled_from(["mistral-small-latest", "mistral-large-latest"])},
            optional={
                "temperature": st.floats(0, 1.5),
                "apiKeySecretRef": secret_refs,
                "endpoint": urls,
            },
        ),
        "tools": tools(),
    },
    optional={
        "replicas": st.integers(0, 5),
        "autoscaling": autoscaling(),
        "resources": st.just({"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": 1}}),
        "egress": st.fixed_dictionaries(
            {
                "allowCIDRs": st.lists(
                    st.sampled_from(["10.0.0.0/8", "192.168.1.0/24", "fd00::/8"]), max_size=2
                )
            }
        ),
        "auth": st.fixed_dictionaries({"bearerTokenSecretRef": secret_refs}),
        "observability": st.fixed_dictionaries({"otlpEndpoint": urls}),
    },
)


@EXAMPLES
@given(name=subdomains, namespace=dns_labels, spec=specs)
def test_any_valid_spec_yields_objects_kubernetes_accepts(
    name: str, namespace: str, spec: dict[str, Any]
) -> None:
    meta = AgentMeta(name=name, namespace=namespace)
    desired = build_children(meta, parse_spec(spec), OperatorSettings())
    for child in desired.apply:
        kubernetes_validate.validate(child, desired_version="1.31", strict=True)


@EXAMPLES
@given(name=subdomains, spec=specs)
def test_the_crd_accepts_every_spec_the_models_accept(name: str, spec: dict[str, Any]) -> None:
    parse_spec(spec)
    agent = {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": name}, "spec": spec}
    assert problems(agent) == []


@EXAMPLES
@given(st.lists(subdomains, min_size=2, max_size=20, unique=True))
def test_names_are_always_valid_and_collision_free(names: list[str]) -> None:
    children = [child_name(name, "Service") for name in names]
    assert all(DNS_1035_LABEL.fullmatch(child) for child in children)
    assert len(set(children)) == len(names)
    labels = [label_value(name) for name in names]
    assert all(LABEL_VALUE.fullmatch(label) for label in labels)
    assert len(set(labels)) == len(names)


@EXAMPLES
@given(st.text(min_size=1, max_size=300))
def test_even_names_kubernetes_would_refuse_become_valid_child_names(name: str) -> None:
    assert DNS_1035_LABEL.fullmatch(child_name(name, "Deployment"))
    assert LABEL_VALUE.fullmatch(label_value(name))
