"""Limits: per-tool rate limit, per-call timeout on a hanging backend, result size
cap. Each gives a clear tool error (or a marked cut), and the server keeps working."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from mcp import Client

from sre_mcp.config import ServerConfig
from sre_mcp.middleware import Refusal
from sre_mcp.security.ratelimit import RateLimitPolicy
from sre_mcp.server import build_server

SCEN = str(Path(__file__).parent / "data" / "security-scenario")


def _server(tmp_path, **kw):
    return build_server(ServerConfig(scenario=SCEN, audit_log=tmp_path / "audit.jsonl", rag=False, **kw))


def test_token_bucket_refills_per_tool():
    now = [0.0]
    policy = RateLimitPolicy({"list_pods": 2, "*": 60}, clock=lambda: now[0])
    policy.check("list_pods", {})
    policy.check("list_pods", {})
    try:
        policy.check("list_pods", {})
        raise AssertionError("third call should be limited")
    except Refusal as exc:
        assert "at most 2 calls per minute" in str(exc) and "retry in 30.0s" in exc.hint
    policy.check("get_events", {})  # other tools have their own bucket
    now[0] = 30.0  # half a minute refills one call of a 2/min bucket
    policy.check("list_pods", {})
    assert RateLimitPolicy(None).per_minute("anything") == 600


async def test_rate_limit_is_a_clear_error_and_other_tools_keep_working(tmp_path):
    server, _ = _server(tmp_path, rate_limits={"list_pods": 3})
    async with Client(server) as c:
        results = [await c.call_tool("list_pods", {"namespace": "payments"}) for _ in range(5)]
        assert [r.is_error for r in results] == [False, False, False, True, True]
        assert "rate limit exceeded for list_pods: at most 3 calls per minute" in results[3].content[0].text
        r = await c.call_tool("get_events", {"namespace": "payments"})
        assert not r.is_error
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert len(audit) == 6 and [a["outcome"] for a in audit].count("error") == 2


async def test_hanging_backend_times_out_and_the_server_keeps_answering(tmp_path):
    server, rt = _server(tmp_path, call_timeout=0.5)
    release = threading.Event()
    real = rt.cluster.list_pods

    def hang(namespace):
        release.wait(10)  # a wedged API server
        return real(namespace)

    rt.cluster.list_pods = hang
    try:
        async with Client(server) as c:
            t0 = time.perf_counter()
            r = await c.call_tool("list_pods", {"namespace": "payments"})
            took = time.perf_counter() - t0
            assert r.is_error and "timed out after 0.5s" in r.content[0].text, r.content[0].text
            assert took < 3
            ok = await c.call_tool("get_events", {"namespace": "payments"})
            assert not ok.is_error
    finally:
        release.set()
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert audit[0]["outcome"] == "error" and "timed out" in audit[0]["error"]


async def test_result_size_cap_cuts_with_a_marker(tmp_path):
    server, rt = _server(tmp_path, max_result_bytes=1500)
    rt.scenario.pod_logs[("payments", "payment-gw-abc12", "payment-svc", False)] = "\n".join(f"INFO line {i} " + "x" * 80 for i in range(500))
    async with Client(server) as c:
        r = await c.call_tool("get_pod_logs", {"namespace": "payments", "pod_name": "payment-gw-abc12", "lines": 500})
        assert not r.is_error
        out = r.structured_content
        assert len(json.dumps(out)) < 2500
        assert out["truncated"]["max_bytes"] == 1500 and out["truncated"]["items_left_out"]["lines"] > 400
        assert "narrow" in out["truncated"]["how_to_get_more"]
