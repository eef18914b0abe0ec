"""The real protocol over real pipes and HTTP: what Claude Desktop and the console see."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time

from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.conftest import MINI


def _params(*extra: str, audit=None) -> StdioServerParameters:
    args = ["-m", "sre_mcp", "--scenario", str(MINI), "--no-rag", *extra]
    if audit:
        args += ["--audit-log", str(audit)]
    return StdioServerParameters(command=sys.executable, args=args, env={"HF_HUB_OFFLINE": "1"})


async def test_stdio_initialize_list_call_and_survive_bad_calls(tmp_path):
    errlog = open(tmp_path / "stderr.log", "w")
    t0 = time.perf_counter()
    async with Client(stdio_client(_params(audit=tmp_path / "audit.jsonl"), errlog=errlog), mode="legacy") as c:
        tools = (await c.list_tools()).tools
        spawn_s = time.perf_counter() - t0
        assert len(tools) >= 14
        ok = await c.call_tool("list_pods", {"namespace": "payments"})
        assert not ok.is_error and ok.structured_content["total"] == 2
        for bad in ({"namespace": "x" * 5000}, {"namespace": None}, {"namespace": "payments", "status_filter": 7}):
            r = await c.call_tool("list_pods", bad)
            assert r.is_error and "Traceback" not in r.content[0].text
        again = await c.call_tool("check_service_health", {"service_name": "payment-gateway"})
        assert not again.is_error and again.structured_content["status"] == "critical"
        prompts = (await c.list_prompts()).prompts
        assert len(prompts) == 4
    # Generous bound here; the real figure is measured in benchmarks/bench_server.py.
    assert spawn_s < 10
    audit = [r for line in (tmp_path / "audit.jsonl").read_text().splitlines() if (r := json.loads(line))["phase"] == "call"]
    assert len(audit) == 5 and sum(r["outcome"] == "error" for r in audit) == 3
    assert "Traceback" not in (tmp_path / "stderr.log").read_text()


async def test_stdio_unknown_scenario_exits_with_a_clear_message(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sre_mcp", "--scenario", "no-such-scenario"], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 2
    assert "unknown scenario" in proc.stderr and "payments-incident" in proc.stderr
    assert "Traceback" not in proc.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_streamable_http_transport_binds_localhost(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sre_mcp", "--scenario", str(MINI), "--no-rag", "--transport", "http", "--port", str(port),
         "--audit-log", str(tmp_path / "a.jsonl")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                await asyncio.sleep(0.1)
        async with Client(f"http://127.0.0.1:{port}/mcp") as c:
            tools = (await c.list_tools()).tools
            assert any(t.name == "investigate_service" for t in tools)
            r = await c.call_tool("list_services", {})
            assert not r.is_error
        out = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout if _has("ss") else ""
        if out:
            assert f"127.0.0.1:{port}" in out
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _has(cmd: str) -> bool:
    import shutil

    return shutil.which(cmd) is not None
