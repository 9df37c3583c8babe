"""A misbehaving tool, seen through the served API: the model is told, the request completes.

Tools that time out, answer 5xx, answer data that breaks their output schema, or hang: in
each case the model receives `{"error": ...}` saying what happened, the client gets its
answer (200), and `agent_tool_calls_total{tool,outcome}` on /metrics counts the outcome.
"""

from __future__ import annotations

import json
from typing import Any

from agent_runtime.mockllm import MockLLM
from tests.runtime_engine.fixtures import ConfigFactory, ToolServer
from tests.runtime_reliability.conftest import SilentListener, ask, sample, scrape
from tests.runtime_service.conftest import serving


def lookup_tool(url: str, **http: Any) -> dict[str, Any]:
    """An HTTP tool `lookup` at `url`, tried once unless `http` says otherwise."""
    return {
        "name": "lookup",
        "description": "Look something up.",
        "http": {"url": url, "retry": {"attempts": 1}, **http},
    }


def serve_and_ask(
    make_config: ConfigFactory, mock_llm: MockLLM, tool: dict[str, Any]
) -> tuple[str, str]:
    """Serve an agent with `tool`, let the model call it once; the error told and /metrics."""
    with serving(make_config(tools=[tool])) as runtime:
        mock_llm.reply_tool_call("lookup", {})
        response = ask(runtime)
        assert response.status_code == 200
        assert response.json()["choices"][0]["finish_reason"] == "stop"
        page = scrape(runtime)
    told = json.loads(mock_llm.completions[1].messages[-1]["content"])
    assert list(told) == ["error"], "the model is given the error, and nothing else"
    return str(told["error"]), page


def test_a_tool_slower_than_its_timeout_is_reported_to_the_model_as_a_timeout(
    make_config: ConfigFactory, mock_llm: MockLLM, tool_server: ToolServer
) -> None:
    tool = lookup_tool(f"{tool_server.url}/slow?seconds=5", timeoutSeconds=0.3)
    error, page = serve_and_ask(make_config, mock_llm, tool)
    assert error == "tool lookup timed out after 0.3s (1 attempt)"
    assert sample(page, "agent_tool_calls_total", tool="lookup", outcome="timeout") == 1.0


def test_a_tool_answering_5xx_is_retried_then_reported_with_its_status(
    make_config: ConfigFactory, mock_llm: MockLLM, tool_server: ToolServer
) -> None:
    tool_server.fail_next(503, times=2)
    tool = lookup_tool(
        f"{tool_server.url}/lookup",
        method="GET",
        retry={"attempts": 2, "initialBackoffSeconds": 0.01, "maxBackoffSeconds": 0.02},
    )
    error, page = serve_and_ask(make_config, mock_llm, tool)
    assert error == "tool lookup answered HTTP 503 (2 attempts)"
    assert sample(page, "agent_tool_calls_total", tool="lookup", outcome="error") == 1.0
    assert sample(page, "agent_retries_total", target="tool:lookup") == 1.0


def test_a_post_tool_answering_5xx_runs_once_and_the_model_is_told_it_may_have_run(
    make_config: ConfigFactory, mock_llm: MockLLM, tool_server: ToolServer
) -> None:
    tool_server.fail_next(503, times=3)
    tool = lookup_tool(
        f"{tool_server.url}/lookup",
        retry={"attempts": 3, "initialBackoffSeconds": 0.01, "maxBackoffSeconds": 0.02},
    )
    error, page = serve_and_ask(make_config, mock_llm, tool)
    assert error == (
        "tool lookup answered HTTP 503"
        " (1 attempt; a POST is retried only when the tool allows it, as it may have run)"
    )
    assert len(tool_server.seen("/lookup")) == 1
    assert sample(page, "agent_retries_total", target="tool:lookup") == 0.0


def test_a_tool_answering_data_outside_its_output_schema_is_not_given_to_the_model(
    make_config: ConfigFactory, mock_llm: MockLLM, tool_server: ToolServer
) -> None:
    tool = lookup_tool(f"{tool_server.url}/text")
    tool["outputSchema"] = {"type": "object", "required": ["answer"]}
    error, page = serve_and_ask(make_config, mock_llm, tool)
    assert error.startswith("the output of tool lookup")
    assert sample(page, "agent_tool_calls_total", tool="lookup", outcome="invalid_output") == 1.0


def test_a_tool_that_never_answers_is_cut_at_its_timeout(
    make_config: ConfigFactory, mock_llm: MockLLM, silent: SilentListener
) -> None:
    tool = lookup_tool(f"{silent.url}/hang", timeoutSeconds=0.5)
    error, page = serve_and_ask(make_config, mock_llm, tool)
    assert error == "tool lookup timed out after 0.5s (1 attempt)"
    assert sample(page, "agent_tool_calls_total", tool="lookup", outcome="timeout") == 1.0


def test_a_tool_whose_port_is_closed_is_reported_as_a_connection_failure(
    make_config: ConfigFactory, mock_llm: MockLLM
) -> None:
    error, page = serve_and_ask(make_config, mock_llm, lookup_tool("http://127.0.0.1:9/x"))
    assert error == "tool lookup connection failed: ConnectError (1 attempt)"
    assert sample(page, "agent_tool_calls_total", tool="lookup", outcome="error") == 1.0


def test_a_hung_tool_and_a_working_one_in_the_same_turn_both_report(
    make_config: ConfigFactory, mock_llm: MockLLM, tool_server: ToolServer, silent: SilentListener
) -> None:
    hung = lookup_tool(f"{silent.url}/hang", timeoutSeconds=0.5)
    working = dict(lookup_tool(f"{tool_server.url}/ok"), name="working")
    with serving(make_config(tools=[hung, working])) as runtime:
        mock_llm.reply_tool_calls(("lookup", {}), ("working", {}))
        response = ask(runtime)
        page = scrape(runtime)
    assert response.status_code == 200
    results = {m["name"]: json.loads(m["content"]) for m in mock_llm.completions[1].messages[-2:]}
    assert "timed out" in results["lookup"]["error"]
    assert results["working"]["method"] == "POST"
    assert sample(page, "agent_tool_calls_total", tool="lookup", outcome="timeout") == 1.0
    assert sample(page, "agent_tool_calls_total", tool="working", outcome="ok") == 1.0
