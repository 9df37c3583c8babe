"""What `agent-operator dev` serves: the operator's rendering, with model and secrets local."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_operator import cli
from agent_operator.dev import DevError, DevOptions, load_agent, local_config, secret_flag
from agent_runtime.config import SecretSource

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_secret_keys_are_read_from_the_named_environment_variable_or_file() -> None:
    obj, spec = load_agent(str(EXAMPLES / "weather.yaml"))
    model_key = spec.model.api_key_secret_ref
    assert model_key is not None
    secrets = dict(
        [
            secret_flag(f"{model_key.name}/{model_key.key}=MISTRAL_API_KEY", env=True),
            secret_flag("weather-api/token=token.txt", env=False),
        ]
    )
    config = local_config(obj, spec, DevOptions(manifest="weather.yaml", secrets=secrets))

    assert config.model.api_key == SecretSource(env="MISTRAL_API_KEY")
    headers = [h for tool in config.tools if tool.http for h in tool.http.headers if h.value_from]
    assert headers
    assert all(h.value_from == SecretSource(file=str(Path("token.txt").resolve())) for h in headers)
    assert "/var/run" not in config.to_json()  # no path of a pod is left


def test_a_secret_key_without_a_local_source_is_named_with_the_flag_to_give(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = cli.main(["dev", str(EXAMPLES / "weather.yaml")])
    err = capsys.readouterr().err
    assert status == cli.EXIT_INVALID
    assert "mistral-secrets/apiKey" in err
    assert "--secret-env mistral-secrets/apiKey=VARIABLE" in err


def test_mock_points_the_model_at_the_mock_and_allows_its_host() -> None:
    obj, spec = load_agent(str(EXAMPLES / "hello.yaml"))
    config = local_config(obj, spec, DevOptions(manifest="hello.yaml", mock=True, mock_port=9999))
    assert config.model.endpoint == "http://127.0.0.1:9999"
    assert config.model.api_key is None  # the mock needs no key; none was named
    assert not config.egress.allow_hosts or "127.0.0.1" in config.egress.allow_hosts


@pytest.mark.parametrize("flag", ["mistral-secrets=VAR", "mistral-secrets/apiKey", "/k=VAR"])
def test_a_malformed_secret_flag_says_the_form_it_expects(flag: str) -> None:
    with pytest.raises(DevError, match="SECRET/KEY=VARIABLE"):
        secret_flag(flag, env=True)


def test_a_file_without_an_agent_is_refused_by_name(tmp_path: Path) -> None:
    empty = tmp_path / "secret.yaml"
    empty.write_text("kind: Secret\n")
    with pytest.raises(DevError, match="no Agent found"):
        load_agent(str(empty))
