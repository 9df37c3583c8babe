"""The judge: another model asked through the Mistral SDK, here the mock model over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent_operator.evaluate.judge import (
    JUDGE_INSTRUCTIONS,
    Judge,
    JudgeUnavailableError,
    secret_env_name,
)
from agent_operator.evaluation import JudgeCheck, JudgeModel, Message
from agent_operator.spec import SecretKeyRef
from agent_runtime.mockllm import MockLLM, running_mock_llm
from agent_runtime.testing import free_port

QUESTION = (Message(role="user", content="What is the weather in Paris?"),)
POLITE = JudgeCheck(rubric="Does the answer name the city?", threshold=0.7)


@pytest.fixture
def mock() -> Iterator[MockLLM]:
    with running_mock_llm() as served:
        yield served


def judge_at(url: str, **model: object) -> Judge:
    return Judge(JudgeModel.model_validate({"name": "mock-judge", "endpoint": url, **model}))


def test_a_score_at_the_threshold_passes_and_the_judge_saw_rubric_and_answer(
    mock: MockLLM,
) -> None:
    mock.reply_json({"score": 0.7, "reason": "names Paris"})
    assert judge_at(mock.url).grade(POLITE, QUESTION, "Paris is sunny.") is None
    sent = mock.completions[-1].messages
    assert sent[0] == {"role": "system", "content": JUDGE_INSTRUCTIONS}
    assert "Paris is sunny." in sent[1]["content"]
    assert "Rubric: Does the answer name the city?" in sent[1]["content"]


def test_a_score_below_the_threshold_fails_with_the_judges_reason(mock: MockLLM) -> None:
    mock.reply_json({"score": 0.2, "reason": "no city named"})
    verdict = judge_at(mock.url).grade(POLITE, QUESTION, "It is sunny.")
    assert verdict == "the judge scored 0.2, below 0.7: no city named"


def test_a_reply_that_is_not_a_score_fails_quoting_it(mock: MockLLM) -> None:
    mock.reply_text("I think it is fine")
    verdict = judge_at(mock.url).grade(POLITE, QUESTION, "It is sunny.")
    assert verdict == "the judge's reply is not a score: 'I think it is fine'"


def test_an_unreachable_judge_raises_a_clear_error_naming_where() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(JudgeUnavailableError) as caught:
        judge_at(url, timeoutSeconds=5).grade(POLITE, QUESTION, "It is sunny.")
    assert str(caught.value).startswith(f"the judge mock-judge at {url} did not answer: ")


def test_a_judge_answering_an_http_error_is_unavailable(mock: MockLLM) -> None:
    mock.fail_next(status=503)
    with pytest.raises(JudgeUnavailableError, match="did not answer"):
        judge_at(mock.url).grade(POLITE, QUESTION, "It is sunny.")


def test_the_judges_key_is_read_from_the_environment_variable_of_its_secret(
    mock: MockLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = {"name": "judge-secrets", "key": "apiKey"}
    monkeypatch.setenv("JUDGE_SECRETS_APIKEY", "k-123")
    mock.reply_json({"score": 1})
    assert judge_at(mock.url, apiKeySecretRef=ref).grade(POLITE, QUESTION, "Paris.") is None
    assert mock.completions[-1].authorization == "Bearer k-123"


def test_a_missing_key_is_reported_with_the_variable_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JUDGE_SECRETS_APIKEY", raising=False)
    judge = judge_at(
        "http://127.0.0.1:9", apiKeySecretRef={"name": "judge-secrets", "key": "apiKey"}
    )
    with pytest.raises(JudgeUnavailableError, match="export JUDGE_SECRETS_APIKEY"):
        judge.grade(POLITE, QUESTION, "Paris.")


def test_secret_env_names_are_upper_case_with_underscores() -> None:
    ref = SecretKeyRef(name="mistral-secrets.v2", key="api-key")
    assert secret_env_name(ref) == "MISTRAL_SECRETS_V2_API_KEY"
