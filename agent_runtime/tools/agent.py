"""Agent tools: another Agent, called through its `/v1/chat/completions` (non-streamed).

The model passes `{"message": str}`; the other agent runs its whole loop and its final
answer's content is this tool's result. Retries and timeouts as for HTTP tools. When the
other agent requires a token, `bearerToken` names the secret holding it; it is read on every
call and sent as `Authorization: Bearer`, never put in a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from agent_runtime.config import SecretUnavailableError, ToolConfig, readable_values
from agent_runtime.egress import EgressDeniedError, EgressPolicy
from agent_runtime.telemetry import trace_headers
from agent_runtime.tools.base import Tool, ToolError
from agent_runtime.tools.http import ERROR_BODY_CHARS, retry_budget, send_with_retries

#: The arguments schema when the spec declares none: one message for the other agent.
MESSAGE_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"message": {"type": "string", "description": "What to ask the agent."}},
    "required": ["message"],
}


class AgentTool(Tool):
    """A tool that asks another agent."""

    kind = "agent"

    def __init__(
        self,
        config: ToolConfig,
        *,
        http: httpx.AsyncClient,
        egress: EgressPolicy,
        on_retry: Callable[[], None] = lambda: None,
    ) -> None:
        assert config.agent is not None
        declared = config.parameters
        has_own = bool(declared.get("properties"))
        super().__init__(
            name=config.name,
            description=config.description or f"Ask the agent {config.agent.agent_name}.",
            parameters=declared if has_own else MESSAGE_PARAMETERS,
            output_schema=config.output_schema,
        )
        self.target = config.agent
        self._http = http
        self._egress = egress
        self._on_retry = on_retry

    @property
    def url(self) -> str:
        return self.target.url.rstrip("/") + "/v1/chat/completions"

    @property
    def budget_seconds(self) -> float:
        return retry_budget(self.target.timeout_seconds, self.target.retry)

    def secret_values(self) -> list[str]:
        return readable_values([self.target.bearer_token])

    def _headers(self) -> dict[str, str]:
        """The bearer token of the other agent, read now (so a rotated one is used), if any."""
        source = self.target.bearer_token
        if source is None:
            return {}
        try:
            token = source.read()
        except SecretUnavailableError as exc:
            raise ToolError(f"tool {self.name}: bearer token: {exc}") from None
        return {"Authorization": f"Bearer {token}"}

    def _refusal_hint(self, status: int) -> str:
        """For a 401: whether a token was sent at all, and from where (never its value)."""
        if status != 401:
            return ""
        if self.target.bearer_token is None:
            return " (it requires a token, and this tool is given none)"
        return f" (it refused the token read from {self.target.bearer_token.describe()})"

    async def call(self, arguments: dict[str, Any]) -> Any:
        try:
            self._egress.check(self.url)
        except EgressDeniedError as exc:
            raise ToolError(f"tool {self.name}: {exc}", outcome="denied") from None
        message = arguments.get("message")
        if not isinstance(message, str):
            message = str(arguments)
        body = {
            "model": self.target.agent_name,
            "messages": [{"role": "user", "content": message}],
            "stream": False,
        }
        headers = {**self._headers(), **trace_headers()}
        response = await send_with_retries(
            self._http,
            lambda: self._http.build_request("POST", self.url, json=body, headers=headers),
            tool=self.name,
            attempt_seconds=self.target.timeout_seconds,
            policy=self.target.retry,
            # Asking another agent again is how its retry policy has always read; its own
            # HTTP tools still refuse to run a call twice.
            replayable=True,
            on_retry=self._on_retry,
        )
        if response.status_code >= 400:
            raise ToolError(
                f"agent {self.target.agent_name} answered HTTP {response.status_code}"
                f"{self._refusal_hint(response.status_code)}: {response.text[:ERROR_BODY_CHARS]}"
            )
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ToolError(
                f"agent {self.target.agent_name} gave an answer that is not a chat completion"
            ) from None
        return content if content is not None else ""
