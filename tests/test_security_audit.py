"""The audit log has a line for every call, ok, failed or refused, flushed before the
answer goes out: a stdio server killed with SIGKILL right after a call has lost nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

SCEN = str(Path(__file__).parent / "data" / "security-scenario")


def _rpc(proc: subprocess.Popen, msg: dict) -> dict | None:
    proc.stdin.write((json.dumps(msg) + "\n").encode())
    proc.stdin.flush()
    if "id" not in msg:
        return None
    while True:
        line = proc.stdout.readline()
        assert line, "server closed stdout"
        data = json.loads(line)
        if data.get("id") == msg["id"]:
            return data


def test_every_call_is_on_disk_when_the_server_is_killed(tmp_path):
    audit = tmp_path / "audit.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sre_mcp", "--scenario", SCEN, "--no-rag", "--allow-writes", "--role", "operator", "--audit-log", str(audit)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    try:
        init = _rpc(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "audit-test", "version": "0"}}})
        assert "result" in init
        _rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        calls = [
            ("list_pods", {"namespace": "payments"}),                                     # ok
            ("list_pods", {"namespace": "payments", "bogus": 1}),                          # invalid arguments
            ("list_pods", {"namespace": "kube-system"}),                                   # refused by the role
            ("scale_deployment", {"namespace": "payments", "deployment_name": "payment-gateway", "replicas": 0,
                                  "confirmation_token": "forged.token.value"}),          # refused token
            ("search_logs", {"keyword": "password=hunter2"}),                              # secret in arguments
        ]
        answers = []
        for i, (name, args) in enumerate(calls, start=2):
            answers.append(_rpc(proc, {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": name, "arguments": args}}))
        assert [a["result"].get("isError", False) for a in answers] == [False, True, True, True, False]
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # no chance to flush or close anything
        proc.wait(10)
    every = [json.loads(line) for line in audit.read_text().splitlines()]
    # Requests other than tool calls get a line too (initialize here).
    assert [r["method"] for r in every if r["phase"] == "request"] == ["initialize"]
    lines = [r for r in every if r["phase"] == "call"]
    assert [(r["tool"], r["outcome"]) for r in lines] == [
        ("list_pods", "ok"), ("list_pods", "error"), ("list_pods", "error"), ("scale_deployment", "error"), ("search_logs", "ok")]
    assert "unknown argument" in lines[1]["error"] and "bogus" not in json.dumps(lines[1])
    assert "role 'operator' may not use namespace 'kube-system'" in lines[2]["error"] and lines[2]["role"] == "operator"
    assert "not a token this server issued" in lines[3]["error"]
    assert lines[4]["arguments"]["keyword"] == "password=[REDACTED:password]"
    assert "hunter2" not in audit.read_text()
