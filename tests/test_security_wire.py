"""What reaches the server over stdio and what leaves it on stderr (issue 16 items 13, 14, 16).

- A lone surrogate, nesting >= 300 and malformed JSON each get a JSON-RPC error
  response (the client is not left waiting) and an audit line; the server keeps serving.
- Optional string arguments that look like JSON reach the tool as the strings sent.
- A credential in a backend URL never shows in a stderr traceback.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

from mcp import Client

from sre_mcp.config import ServerConfig
from sre_mcp.server import build_server
from tests.conftest import MINI

BAD_LINES = [
    ("lone surrogate", '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"search_logs","arguments":{"keyword":"\\ud800"}}}', 7),
    ("nesting 300", '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"search_logs","arguments":{"keyword":'
     + "[" * 300 + "]" * 300 + "}}}", 8),
    ("malformed", '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":', 9),
    ("not json", "password=hunter2-prod this is not json", None),
]


def _send(proc: subprocess.Popen, obj_or_line) -> None:
    line = obj_or_line if isinstance(obj_or_line, str) else json.dumps(obj_or_line)
    proc.stdin.write((line + "\n").encode())
    proc.stdin.flush()


def _read(proc: subprocess.Popen, timeout: float = 30) -> dict:
    import select

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError("server closed stdout")
            msg = json.loads(line)
            if "id" in msg:  # skip notifications
                return msg
    raise AssertionError("no answer within the timeout: the line was dropped")


def test_unparseable_lines_get_an_error_answer_and_an_audit_line(tmp_path):
    audit = tmp_path / "audit.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sre_mcp", "--scenario", str(MINI), "--no-rag", "--audit-log", str(audit)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(tmp_path / "stderr.log", "wb"),
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )
    try:
        _send(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
        assert _read(proc)["id"] == 1
        _send(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        for name, line, rid in BAD_LINES:
            _send(proc, line)
            answer = _read(proc)
            assert answer.get("id") == rid, (name, answer)
            assert answer["error"]["code"] in (-32700, -32600), (name, answer)
            assert "hunter2" not in json.dumps(answer)
        # still serving
        _send(proc, {"jsonrpc": "2.0", "id": 42, "method": "tools/call", "params": {"name": "list_pods", "arguments": {"namespace": "payments"}}})
        ok = _read(proc)
        assert ok["id"] == 42 and not ok["result"].get("isError")
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    lines = [json.loads(x) for x in audit.read_text().splitlines()]
    rejected = [r for r in lines if r.get("outcome") == "rejected"]
    assert len(rejected) == len(BAD_LINES), lines
    assert all(r.get("error") for r in rejected)
    assert "hunter2-prod" not in audit.read_text()


async def test_string_arguments_that_look_like_json_are_kept():
    """keyword="null" used to reach the tool as None: the filter was silently dropped."""
    server, _ = build_server(ServerConfig(scenario=str(MINI), rag=False))
    async with Client(server) as c:
        everything = (await c.call_tool("search_logs", {"time_range": "24h"})).structured_content["total_matches"]
        assert everything > 0
        for kw in ["null", "true", "[1]", '{"a": 1}', "1e999"]:
            r = await c.call_tool("search_logs", {"keyword": kw, "time_range": "24h"})
            assert not r.is_error, (kw, r.content[0].text)
            assert r.structured_content["filters"]["keyword"] == kw
            assert r.structured_content["total_matches"] < everything


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_backend_credential_never_shows_on_stderr(tmp_path):
    """Issue 16 item 16: the ClickHouse password showed in a stderr traceback the console displays."""
    from mcp.client.stdio import StdioServerParameters, stdio_client

    url = f"http://default:Ch1ckPw0rd-42@127.0.0.1:{_closed_port()}/default"
    params = StdioServerParameters(command=sys.executable, env={"HF_HUB_OFFLINE": "1"},
                                   args=["-m", "sre_mcp", "--scenario", str(MINI), "--no-rag", "--clickhouse-url", url])
    errlog = open(tmp_path / "stderr.log", "w")
    async with Client(stdio_client(params, errlog=errlog), mode="legacy") as c:
        for _ in range(2):
            r = await c.call_tool("search_logs", {"time_range": "1h"})
            assert r.is_error
            assert "Ch1ckPw0rd" not in json.dumps(r.structured_content) + r.content[0].text
    errlog.close()
    err = (tmp_path / "stderr.log").read_text()
    assert "127.0.0.1" in err or "ClickHouse" in err, err[-2000:]  # the failure itself is reported
    assert "Ch1ckPw0rd" not in err, err[-3000:]


def test_uncaught_exceptions_and_log_records_are_redacted(capsys, monkeypatch):
    """Anything the process prints on stderr goes through redaction: log records, tracebacks."""
    import logging
    import threading

    from sre_mcp.security.wire import install_stderr_redaction

    handler = logging.StreamHandler(sys.stderr)
    root = logging.getLogger()
    root.addHandler(handler)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    try:
        install_stderr_redaction()
        try:
            raise RuntimeError("cannot connect to postgres://app:S3cretPw@db:5432/pay")
        except RuntimeError:
            logging.getLogger("sre_mcp").error("start failed with token=%s", "abc123def456", exc_info=True)
            sys.excepthook(*sys.exc_info())
    finally:
        root.removeHandler(handler)
    err = capsys.readouterr().err
    assert "S3cretPw" not in err and "abc123def456" not in err
    assert "postgres://app:[REDACTED:password]@db" in err and "Traceback" in err and "start failed with token=" in err
