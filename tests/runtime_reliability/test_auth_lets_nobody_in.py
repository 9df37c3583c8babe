"""Bearer-token auth lets nobody in without the token, however the request is shaped.

`tests/runtime_service/test_auth_over_http.py` shows the plain cases (no token, a wrong one, a
rotated file). Here: every guarded route and every kind of body is refused with 401 before
anything else is looked at; near-miss tokens are refused; the comparison is
`hmac.compare_digest`; and a Secret rotated the way the kubelet does it (a new directory
behind the `..data` symlink, swapped atomically) is used without a restart.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agent_runtime.auth import BearerAuth, Unauthorized
from agent_runtime.config import SecretSource
from tests.runtime_engine.fixtures import ConfigFactory
from tests.runtime_reliability.conftest import ask, assert_error_shape
from tests.runtime_service.conftest import AGENT, Runtime, serving

TOKEN = "Zq8-api-token-7d41c0"


def kubelet_secret_volume(directory: Path, key: str, value: str, version: int) -> Path:
    """Write a Secret volume as the kubelet does: `key -> ..data/key`, `..data -> ..v<n>`."""
    payload = directory / f"..v{version}"
    payload.mkdir()
    (payload / key).write_text(value)
    staged = directory / "..data_tmp"
    staged.symlink_to(payload.name)
    os.replace(staged, directory / "..data")  # the atomic swap
    link = directory / key
    if not link.is_symlink():
        link.symlink_to(f"..data/{key}")
    return link


@pytest.fixture
def secret_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "api-token"
    directory.mkdir()
    return directory


@pytest.fixture
def guarded(make_config: ConfigFactory, secret_dir: Path) -> Iterator[Runtime]:
    token = kubelet_secret_volume(secret_dir, "token", TOKEN, 1)
    with serving(make_config(auth={"bearerToken": {"file": str(token)}})) as runtime:
        yield runtime


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        ("POST", "/v1/chat/completions", b'{"messages": [{"role": "user", "content": "hi"}]}'),
        ("POST", "/v1/chat/completions", b'{"stream": true, "messages": []}'),
        ("POST", "/v1/chat/completions", b"{not json"),
        ("POST", "/v1/chat/completions", b""),
        ("POST", "/v1/chat/completions", b'{"unknown": 1}'),
        ("GET", "/v1/models", b""),
        ("GET", f"/v1/models/{AGENT}", b""),
        ("GET", "/v1/models/someone-else", b""),
    ],
)
def test_every_guarded_request_without_a_token_is_a_401_whatever_its_body(
    guarded: Runtime, method: str, path: str, content: bytes
) -> None:
    response = httpx.request(method, guarded.url + path, content=content, timeout=10)
    assert response.status_code == 401
    assert assert_error_shape(response)["type"] == "authentication_error"
    assert TOKEN not in response.text


@pytest.mark.parametrize(
    "presented",
    [
        TOKEN[:-1],
        TOKEN + "x",
        TOKEN.upper(),
        TOKEN.lower(),
        "x" + TOKEN,
        TOKEN[:10] + " " + TOKEN[10:],
        f"{TOKEN},{TOKEN}",
        "é" * len(TOKEN),
    ],
)
def test_a_token_that_nearly_matches_is_refused(guarded: Runtime, presented: str) -> None:
    response = httpx.post(
        f"{guarded.url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "hi"}]},
        headers={b"authorization": f"Bearer {presented}".encode()},
        timeout=10,
    )
    assert response.status_code == 401


def test_the_token_is_compared_with_hmac_compare_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr("agent_runtime.auth.hmac.compare_digest", spy)
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    auth = BearerAuth(SecretSource(file=str(token_file)))
    auth.check(f"Bearer {TOKEN}")
    with pytest.raises(Unauthorized):
        auth.check("Bearer wrong")
    assert compared == [(TOKEN.encode(), TOKEN.encode()), (b"wrong", TOKEN.encode())]


def test_a_secret_rotated_by_the_kubelet_is_used_without_a_restart(
    guarded: Runtime, secret_dir: Path
) -> None:
    assert ask(guarded, token=TOKEN).status_code == 200
    kubelet_secret_volume(secret_dir, "token", "rotated-Zq8-token", 2)
    assert ask(guarded, token=TOKEN).status_code == 401
    assert ask(guarded, token="rotated-Zq8-token").status_code == 200
