"""Pure builders: an Agent's spec in, its child Kubernetes objects out, as plain dicts.

Nothing here performs I/O or knows Kopf or the Kubernetes client: the handlers adopt what these
functions return and apply it with server-side apply. One module per child kind.
"""

from agent_operator.builders.children import agent_meta, build_children, render_agent
from agent_operator.builders.configmap import config_hash, render_config, runtime_config
from agent_operator.builders.deployment import CONFIG_HASH_ANNOTATION
from agent_operator.builders.meta import (
    AgentMeta,
    ChildKey,
    DesiredChildren,
    Manifest,
    hosted_agent_id,
)
from agent_operator.builders.names import (
    ChildKind,
    agent_service_url,
    child_labels,
    child_name,
    label_value,
    selector_labels,
)
from agent_operator.builders.secrets import referenced_secrets
from agent_operator.builders.service import SERVICE_PORT

__all__ = [
    "CONFIG_HASH_ANNOTATION",
    "SERVICE_PORT",
    "AgentMeta",
    "ChildKey",
    "ChildKind",
    "DesiredChildren",
    "Manifest",
    "agent_meta",
    "agent_service_url",
    "build_children",
    "child_labels",
    "child_name",
    "config_hash",
    "hosted_agent_id",
    "label_value",
    "referenced_secrets",
    "render_agent",
    "render_config",
    "runtime_config",
    "selector_labels",
]
