"""A GET tool's arguments travel in its URL; the HTTP clients' request lines must not log them."""

from __future__ import annotations

import logging

from .logcapture import captured_logs


def test_http_client_request_lines_are_not_logged_at_info() -> None:
    with captured_logs("INFO") as out:
        for name in ("httpx", "httpx2"):
            logging.getLogger(name).info('HTTP Request: GET http://tool/x?city=Secretville "200"')
        logging.getLogger("httpx2").warning("connection pool is full")
    text = out.getvalue()
    assert "Secretville" not in text
    assert "connection pool is full" in text
