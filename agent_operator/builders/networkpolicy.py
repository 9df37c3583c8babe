"""The NetworkPolicy that confines an Agent's pods to the destinations its spec declares.

A NetworkPolicy matches pods, namespaces and IP blocks, never host names, so it is the coarse
half of the egress control; the runtime enforces `egress.allowHosts` host by host. Egress is
denied except:

- DNS: UDP and TCP 53 to kube-dns (`k8s-app: kube-dns`, CoreDNS included) in `kube-system`; a
  cluster that resolves through a node-local cache on a link-local address lists that address
  in `egress.allowCIDRs`;
- Agent tools: the pods of that Agent, in its namespace, on the runtime port;
- other in-cluster URLs (a single-label host, or one ending in `.svc` or `.svc.<cluster
  domain>`): every pod of that Service's namespace, on any port (the policy sees the pod's port
  after the Service's translation, which the spec does not tell);
- URLs with an IP address as host: that address, on the URL's port;
- other URLs (the model's API, external tools, the OTLP collector): the URLs' ports to any
  public address, that is 0.0.0.0/0 and ::/0 except private, link-local and metadata ranges;
- `egress.allowCIDRs`: those ranges on any port, for targets the rules above cannot see (a
  service behind a private address, a name that is in-cluster but not written as one).

Loopback destinations (a local mock model) need no rule. Ingress is open on the runtime port to
every peer: clients, ingress controllers and kubelet probes all reach the pods there, and
`spec.auth` is what restricts who may use the API.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from agent_operator.builders.meta import AgentMeta, Manifest, object_meta
from agent_operator.builders.names import selector_labels
from agent_operator.settings import OperatorSettings
from agent_operator.spec import AgentSpec
from agent_runtime.config import RUNTIME_PORT

#: Where the model is served when `spec.model.endpoint` is unset.
MISTRAL_API = "https://api.mistral.ai"
#: The label every namespace carries with its own name (Kubernetes >= 1.22).
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
#: Ranges that are never "the internet": private, shared, link-local (cloud metadata) ones.
NON_PUBLIC_IPV4 = (
    "10.0.0.0/8",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
)
NON_PUBLIC_IPV6 = ("fc00::/7", "fe80::/10")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class _Target:
    """One destination URL, split into what a NetworkPolicy can match."""

    host: str
    port: int


def build_network_policy(meta: AgentMeta, spec: AgentSpec, settings: OperatorSettings) -> Manifest:
    """The Agent's NetworkPolicy."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": object_meta(meta, "NetworkPolicy"),
        "spec": {
            "podSelector": {"matchLabels": selector_labels(meta.name)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"ports": [_tcp(RUNTIME_PORT)]}],
            "egress": list(_egress_rules(meta, spec, settings)),
        },
    }


def _egress_rules(
    meta: AgentMeta, spec: AgentSpec, settings: OperatorSettings
) -> Iterator[Manifest]:
    yield _dns_rule()
    yield from _agent_tool_rules(meta, spec)
    targets = sorted(set(_url_targets(spec)), key=lambda t: (t.host, t.port))
    cluster_namespaces: set[str] = set()
    addresses: set[tuple[str, int]] = set()
    public_ports: set[int] = set()
    for target in targets:
        if target.host == "localhost":
            continue
        namespace = _cluster_namespace(target.host, meta.namespace, settings.cluster_domain)
        address = _address(target.host)
        if namespace is not None:
            cluster_namespaces.add(namespace)
        elif address is None:
            public_ports.add(target.port)
        elif not address.is_loopback:
            addresses.add((str(ipaddress.ip_network(address)), target.port))
    for namespace in sorted(cluster_namespaces):
        yield {"to": [{"namespaceSelector": _namespace_selector(namespace)}]}
    for cidr, port in sorted(addresses):
        yield {"to": [{"ipBlock": {"cidr": cidr}}], "ports": [_tcp(port)]}
    if public_ports:
        yield {"to": _public_blocks(), "ports": [_tcp(port) for port in sorted(public_ports)]}
    if spec.egress.allow_cidrs:
        cidrs = sorted(
            {str(ipaddress.ip_network(c, strict=False)) for c in spec.egress.allow_cidrs}
        )
        yield {"to": [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]}


def _dns_rule() -> Manifest:
    return {
        "to": [
            {
                "namespaceSelector": _namespace_selector("kube-system"),
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }


def _agent_tool_rules(meta: AgentMeta, spec: AgentSpec) -> Iterator[Manifest]:
    agents = {
        (tool.agent.namespace or meta.namespace, tool.agent.name)
        for tool in spec.tools
        if tool.agent is not None
    }
    for namespace, name in sorted(agents):
        yield {
            "to": [
                {
                    "namespaceSelector": _namespace_selector(namespace),
                    "podSelector": {"matchLabels": selector_labels(name)},
                }
            ],
            "ports": [_tcp(RUNTIME_PORT)],
        }


def _url_targets(spec: AgentSpec) -> Iterator[_Target]:
    yield _target(spec.model.endpoint or MISTRAL_API)
    if spec.observability.otlp_endpoint:
        yield _target(spec.observability.otlp_endpoint)
    for tool in spec.tools:
        if tool.http is not None:
            yield _target(tool.http.url)
        if tool.mcp is not None:
            yield _target(tool.mcp.url)


def _target(url: str) -> _Target:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return _Target(host=host, port=port or _DEFAULT_PORTS.get(parts.scheme, 443))


def _cluster_namespace(host: str, own_namespace: str, cluster_domain: str) -> str | None:
    """The namespace of an in-cluster host name, or None for a host outside the cluster."""
    if _address(host) is not None:
        return None
    labels = host.split(".")
    if len(labels) == 1:
        return own_namespace
    for suffix in ("svc", f"svc.{cluster_domain}"):
        if host.endswith(f".{suffix}"):
            service_labels = host.removesuffix(f".{suffix}").split(".")
            return service_labels[-1] if len(service_labels) >= 2 else own_namespace
    return None


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _public_blocks() -> list[Manifest]:
    return [
        {"ipBlock": {"cidr": "0.0.0.0/0", "except": list(NON_PUBLIC_IPV4)}},
        {"ipBlock": {"cidr": "::/0", "except": list(NON_PUBLIC_IPV6)}},
    ]


def _namespace_selector(namespace: str) -> Manifest:
    return {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}


def _tcp(port: int) -> Manifest:
    return {"protocol": "TCP", "port": port}
