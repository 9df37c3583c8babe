"""A streamed completion's log line says how many model and tool calls it took, as others do."""

from __future__ import annotations

import io

from tests.runtime_engine.fixtures import ConfigFactory, ToolServer
from tests.runtime_reliability.conftest import ask
from tests.runtime_service.conftest import serving
from tests.runtime_service.test_request_logs import served_line


def test_a_streamed_tool_turn_is_logged_with_its_model_and_tool_calls(
    output: io.StringIO, make_config: ConfigFactory, tool_server: ToolServer
) -> None:
    tool = {"name": "lookup", "http": {"url": f"{tool_server.url}/lookup"}}
    with serving(make_config(tools=[tool])) as runtime:
        assert ask(runtime, stream=True).status_code == 200
        line = served_line(output, "Served chat completion")
    assert line["stream"] is True
    assert line["model_calls"] == 2
    assert line["tool_calls"] == 1


def test_a_streamed_answer_without_tools_is_logged_with_one_model_call(
    output: io.StringIO, make_config: ConfigFactory
) -> None:
    with serving(make_config()) as runtime:
        assert ask(runtime, stream=True).status_code == 200
        line = served_line(output, "Served chat completion")
    assert line["model_calls"] == 1
    assert line["tool_calls"] == 0
