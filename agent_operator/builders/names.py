"""Names and labels of an Agent's children, valid for every kind whatever the Agent is called.

An Agent's name is a DNS-1123 subdomain of up to 253 characters, dots allowed. Its children
cannot always carry it: a Service name must be a DNS-1035 label (a letter first, at most 63
characters, no dots), and so should a Deployment's (its pods' host names derive from it); a label
value has at most 63 characters. So every child of one Agent gets one name: the Agent's own name
when it is such a label, else a sanitised, truncated prefix followed by a short hash of the full
name, so two distinct Agents never share a name. Label values and Secret volume names follow the
same rule.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

#: Kinds of the children an Agent owns.
ChildKind = Literal[
    "ServiceAccount",
    "ConfigMap",
    "Service",
    "NetworkPolicy",
    "Deployment",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
]

#: The longest DNS label and label value Kubernetes accepts.
MAX_LABEL_LENGTH = 63
#: Hex digits of sha256 appended to an altered name: 32 bits keep accidental collisions away.
HASH_LENGTH = 8

_DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS_1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")

#: The label values common to every Agent's children.
APP_NAME = "agent"
COMPONENT = "agent-runtime"
MANAGED_BY = "agent-operator"
PART_OF = "agent-operator"


def child_name(agent_name: str, kind: ChildKind) -> str:
    """The name of the Agent's child of `kind`: the same DNS-1035 label for every kind."""
    del kind  # one name for all children: `kubectl get deploy,svc,cm <name>` finds them all
    return _fit(agent_name, _DNS_1035_LABEL, invalid=r"[^a-z0-9-]", lowercase=True, letter=True)


def label_value(text: str) -> str:
    """`text` as a label value: unchanged when it is one, else a prefix and a hash."""
    return _fit(text, _LABEL_VALUE, invalid=r"[^A-Za-z0-9_.-]", lowercase=False, letter=False)


def secret_volume_name(secret_name: str) -> str:
    """The pod volume (a DNS-1123 label) that mounts the Secret `secret_name`."""
    volume = f"secret-{secret_name}"
    return _fit(volume, _DNS_1123_LABEL, invalid=r"[^a-z0-9-]", lowercase=True, letter=False)


def agent_service_url(agent_name: str, namespace: str) -> str:
    """The in-cluster base URL of an Agent's API, through its Service."""
    return f"http://{child_name(agent_name, 'Service')}.{namespace}.svc:80"


def selector_labels(agent_name: str) -> dict[str, str]:
    """The labels that select an Agent's pods; they never change, as selectors are immutable."""
    return {
        "app.kubernetes.io/name": APP_NAME,
        "app.kubernetes.io/instance": label_value(agent_name),
    }


def child_labels(agent_name: str) -> dict[str, str]:
    """The labels of every child of an Agent, and of its pods."""
    return {
        **selector_labels(agent_name),
        "app.kubernetes.io/component": COMPONENT,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/part-of": PART_OF,
    }


def _fit(text: str, valid: re.Pattern[str], *, invalid: str, lowercase: bool, letter: bool) -> str:
    """`text` if `valid` and short enough; else a sanitised prefix, `-`, and a hash of `text`.

    `invalid` matches the characters to replace, `lowercase` folds case first, and `letter`
    demands a letter in front (DNS-1035).
    """
    if len(text) <= MAX_LABEL_LENGTH and valid.fullmatch(text):
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]
    prefix = re.sub(invalid, "-", text.lower() if lowercase else text)
    prefix = prefix[: MAX_LABEL_LENGTH - HASH_LENGTH - 1]
    prefix = re.sub(r"^[^a-z]+" if letter else r"^[^A-Za-z0-9]+", "", prefix)
    prefix = re.sub(r"[^A-Za-z0-9]+$", "", prefix)
    if not prefix and letter:
        prefix = "agent"
    return f"{prefix}-{digest}" if prefix else digest
