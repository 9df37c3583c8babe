"""The Pod Security Standards' `restricted` profile (Kubernetes 1.31), as a small checker.

`restricted_violations(pod_spec)` lists what the admission controller would refuse in a
namespace labelled `pod-security.kubernetes.io/enforce: restricted`: the baseline rules (no
host namespaces, ports or paths, not privileged, no added capabilities but the harmless ones,
no unconfined seccomp, no custom /proc mount) and the restricted ones (allowed volume types
only, no privilege escalation, non-root, seccomp RuntimeDefault or Localhost, drop ALL and add
nothing but NET_BIND_SERVICE).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

#: Volume sources the restricted profile allows.
ALLOWED_VOLUMES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
#: Keys of a volume that are not its source.
VOLUME_META = frozenset({"name"})
SECCOMP_ALLOWED = frozenset({"RuntimeDefault", "Localhost"})


def _containers(pod: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for container in pod.get(field) or []:
            yield f"{field}[{container.get('name')}]", container


def restricted_violations(pod: Mapping[str, Any]) -> list[str]:
    """Every rule of the restricted profile that the pod spec breaks (empty: admitted)."""
    found: list[str] = []
    pod_ctx = pod.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            found.append(f"{field} is true")
    for volume in pod.get("volumes") or []:
        sources = set(volume) - VOLUME_META
        if not sources <= ALLOWED_VOLUMES:
            found.append(f"volume {volume.get('name')} uses {sorted(sources - ALLOWED_VOLUMES)}")
    if (pod_ctx.get("seccompProfile") or {}).get("type") == "Unconfined":
        found.append("pod seccompProfile is Unconfined")
    if pod_ctx.get("runAsUser") == 0:
        found.append("pod runAsUser is 0")
    for where, container in _containers(pod):
        ctx = container.get("securityContext") or {}
        if ctx.get("privileged"):
            found.append(f"{where} is privileged")
        if ctx.get("allowPrivilegeEscalation") is not False:
            found.append(f"{where} does not set allowPrivilegeEscalation: false")
        if ctx.get("procMount", "Default") != "Default":
            found.append(f"{where} sets procMount")
        if ctx.get("runAsUser") == 0:
            found.append(f"{where} runAsUser is 0")
        if not ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")):
            found.append(f"{where} may run as root (runAsNonRoot unset)")
        seccomp = (ctx.get("seccompProfile") or pod_ctx.get("seccompProfile") or {}).get("type")
        if seccomp not in SECCOMP_ALLOWED:
            found.append(f"{where} seccompProfile is {seccomp!r}")
        capabilities = ctx.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            found.append(f"{where} does not drop ALL capabilities")
        added = set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}
        if added:
            found.append(f"{where} adds capabilities {sorted(added)}")
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                found.append(f"{where} uses hostPort {port['hostPort']}")
    return found


def egress_problems(policy: Mapping[str, Any]) -> list[str]:
    """Where a NetworkPolicy is not default-deny egress with DNS and named targets only."""
    spec = policy.get("spec") or {}
    found: list[str] = []
    if "Egress" not in (spec.get("policyTypes") or []):
        found.append("policyTypes lacks Egress: egress is not restricted at all")
    dns = False
    for index, rule in enumerate(spec.get("egress") or []):
        peers = rule.get("to") or []
        if not peers:
            found.append(f"egress[{index}] has no 'to': it allows every destination")
        for peer in peers:
            block = peer.get("ipBlock") or {}
            if block.get("cidr") in ("0.0.0.0/0", "::/0") and not block.get("except"):
                found.append(f"egress[{index}] opens {block['cidr']} with no exceptions")
            if block and not rule.get("ports") and block.get("cidr") in ("0.0.0.0/0", "::/0"):
                found.append(f"egress[{index}] opens {block['cidr']} on every port")
            if (peer.get("podSelector") or {}).get("matchLabels", {}).get("k8s-app") == "kube-dns":
                dns = {p.get("port") for p in rule.get("ports") or []} == {53}
    if not dns:
        found.append("no egress rule for DNS on port 53 to kube-dns")
    return found
