"""Bearer-token auth: the token is read on every check and compared in constant time."""

from pathlib import Path

import pytest

from agent_runtime.auth import AuthUnavailable, BearerAuth, Unauthorized
from agent_runtime.config import SecretSource


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text("s3cret-token\n")
    return path


def test_auth_without_a_configured_token_lets_everything_through() -> None:
    BearerAuth(None).check(None)


def test_auth_accepts_the_configured_token(token_file: Path) -> None:
    BearerAuth(SecretSource(file=str(token_file))).check("Bearer s3cret-token")


def test_auth_accepts_the_scheme_in_any_case(token_file: Path) -> None:
    BearerAuth(SecretSource(file=str(token_file))).check("bearer s3cret-token")


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", "Basic s3cret-token", "Bearer wrong"]
)
def test_auth_refuses_a_missing_or_wrong_token(token_file: Path, header: str | None) -> None:
    with pytest.raises(Unauthorized):
        BearerAuth(SecretSource(file=str(token_file))).check(header)


def test_auth_reads_a_rotated_token_on_the_next_check(token_file: Path) -> None:
    auth = BearerAuth(SecretSource(file=str(token_file)))
    token_file.write_text("rotated")
    auth.check("Bearer rotated")
    with pytest.raises(Unauthorized):
        auth.check("Bearer s3cret-token")


def test_auth_reports_an_unreadable_token_by_where_it_lives(tmp_path: Path) -> None:
    auth = BearerAuth(SecretSource(file=str(tmp_path / "missing")))
    with pytest.raises(AuthUnavailable, match="missing"):
        auth.check("Bearer anything")


def test_auth_refuses_everything_when_the_token_is_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(AuthUnavailable):
        BearerAuth(SecretSource(file=str(empty))).check("Bearer ")


def test_auth_never_shows_the_token_in_its_repr(token_file: Path) -> None:
    auth = BearerAuth(SecretSource(file=str(token_file)))
    assert "s3cret" not in repr(auth)
    assert str(token_file) in repr(auth)


def test_a_refusal_says_why() -> None:
    assert str(Unauthorized("a bearer token is required")) == "a bearer token is required"
