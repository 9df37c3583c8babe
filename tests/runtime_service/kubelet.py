"""What the kubelet and the cluster's DNS do for a rendered Agent, done on one machine.

The operator's children name files under the pod's mount directories, and other Agents by
their Service's DNS name; a test has neither. `mount` writes the ConfigMap's config and each
key of the Deployment's Secret volumes under a directory of the test, as the kubelet mounts
them, and points the config at those files and at the URLs the test serves the Services on.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agent_runtime.config import CONFIG_FILE_NAME, SECRETS_MOUNT_DIR

#: Secret name -> key -> value: the Secrets of the namespace.
Secrets = Mapping[str, Mapping[str, str]]


def mount(
    children: Mapping[str, Mapping[str, Any]],
    root: Path,
    *,
    secrets: Secrets,
    services: Mapping[str, str] | None = None,
) -> Path:
    """Write the Agent's config and Secret files under `root`; return the config's path.

    `children` are the rendered children by kind; `services` maps a Service URL of the cluster
    to the URL the test serves it on. A referenced key missing from `secrets` raises KeyError,
    as the pod would not start.
    """
    root.mkdir(parents=True, exist_ok=True)
    secrets_dir = root / "secrets"
    pod = children["Deployment"]["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    for volume in pod["volumes"]:
        if "secret" not in volume:
            continue
        directory = Path(mounts[volume["name"]].replace(SECRETS_MOUNT_DIR, str(secrets_dir)))
        directory.mkdir(parents=True)
        for item in volume["secret"]["items"]:
            value = secrets[volume["secret"]["secretName"]][item["key"]]
            (directory / item["path"]).write_text(value, encoding="utf-8")
    text = children["ConfigMap"]["data"][CONFIG_FILE_NAME].replace(
        SECRETS_MOUNT_DIR, str(secrets_dir)
    )
    for cluster_url, local_url in (services or {}).items():
        text = text.replace(cluster_url, local_url)
    path = root / CONFIG_FILE_NAME
    path.write_text(text, encoding="utf-8")
    return path
