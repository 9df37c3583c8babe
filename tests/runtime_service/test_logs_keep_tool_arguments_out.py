"""A GET tool's arguments travel in its URL; the HTTP clients' request lines must not log them."""

from __future__ import annotations

import io
import logging

from agent_runtime.logs import configure_logging


def test_http_client_request_lines_are_not_logged_at_info() -> None:
    out = io.StringIO()
    configure_logging("INFO", out)
    try:
        for name in ("httpx", "httpx2"):
            logging.getLogger(name).info('HTTP Request: GET http://tool/x?city=Secretville "200"')
        logging.getLogger("httpx2").warning("connection pool is full")
    finally:
        configure_logging("WARNING", io.StringIO())
    text = out.getvalue()
    assert "Secretville" not in text
    assert "connection pool is full" in text
