"""One way for the tests' local HTTP servers (fake Kubernetes, Prometheus, ClickHouse,
PagerDuty and Messages APIs) to answer a request."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any


def reply(handler: BaseHTTPRequestHandler, code: int, body: Any, content_type: str | None = None,
          headers: dict[str, str] | None = None) -> None:
    """Send `body` with status `code`: bytes as they are, str as UTF-8 text, anything else as JSON."""
    if isinstance(body, bytes):
        data, ctype = body, content_type
    elif isinstance(body, str):
        data, ctype = body.encode(), content_type or "text/plain"
    else:
        data, ctype = json.dumps(body).encode(), content_type or "application/json"
    handler.send_response(code)
    if ctype:
        handler.send_header("Content-Type", ctype)
    for k, v in (headers or {}).items():
        handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
