"""The runtime's HTTP API, fuzzed from its own OpenAPI document with schemathesis.

A runtime with a tool and bearer-token auth is served on 127.0.0.1 against the fake model;
schemathesis generates requests for every operation, valid and invalid ones (bounded and
derandomized, so CI sees the same cases every run). Whatever it sends: no 5xx, an answer
within the request timeout plus the grace, and every error in the documented shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import APIOperation, GenerationMode
from schemathesis.core.result import Ok

from agent_runtime.app import create_app
from agent_runtime.config import RuntimeConfig
from agent_runtime.mockllm import running_mock_llm
from agent_runtime.testing import running_app
from tests.runtime_engine.fixtures import ToolServer
from tests.runtime_reliability.conftest import ERROR_KEYS, GRACE_SECONDS
from tests.runtime_service.conftest import Runtime, serving

#: Examples per operation: enough to cover each field's edge cases, bounded for CI.
MAX_EXAMPLES = 50
TOKEN = "fuzz-token-31f0"
TIMEOUT_SECONDS = 10.0


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """The agent under fuzzing, with an HTTP tool, auth on, and its own fake model."""
    token = Path(tmp_path_factory.mktemp("fuzz")) / "token"
    token.write_text(TOKEN)
    tools = ToolServer()
    with running_mock_llm() as mock, running_app(tools.app()) as tool_url:
        config = RuntimeConfig.model_validate(
            {
                "agent": {"name": "weather", "namespace": "demo"},
                "model": {"name": "mock-large", "endpoint": mock.url, "timeoutSeconds": 5},
                "tools": [{"name": "lookup", "http": {"url": f"{tool_url}/lookup"}}],
                "limits": {"requestTimeoutSeconds": TIMEOUT_SECONDS},
                "auth": {"bearerToken": {"file": str(token)}},
            }
        )
        with serving(config) as runtime:
            yield runtime


#: One operation of the document, as schemathesis types it.
Operation = APIOperation[Any, Any, Any, Any]


def operations() -> list[Operation]:
    """The operations of the runtime's OpenAPI document (it does not depend on the config)."""
    config = RuntimeConfig.model_validate({"agent": {"name": "weather"}, "model": {"name": "m"}})
    document = create_app(config).openapi()
    found: list[Operation] = []
    for result in schemathesis.openapi.from_dict(document).get_all_operations():
        assert isinstance(result, Ok), result
        found.append(result.ok())
    return found


OPERATIONS = operations()


def test_the_fuzzed_document_is_the_served_one(fuzzed: Runtime) -> None:
    served = httpx.get(f"{fuzzed.url}/openapi.json", timeout=10).json()
    assert {op.label for op in OPERATIONS} == {
        f"{method.upper()} {path}" for path, item in served["paths"].items() for method in item
    }


#: Valid requests for every operation; invalid ones where there is input to break (a body).
CASES = [
    pytest.param(op, mode, id=f"{op.label} {mode.value}")
    for op in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or op.method.upper() == "POST"
]


@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_no_request_gets_a_5xx_a_hang_or_an_undocumented_error(
    fuzzed: Runtime, operation: Operation, mode: GenerationMode
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case[Operation]) -> None:
        response = case.call(
            base_url=fuzzed.url,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=TIMEOUT_SECONDS + GRACE_SECONDS,
        )
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            body = response.json()
            assert body.keys() >= ERROR_KEYS, body
            assert body["object"] == "error"
            assert body["message"]

    check()
