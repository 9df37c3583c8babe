"""The official `a2a-sdk` client, given only the agent's URL, talks to the runtime over A2A."""

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from a2a.client import A2AClientError, ClientConfig, create_client
from a2a.types import (
    GetTaskRequest,
    ListTasksRequest,
    Message,
    Part,
    Role,
    SendMessageRequest,
    StreamResponse,
    TaskState,
)

from tests.runtime_service.conftest import (
    AGENT,
    ConfigFactory,
    Runtime,
    serving,
    wait_for_requests_counted,
)

TOKEN = "a2a-token-0123"


def ask(text: str) -> SendMessageRequest:
    message = Message(role=Role.ROLE_USER, parts=[Part(text=text)], message_id=uuid.uuid4().hex)
    return SendMessageRequest(message=message)


async def send(
    runtime: Runtime, text: str, *, streaming: bool, headers: dict[str, str] | None = None
) -> list[StreamResponse]:
    async with httpx.AsyncClient(timeout=30, headers=headers) as http:
        config = ClientConfig(streaming=streaming, httpx_client=http)
        client = await create_client(runtime.url, client_config=config)
        try:
            return [response async for response in client.send_message(ask(text))]
        finally:
            await client.close()


def answer_of(responses: list[StreamResponse]) -> str:
    task = responses[-1].task
    return "".join(part.text for artifact in task.artifacts for part in artifact.parts)


def test_the_agent_card_is_built_from_the_agent(tool_runtime: Runtime) -> None:
    card = httpx.get(f"{tool_runtime.url}/.well-known/agent-card.json", timeout=30).json()
    assert card["name"] == AGENT
    assert card["description"] == "You answer weather questions."
    assert [skill["id"] for skill in card["skills"]] == [AGENT, "get_weather"]
    assert card["capabilities"]["streaming"] is True
    assert card["supportedInterfaces"][0]["url"] == f"{tool_runtime.url}/a2a"
    assert "securitySchemes" not in card


async def test_a_sent_message_comes_back_as_a_completed_task_with_the_answer(
    runtime: Runtime,
) -> None:
    responses = await send(runtime, "good morning", streaming=False)
    task = responses[-1].task
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert answer_of(responses) == "You said: good morning"


async def test_a_streamed_message_shows_each_tool_call_then_the_answer(
    tool_runtime: Runtime,
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        client = await create_client(
            tool_runtime.url, client_config=ClientConfig(streaming=True, httpx_client=http)
        )
        updates: list[Any] = []
        async for response in client.send_message(ask("weather in rome")):
            updates.append(response)
        await client.close()
    said = [
        part.text
        for u in updates
        if u.HasField("status_update")
        for part in u.status_update.status.message.parts
    ]
    assert said[:2] == ["Calling tool get_weather", "Tool get_weather finished: ok"]
    artifacts = [u.artifact_update.artifact for u in updates if u.HasField("artifact_update")]
    assert "sunny" in artifacts[-1].parts[0].text
    last = updates[-1].status_update.status.state
    assert last == TaskState.TASK_STATE_COMPLETED


async def test_a_task_can_be_fetched_and_listed_after_it_ran(runtime: Runtime) -> None:
    responses = await send(runtime, "remember me", streaming=False)
    task_id = responses[-1].task.id
    async with httpx.AsyncClient(timeout=30) as http:
        client = await create_client(runtime.url, client_config=ClientConfig(httpx_client=http))
        task = await client.get_task(GetTaskRequest(id=task_id))
        listed = await client.list_tasks(ListTasksRequest())
        await client.close()
    assert task_id in [each.id for each in listed.tasks]
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert task.artifacts[0].parts[0].text == "You said: remember me"


async def test_a_loop_failure_is_a_failed_task_saying_why(
    make_config: ConfigFactory,
) -> None:
    nowhere = {"name": "m", "endpoint": "http://127.0.0.1:9", "retry": {"attempts": 1}}
    config = make_config(model=nowhere)
    with serving(config) as runtime:
        responses = await send(runtime, "hello", streaming=False)
    task = responses[-1].task
    assert task.status.state == TaskState.TASK_STATE_FAILED
    assert "could not be reached" in task.status.message.parts[0].text


def test_a_malformed_json_rpc_request_is_a_json_rpc_error_not_a_5xx(runtime: Runtime) -> None:
    for body in (b"{not json", b'{"jsonrpc": "2.0", "id": 1, "method": "NoSuchMethod"}'):
        answer = httpx.post(f"{runtime.url}/a2a", content=body, timeout=30)
        assert answer.status_code < 500
        assert "error" in answer.json()
        assert answer.json()["error"]["code"] < 0


def test_a_message_without_parts_is_a_json_rpc_error(runtime: Runtime) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "SendMessage",
        "params": {"message": {"role": "ROLE_USER", "messageId": "m1", "parts": []}},
    }
    answer = httpx.post(f"{runtime.url}/a2a", json=body, headers={"A2A-Version": "1.0"}, timeout=30)
    assert answer.status_code < 500
    assert answer.json()["id"] == 7
    assert answer.json()["error"]["code"] < 0


async def test_an_agent_with_auth_declares_it_and_refuses_a_caller_without_the_token(
    make_config: ConfigFactory, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    config = make_config(auth={"bearerToken": {"file": str(token_file)}})
    with serving(config) as runtime:
        async with httpx.AsyncClient(timeout=30) as http:
            card = (await http.get(f"{runtime.url}/.well-known/agent-card.json")).json()
        with pytest.raises(A2AClientError):
            await send(runtime, "hello", streaming=False)
        async with httpx.AsyncClient(timeout=30) as http:
            refused = await http.post(f"{runtime.url}/a2a", json={"jsonrpc": "2.0"})
        allowed = await send(
            runtime, "hello", streaming=False, headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert card["securitySchemes"] == {"bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer"}}}
    assert answer_of(allowed) == "You said: hello"
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"


async def test_an_a2a_message_is_counted_with_the_agents_requests(runtime: Runtime) -> None:
    await send(runtime, "count me", streaming=False)
    assert await asyncio.to_thread(wait_for_requests_counted, runtime, 1) == 1


async def test_a_message_without_text_is_a_rejected_task_saying_why(runtime: Runtime) -> None:
    data = Part()
    data.data.string_value = "not text"
    message = Message(role=Role.ROLE_USER, parts=[data], message_id=uuid.uuid4().hex)
    async with httpx.AsyncClient(timeout=30) as http:
        config = ClientConfig(streaming=False, httpx_client=http)
        client = await create_client(runtime.url, client_config=config)
        responses = [r async for r in client.send_message(SendMessageRequest(message=message))]
        await client.close()
    task = responses[-1].task
    assert task.status.state == TaskState.TASK_STATE_REJECTED
    assert "text" in task.status.message.parts[0].text
