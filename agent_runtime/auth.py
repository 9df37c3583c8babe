"""Optional bearer-token auth on the agent's API.

The token is a `SecretSource` read on every request, so rotating the Secret behind it needs no
restart. Tokens are compared in constant time. The probes and `/metrics` stay open: the
kubelet and Prometheus do not carry the token.
"""

from __future__ import annotations

import hmac

from agent_runtime.config import SecretSource, SecretUnavailableError


class Unauthorized(Exception):
    """The request carried no bearer token, or the wrong one."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class AuthUnavailable(Exception):
    """The expected token could not be read; the message names where, never a value."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where

    def __str__(self) -> str:
        return f"the API token could not be read from {self.where}"


class BearerAuth:
    """Checks `Authorization: Bearer <token>` against the configured secret, if any."""

    def __init__(self, token: SecretSource | None) -> None:
        self._token = token

    @property
    def enabled(self) -> bool:
        """Whether requests must carry a token."""
        return self._token is not None

    def check(self, authorization: str | None) -> None:
        """Return if the header carries the current token; raise `Unauthorized` if not."""
        if self._token is None:
            return
        try:
            expected = self._token.read()
        except SecretUnavailableError:
            raise AuthUnavailable(self._token.describe()) from None
        if not expected:
            raise AuthUnavailable(self._token.describe())
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise Unauthorized("a bearer token is required")
        if not hmac.compare_digest(presented.strip().encode(), expected.encode()):
            raise Unauthorized("the bearer token is not valid")

    def __repr__(self) -> str:
        where = self._token.describe() if self._token is not None else "disabled"
        return f"BearerAuth({where})"
