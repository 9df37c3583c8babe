"""Bad input is answered with a 4xx in the error shape, never a 5xx and never a hang."""

from typing import Any

import httpx
import pytest
from mistralai.client import Mistral
from mistralai.client.errors import HTTPValidationError
from openai import OpenAI, UnprocessableEntityError

from tests.runtime_service.conftest import AGENT, Runtime

CHAT = "/v1/chat/completions"
HELLO = [{"role": "user", "content": "hi"}]


def post(runtime: Runtime, content: bytes, **headers: str) -> httpx.Response:
    return httpx.post(
        runtime.url + CHAT,
        content=content,
        headers={"content-type": "application/json", **headers},
        timeout=10,
    )


def assert_error_shape(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    body: dict[str, Any] = response.json()
    assert body["object"] == "error"
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["type"] == "invalid_request_error"
    return body


def test_malformed_json_is_a_400(runtime: Runtime) -> None:
    body = assert_error_shape(post(runtime, b'{"messages": [ '), 400)
    assert body["code"] == "invalid_json"


def test_a_missing_field_is_a_422_naming_it(runtime: Runtime) -> None:
    body = assert_error_shape(post(runtime, b'{"model": "weather"}'), 422)
    assert body["param"] == "messages"
    assert body["detail"][0]["loc"] == ["body", "messages"]


def test_a_wrong_type_is_a_422_naming_the_field(runtime: Runtime) -> None:
    response = httpx.post(
        runtime.url + CHAT, json={"messages": HELLO, "temperature": "hot"}, timeout=10
    )
    body = assert_error_shape(response, 422)
    assert body["param"] == "temperature"
    assert "temperature" in body["message"]


def test_an_unknown_field_is_a_422_naming_it(runtime: Runtime) -> None:
    response = httpx.post(
        runtime.url + CHAT, json={"messages": HELLO, "temprature": 0.1}, timeout=10
    )
    body = assert_error_shape(response, 422)
    assert body["param"] == "temprature"
    assert body["code"] == "extra_forbidden"


def test_a_body_that_is_not_an_object_is_a_422(runtime: Runtime) -> None:
    assert_error_shape(post(runtime, b"[1, 2]"), 422)


def test_an_empty_body_is_a_422(runtime: Runtime) -> None:
    assert_error_shape(post(runtime, b""), 422)


def test_caller_declared_tools_are_refused(runtime: Runtime) -> None:
    tools = [{"type": "function", "function": {"name": "x", "parameters": {}}}]
    response = httpx.post(runtime.url + CHAT, json={"messages": HELLO, "tools": tools}, timeout=10)
    assert assert_error_shape(response, 422)["param"] == "tools"


@pytest.mark.parametrize("max_bytes", [4096])
def test_a_body_over_the_limit_is_a_413(make_config: Any, max_bytes: int) -> None:
    from tests.runtime_service.conftest import serving

    with serving(make_config(limits={"maxRequestBytes": max_bytes})) as runtime:
        big = [{"role": "user", "content": "x" * (2 * max_bytes)}]
        response = httpx.post(runtime.url + CHAT, json={"messages": big}, timeout=10)
        assert_error_shape(response, 413)
        chunked = httpx.post(
            runtime.url + CHAT,
            content=iter([b'{"messages": [{"role": "user", "content": "', b"x" * 8192, b'"}]}']),
            headers={"content-type": "application/json"},
            timeout=10,
        )
        assert "content-length" not in chunked.request.headers
        assert_error_shape(chunked, 413)
        small = httpx.post(runtime.url + CHAT, json={"messages": HELLO}, timeout=10)
        assert small.status_code == 200


def test_an_unknown_route_is_a_404(runtime: Runtime) -> None:
    response = httpx.get(runtime.url + "/v2/chat", timeout=10)
    assert response.status_code == 404
    assert response.json()["object"] == "error"


def test_a_wrong_method_is_a_405_with_allow(runtime: Runtime) -> None:
    response = httpx.get(runtime.url + CHAT, timeout=10)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["code"] == "method_not_allowed"


def test_mistral_client_reads_the_field_of_a_422(runtime: Runtime) -> None:
    with (
        Mistral(api_key="unused", server_url=runtime.url) as client,
        pytest.raises(HTTPValidationError) as caught,
    ):
        client.chat.complete(model=AGENT, messages=HELLO, temperature=7.0)
    assert caught.value.status_code == 422
    assert caught.value.data.detail is not None
    assert caught.value.data.detail[0].loc == ["body", "temperature"]


def test_openai_client_reads_the_message_of_a_422(runtime: Runtime) -> None:
    with (
        OpenAI(api_key="unused", base_url=f"{runtime.url}/v1", max_retries=0) as client,
        pytest.raises(UnprocessableEntityError) as caught,
    ):
        client.chat.completions.create(model=AGENT, messages=HELLO, n=3)  # type: ignore[arg-type]
    assert caught.value.param == "n"
    assert "n" in caught.value.message


def test_a_stream_flag_that_is_not_a_boolean_is_a_422(runtime: Runtime) -> None:
    response = httpx.post(runtime.url + CHAT, json={"messages": HELLO, "stream": "yes"}, timeout=10)
    body = assert_error_shape(response, 422)
    assert body["param"] == "stream"
    assert "boolean" in body["message"]


def test_content_of_the_wrong_type_is_explained_without_python_type_names(
    runtime: Runtime,
) -> None:
    messages = [{"role": "user", "content": 42}]
    response = httpx.post(runtime.url + CHAT, json={"messages": messages}, timeout=10)
    body = assert_error_shape(response, 422)
    assert body["param"] == "messages.0.content"
    assert body["message"] == (
        "messages.0.content: must be a string, a list of text parts, or null"
    )
    assert "TextChunk" not in response.text
    assert "list[" not in response.text


def test_json_nested_too_deeply_is_a_400_with_a_code(runtime: Runtime) -> None:
    deep = b'{"messages": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    body = assert_error_shape(post(runtime, deep), 400)
    assert body["code"] == "invalid_json"
    assert "nested too deeply" in body["message"]


def test_a_body_that_is_not_utf8_is_a_400_with_a_code(runtime: Runtime) -> None:
    body = assert_error_shape(
        post(runtime, b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}'), 400
    )
    assert body["code"] == "invalid_json"
    assert "UTF-8" in body["message"]


def test_an_unknown_tool_choice_is_a_422_listing_the_values_there_are(
    runtime: Runtime,
) -> None:
    response = httpx.post(
        runtime.url + CHAT, json={"messages": HELLO, "tool_choice": "sometimes"}, timeout=10
    )
    body = assert_error_shape(response, 422)
    assert body["param"] == "tool_choice"
    assert "'auto', 'none', 'any', 'required'" in body["message"]
    assert '{"type": "function", "function": {"name": ...}}' in body["message"]
