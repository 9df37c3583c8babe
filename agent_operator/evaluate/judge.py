"""The judge: another model, asked through the Mistral SDK whether an answer meets a rubric.

The judge is told the conversation, the agent's answer and the rubric, and must reply with a
JSON object `{"score": 0..1, "reason": "..."}`; the check passes when the score reaches its
threshold. A judge that cannot be reached (refused connection, timeout, HTTP error, missing
key) raises `JudgeUnavailableError`, which fails the case with that reason and marks the run
`JudgeUnavailable`; a reply that is not a score fails the check, naming what came back.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence

from mistralai.client import Mistral
from mistralai.client.models import SystemMessage, UserMessage

from agent_operator.evaluation import JudgeCheck, JudgeModel, Message
from agent_operator.spec import SecretKeyRef

#: What the judge is asked to do, every time; the rubric and the answer follow.
JUDGE_INSTRUCTIONS = (
    "You grade the answer of an AI agent against a rubric. Reply with a JSON object only:"
    ' {"score": <a number from 0 to 1>, "reason": "<one sentence>"}.'
)
#: The longest excerpt of a judge's unusable reply quoted in a failure reason.
_REPLY_EXCERPT = 120


class JudgeUnavailableError(RuntimeError):
    """The judge could not be asked; the message says where and why, never a key."""


def secret_env_name(ref: SecretKeyRef) -> str:
    """The environment variable a local run reads a Secret's key from: `NAME_KEY`, upper case.

    `{name: mistral-secrets, key: apiKey}` is read from `MISTRAL_SECRETS_APIKEY`.
    """
    return re.sub(r"[^A-Z0-9]", "_", f"{ref.name}_{ref.key}".upper())


class Judge:
    """The evaluation's judge model, at `endpoint` (or the spec's, or Mistral's API)."""

    def __init__(self, model: JudgeModel, endpoint: str | None = None) -> None:
        self.model = model
        self.endpoint = model.endpoint or endpoint
        self._client: Mistral | None = None

    @property
    def where(self) -> str:
        return self.endpoint or "https://api.mistral.ai"

    def _sdk(self) -> Mistral:
        if self._client is None:
            api_key = None
            ref = self.model.api_key_secret_ref
            if ref is not None:
                api_key = os.environ.get(secret_env_name(ref))
                if api_key is None:
                    raise JudgeUnavailableError(
                        f"the judge's API key (Secret {ref.name}, key {ref.key}) is not set:"
                        f" export {secret_env_name(ref)}"
                    )
            self._client = Mistral(
                api_key=api_key,
                server_url=self.endpoint,
                timeout_ms=int(self.model.timeout_seconds * 1000),
            )
        return self._client

    def grade(self, check: JudgeCheck, conversation: Sequence[Message], answer: str) -> str | None:
        """Why the answer fails the rubric, or None when it passes."""
        sdk = self._sdk()
        transcript = "\n".join(f"{m.role}: {m.content}" for m in conversation)
        question = (
            f"Conversation:\n{transcript}\n\nAgent's answer:\n{answer}\n\nRubric: {check.rubric}"
        )
        try:
            response = sdk.chat.complete(
                model=self.model.name,
                messages=_question(question),
                response_format={"type": "json_object"},
            )
        except Exception as exc:  # the SDK raises its own, httpx's and pydantic's errors
            first_line = (str(exc) or type(exc).__name__).splitlines()[0]
            raise JudgeUnavailableError(
                f"the judge {self.model.name} at {self.where} did not answer: {first_line}"
            ) from None
        message = response.choices[0].message if response.choices else None
        content = message.content if message is not None else None
        return _verdict(check, content if isinstance(content, str) else "")


def _question(question: str) -> list[SystemMessage | UserMessage]:
    return [SystemMessage(content=JUDGE_INSTRUCTIONS), UserMessage(content=question)]


def _verdict(check: JudgeCheck, reply: str) -> str | None:
    try:
        graded = json.loads(reply)
        score = float(graded["score"])
    except (ValueError, KeyError, TypeError):
        excerpt = reply[:_REPLY_EXCERPT]
        return f"the judge's reply is not a score: {excerpt!r}"
    if score >= check.threshold:
        return None
    reason = graded.get("reason") if isinstance(graded, dict) else None
    because = f": {reason}" if reason else ""
    return f"the judge scored {score:g}, below {check.threshold:g}{because}"
