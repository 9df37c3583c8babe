"""The model's API key is read from the mounted secret file on every request."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_runtime.errors import loop_error_status
from agent_runtime.loop import LoopError
from agent_runtime.mockllm import MockLLM
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory
from tests.runtime_engine.test_loop_turns import USER


async def test_the_model_sees_the_key_from_the_secret_file(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory, tmp_path: Path
) -> None:
    key = tmp_path / "apiKey"
    key.write_text("first-key\n")
    agent = await make_agent(make_config(model={"apiKey": {"file": str(key)}}))
    await agent.complete(USER)
    assert mock_llm.completions[0].authorization == "Bearer first-key"


async def test_a_rotated_key_is_used_on_the_next_request_without_a_restart(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory, tmp_path: Path
) -> None:
    key = tmp_path / "apiKey"
    key.write_text("first-key")
    agent = await make_agent(make_config(model={"apiKey": {"file": str(key)}}))
    await agent.complete(USER)
    key.write_text("second-key")
    await agent.complete(USER)
    assert [r.authorization for r in mock_llm.completions] == [
        "Bearer first-key",
        "Bearer second-key",
    ]


async def test_a_missing_key_file_fails_the_request_naming_the_file_not_a_value(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory, tmp_path: Path
) -> None:
    missing = tmp_path / "nope"
    agent = await make_agent(make_config(model={"apiKey": {"file": str(missing)}}))
    with pytest.raises(LoopError) as caught:
        await agent.complete(USER)
    assert (loop_error_status(caught.value), caught.value.code) == (503, "model_unavailable")
    assert str(missing) in caught.value.message
    assert mock_llm.completions == []
