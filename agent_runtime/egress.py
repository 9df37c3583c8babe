"""The egress allowlist: which hosts the runtime may connect to.

When an Agent declares `egress.allowHosts`, every model and tool URL is checked here before
any connection is opened, so a refused host never sees a packet from the runtime. The
NetworkPolicy the operator renders enforces the same intent at the network layer; this check
gives the model (and the operator's readiness) a clear reason instead of a timeout.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

#: The allowlist entry that allows every host.
ANY_HOST = "*"


class EgressDeniedError(Exception):
    """A URL's host is not on the allowlist."""

    def __init__(self, url: str, host: str) -> None:
        super().__init__(url, host)
        self.url = url
        self.host = host

    def __str__(self) -> str:
        return f"egress to host {self.host!r} is not allowed (url {self.url})"


class EgressPolicy:
    """Hosts allowed by exact name or by `*.suffix` pattern; `*` (or an empty list): any host.

    The operator never renders an empty list: an Agent without `egress.allowHosts` gets exactly
    the hosts it declares. An empty list is what a hand-written config means by "no allowlist".
    """

    def __init__(self, allow_hosts: Iterable[str] = ()) -> None:
        self._exact: set[str] = set()
        self._suffixes: list[str] = []
        self._any = False
        for entry in allow_hosts:
            entry = entry.strip().lower().rstrip(".")
            if entry == ANY_HOST:
                self._any = True
            elif entry.startswith("*."):
                self._suffixes.append(entry[1:])  # keep the dot: "*.x.io" matches "a.x.io" only
            elif entry:
                self._exact.add(entry)

    @property
    def restricted(self) -> bool:
        """Whether any allowlist is in force."""
        return not self._any and bool(self._exact or self._suffixes)

    def allows_host(self, host: str) -> bool:
        """Whether a bare host name may be connected to."""
        if not self.restricted:
            return True
        host = host.lower().rstrip(".")
        return host in self._exact or any(host.endswith(s) for s in self._suffixes)

    def check(self, url: str) -> None:
        """Raise `EgressDeniedError` unless the URL's host is allowed."""
        host = urlsplit(url).hostname or ""
        if not self.allows_host(host):
            raise EgressDeniedError(url, host)
