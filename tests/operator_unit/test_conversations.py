"""Conversations, approvals and budgets: rendered into the config, the Redis URL by reference.

The Redis URL may carry a password, so it travels like every secret: the ConfigMap names the
file where the pod sees the Secret's key, and the Deployment mounts that key there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agent_operator import cli
from agent_operator.builders import referenced_secrets
from agent_operator.spec import STATE_NEEDS_SHARED_STORE, SecretKeyRef, SpecError
from agent_runtime.config import SECRETS_MOUNT_DIR, RuntimeConfig
from tests.operator_unit.conftest import BuildChildren, spec_of

EXAMPLE = Path(__file__).parents[2] / "examples" / "refunds.yaml"
REDIS = {"redis": {"urlSecretRef": {"name": "agent-redis", "key": "url"}}}
APPROVED_TOOL = {"name": "refund", "http": {"url": "https://x.example/r"}, "requireApproval": True}


def _config(children: BuildChildren, **fields: object) -> RuntimeConfig:
    return RuntimeConfig.model_validate_json(children(**fields)["ConfigMap"]["data"]["agent.json"])


def test_conversation_settings_render_into_the_runtime_config(children: BuildChildren) -> None:
    config = _config(
        children,
        conversations={"ttlSeconds": 600, "historyTurns": 7, "approvalTimeoutSeconds": 30},
    )
    assert config.conversations is not None
    assert (config.conversations.ttl_seconds, config.conversations.history_turns) == (600, 7)
    assert config.conversations.approval_timeout_seconds == 30
    assert config.conversations.redis is None


def test_the_redis_url_is_the_file_of_its_secret_key(children: BuildChildren) -> None:
    config = _config(children, conversations={"store": REDIS})
    assert config.conversations is not None
    assert config.conversations.redis is not None
    url = config.conversations.redis.url
    assert (url.file, url.env) == (f"{SECRETS_MOUNT_DIR}/agent-redis/url", None)


def test_the_deployment_mounts_the_redis_secret_key(children: BuildChildren) -> None:
    pod = children(conversations={"store": REDIS})["Deployment"]["spec"]["template"]["spec"]
    (volume,) = [
        v for v in pod["volumes"] if v.get("secret", {}).get("secretName") == "agent-redis"
    ]
    assert volume["secret"]["items"] == [{"key": "url", "path": "url"}]
    (container,) = pod["containers"]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts[volume["name"]]["mountPath"] == f"{SECRETS_MOUNT_DIR}/agent-redis"
    assert mounts[volume["name"]]["readOnly"] is True


def test_the_redis_secret_is_checked_like_every_referenced_secret() -> None:
    refs = referenced_secrets(spec_of(conversations={"store": REDIS}))
    assert SecretKeyRef(name="agent-redis", key="url") in refs


def test_budgets_and_approvals_render_into_the_runtime_config(children: BuildChildren) -> None:
    config = _config(
        children,
        tools=[APPROVED_TOOL, {"name": "look", "http": {"url": "https://x.example/l"}}],
        budget={"tokensPerConversation": 1000, "tokensPerDay": 50000},
    )
    assert [tool.require_approval for tool in config.tools] == [True, False]
    assert config.budget is not None
    assert (config.budget.tokens_per_conversation, config.budget.tokens_per_day) == (1000, 50000)


def test_a_stateless_agent_renders_no_state(children: BuildChildren) -> None:
    config = _config(children)
    assert (config.conversations, config.budget) == (None, None)


@pytest.mark.parametrize(
    "fields",
    [
        {"conversations": {}, "replicas": 2},
        {"budget": {"tokensPerDay": 10}, "autoscaling": {"maxReplicas": 2}},
        {"tools": [APPROVED_TOOL], "replicas": 3},
    ],
    ids=["conversations", "budget", "approval"],
)
def test_state_in_the_pods_memory_with_several_replicas_is_refused(
    fields: dict[str, object],
) -> None:
    with pytest.raises(SpecError, match=r"configure spec\.conversations\.store\.redis"):
        spec_of(**fields)
    spec_of(**{**fields, "conversations": {"store": REDIS}})


def test_the_refusal_message_says_what_to_configure() -> None:
    assert "spec.conversations.store.redis" in STATE_NEEDS_SHARED_STORE.message


def test_render_shows_the_approved_tool_and_the_store_by_reference(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["render", str(EXAMPLE)]) == 0
    documents = {doc["kind"]: doc for doc in yaml.safe_load_all(capsys.readouterr().out)}
    config = RuntimeConfig.model_validate_json(documents["ConfigMap"]["data"]["agent.json"])
    assert [tool.name for tool in config.tools if tool.require_approval] == ["refund_order"]
    assert config.conversations is not None
    assert config.conversations.redis is not None
    assert config.conversations.redis.url.file == f"{SECRETS_MOUNT_DIR}/agent-redis/url"
    assert "redis://" not in documents["ConfigMap"]["data"]["agent.json"]
    assert config.budget is not None
    assert documents["Deployment"]["spec"]["replicas"] == 2
