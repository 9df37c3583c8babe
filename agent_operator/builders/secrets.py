"""The Secrets an Agent refers to, and where each key appears inside the pod.

Secret values never pass through the operator: each referenced Secret is mounted read-only as
a volume holding only the referenced keys, one file per key, under
`SECRETS_MOUNT_DIR/<secret name>/<key>`, and the rendered config names those files. The kubelet
refreshes mounted Secret files in place, and the runtime reads a file at each use, so a rotated
key takes effect without restarting the pods.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from agent_operator.builders.meta import Manifest
from agent_operator.builders.names import secret_volume_name
from agent_operator.spec import AgentSpec, HeaderSpec, SecretKeyRef
from agent_runtime.config import SECRETS_MOUNT_DIR, SecretSource

#: File mode of mounted secret keys: readable by the runtime's user and group, no one else.
SECRET_FILE_MODE = 0o440


def referenced_secrets(spec: AgentSpec) -> list[SecretKeyRef]:
    """Every Secret key the spec refers to, once each, sorted by Secret name then key."""
    return sorted(set(_secret_refs(spec)), key=lambda ref: (ref.name, ref.key))


def secret_source(ref: SecretKeyRef) -> SecretSource:
    """Where the runtime reads the value of `ref`: its file in the pod."""
    return SecretSource(file=f"{secret_mount_path(ref.name)}/{ref.key}")


def secret_mount_path(secret_name: str) -> str:
    """The directory of the pod that holds the referenced keys of one Secret."""
    return f"{SECRETS_MOUNT_DIR}/{secret_name}"


def secret_volumes(spec: AgentSpec) -> list[Manifest]:
    """One read-only Secret volume per referenced Secret, limited to the referenced keys."""
    return [
        {
            "name": secret_volume_name(name),
            "secret": {
                "secretName": name,
                "items": [{"key": key, "path": key} for key in keys],
                "defaultMode": SECRET_FILE_MODE,
            },
        }
        for name, keys in _keys_by_secret(spec).items()
    ]


def secret_volume_mounts(spec: AgentSpec) -> list[Manifest]:
    """The mounts of the volumes of `secret_volumes`."""
    return [
        {
            "name": secret_volume_name(name),
            "mountPath": secret_mount_path(name),
            "readOnly": True,
        }
        for name in _keys_by_secret(spec)
    ]


def _keys_by_secret(spec: AgentSpec) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = defaultdict(list)
    for ref in referenced_secrets(spec):
        keys[ref.name].append(ref.key)
    return dict(keys)


def _secret_refs(spec: AgentSpec) -> Iterator[SecretKeyRef]:
    if spec.model.api_key_secret_ref is not None:
        yield spec.model.api_key_secret_ref
    if spec.auth is not None and spec.auth.bearer_token_secret_ref is not None:
        yield spec.auth.bearer_token_secret_ref
    if spec.conversations is not None and spec.conversations.store.redis is not None:
        yield spec.conversations.store.redis.url_secret_ref
    for tool in spec.tools:
        headers: tuple[HeaderSpec, ...] = ()
        if tool.http is not None:
            headers = tool.http.headers
        elif tool.mcp is not None:
            headers = tool.mcp.headers
        for header in headers:
            if header.value_from is not None:
                yield header.value_from.secret_key_ref
        if tool.agent is not None and tool.agent.auth is not None:
            yield tool.agent.auth.bearer_token_secret_ref
