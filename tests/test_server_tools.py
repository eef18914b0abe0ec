"""Every tool, good and bad input, on every shipped scenario, through the MCP protocol
(in-memory client: the same JSON-RPC handlers as stdio, minus the pipe)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client

from sre_mcp.config import ServerConfig
from sre_mcp.scenarios.loader import load_scenario
from sre_mcp.server import build_server
from tests.conftest import MINI, shipped_scenarios

SCENARIOS = [*shipped_scenarios(), str(MINI)]


def _server(scenario: str, tmp_path: Path):
    return build_server(ServerConfig(scenario=scenario, audit_log=tmp_path / "audit.jsonl", rag=False))


async def _call(client: Client, name: str, args: dict):
    r = await client.call_tool(name, args)
    return r.is_error, (r.structured_content or {}), r.content[0].text if r.content else ""


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: Path(s).name)
async def test_every_tool_answers_on_every_scenario(scenario, tmp_path):
    sc = load_scenario(scenario)
    server, rt = _server(scenario, tmp_path)
    async with Client(server) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert {"check_service_health", "list_pods", "get_pod_logs", "describe_pod", "list_deployments", "get_events",
                "search_logs", "count_errors", "get_slow_queries", "trace_transaction", "get_recent_deploys",
                "search_runbooks", "investigate_service"} <= names

        err, services, _ = await _call(c, "list_services", {})
        assert not err and {s["name"] for s in services["services"]} == {s.name for s in sc.services}
        statuses = {}
        for svc in sc.services:
            err, health, text = await _call(c, "check_service_health", {"service_name": svc.name})
            assert not err, text
            assert health["status"] in ("healthy", "degraded", "critical", "unknown")
            statuses[svc.name] = health["status"]
            err, deploys, text = await _call(c, "get_recent_deploys", {"service_name": svc.name, "hours_back": 48})
            assert not err, text
            err, inv, text = await _call(c, "investigate_service", {"service_name": svc.name})
            assert not err, text
            assert inv["steps"][0] == "check_service_health" and inv["summary"].startswith(svc.name)
        # A scenario is an incident: something must be wrong somewhere (a healthy control excepted).
        if (sc.answer or {}).get("category") != "none":
            assert any(s != "healthy" for s in statuses.values()), statuses

        pods_seen = 0
        for ns in sc.namespaces:
            err, pods, text = await _call(c, "list_pods", {"namespace": ns})
            assert not err, text
            expected = {p["metadata"]["name"] for p in sc.pods if p["metadata"]["namespace"] == ns}
            assert {p["name"] for p in pods["pods"]} == expected
            for p in pods["pods"]:
                pods_seen += 1
                err, desc, text = await _call(c, "describe_pod", {"namespace": ns, "pod_name": p["name"]})
                assert not err and desc["name"] == p["name"] and desc["containers"], text
                err, logs, text = await _call(c, "get_pod_logs", {"namespace": ns, "pod_name": p["name"], "lines": 5})
                assert not err and logs["line_count"] <= 5, text
            for tool in ("list_deployments", "get_events"):
                err, _, text = await _call(c, tool, {"namespace": ns})
                assert not err, text
            err, warn, _ = await _call(c, "get_events", {"namespace": ns, "event_type": "Warning"})
            assert all(e["type"] == "Warning" for e in warn["events"])
        assert pods_seen == len(sc.pods)

        err, found, text = await _call(c, "search_logs", {"time_range": "24h", "limit": 200})
        assert not err, text
        assert found["total_matches"] == sum(1 for r in sc.logs if (sc.loaded_at - r["timestamp"]).total_seconds() <= 86400)
        stamps = [r["timestamp"] for r in found["rows"]]
        assert stamps == sorted(stamps, reverse=True), "newest first"
        for group in ("service", "host", "message"):
            err, counted, text = await _call(c, "count_errors", {"group_by": group, "time_range": "24h"})
            assert not err, text
            assert sum(g["errors"] for g in counted["groups"]) <= counted["total_errors"]
        err, _, text = await _call(c, "get_slow_queries", {"min_duration_ms": 0})
        assert not err, text
        for trace_id in sorted({r["trace_id"] for r in sc.logs if r["trace_id"]})[:10]:
            err, trace, text = await _call(c, "trace_transaction", {"trace_id": trace_id})
            assert not err, text
            assert trace["events"] and trace["services"]
            assert [e["timestamp"] for e in trace["events"]] == sorted(e["timestamp"] for e in trace["events"])
        err, rb, text = await _call(c, "search_runbooks", {"query": "pods restarting out of memory"})
        assert not err and rb["results"], text


async def test_reference_incident_facts(tmp_path):
    """The reference incident keeps the names people know."""
    server, _ = _server("payments-incident", tmp_path)
    async with Client(server) as c:
        err, pods, _ = await _call(c, "list_pods", {"namespace": "payments", "status_filter": "unhealthy"})
        bad = {p["name"]: p for p in pods["pods"]}
        assert {"payment-gw-def34", "payment-gw-ghi56"} <= set(bad)
        assert bad["payment-gw-def34"]["status"] == "CrashLoopBackOff"
        assert bad["payment-gw-def34"]["last_termination"]["reason"] == "OOMKilled"
        err, logs, _ = await _call(c, "get_pod_logs", {"namespace": "payments", "pod_name": "payment-gw-def34", "previous": True, "lines": 200})
        assert any("OutOfMemoryError" in line for line in logs["lines"])
        err, deps, _ = await _call(c, "list_deployments", {"namespace": "payments"})
        gw = next(d for d in deps["deployments"] if d["name"] == "payment-gateway")
        assert gw["ready"] == "3/5" and gw["image"].endswith("v2.3.1")
        err, trace, _ = await _call(c, "trace_transaction", {"trace_id": "tx-abc123"})
        assert {"payment-gateway", "fraud-detection"} <= set(trace["services"]) and trace["status"] == "failed"
        err, inv, _ = await _call(c, "investigate_service", {"service_name": "payment-gateway"})
        assert inv["worst_pod"] in ("payment-gw-def34", "payment-gw-ghi56")
        assert "OOMKilled" in inv["signals"]


BAD_CALLS = [
    ("list_pods", {"namespace": "kube-system"}, "not allowed", "allowed namespaces"),
    ("list_pods", {"namespace": "payments", "status_filter": "Broken"}, "status_filter", "allowed values"),
    ("list_pods", {"namespace": "payments", "verbose": True}, "unknown argument", "accepted arguments"),
    ("list_pods", {}, "namespace", None),
    ("list_pods", {"namespace": 42}, "namespace", None),
    ("describe_pod", {"namespace": "payments", "pod_name": "payment-gw-nope1"}, "not found", "pods that exist: payment-gw-abc12"),
    ("describe_pod", {"namespace": "payments", "pod_name": "../../etc/passwd"}, "not a valid Kubernetes pod name", "lowercase"),
    ("get_pod_logs", {"namespace": "payments", "pod_name": "payment-gw-abc12", "previous": True}, "previous terminated container", "without previous"),
    ("get_pod_logs", {"namespace": "payments", "pod_name": "payment-gw-abc12", "container": "sidecar"}, "no container", "containers: payment-svc"),
    ("get_events", {"namespace": "payments", "event_type": "Error"}, "event_type", "Warning, Normal"),
    ("search_logs", {"time_range": "1y"}, "time_range", None),
    ("search_logs", {"time_range": "1h; DROP TABLE logs"}, "time_range", None),
    ("search_logs", {"service": "no-such-svc"}, "unknown service", "known services: payment-gateway"),
    ("count_errors", {"group_by": "level"}, "group_by", "service, host, message"),
    ("trace_transaction", {"trace_id": "tx-zzz999"}, "no log events", None),
    ("trace_transaction", {"trace_id": "tx'; DROP TABLE logs; --"}, "not a trace id", None),
    ("check_service_health", {"service_name": "no-such-svc"}, "unknown service", "known services"),
    ("get_recent_deploys", {"service_name": "payment-gateway", "hours_back": "lots"}, "hours_back", None),
    ("get_runbook", {"runbook_id": "nope"}, "no runbook", "runbooks:"),
    ("search_runbooks", {"query": "oom", "team_filter": "astronauts"}, "unknown team", "known teams"),
]


@pytest.mark.parametrize("tool,args,message,hint", BAD_CALLS, ids=[f"{t}-{i}" for i, (t, *_rest) in enumerate(BAD_CALLS)])
async def test_bad_input_is_a_clear_tool_error(tool, args, message, hint, tmp_path):
    server, _ = _server(str(MINI), tmp_path)
    async with Client(server) as c:
        r = await c.call_tool(tool, args)
        assert r.is_error
        text = r.content[0].text
        assert message in text, text
        if hint:
            assert hint in text, text
        assert "Traceback" not in text
        err = (r.structured_content or {}).get("error", {})
        assert err.get("tool") == tool
        # the server is still fine
        ok = await c.call_tool("list_services", {})
        assert not ok.is_error


async def test_numbers_outside_bounds_are_clamped_and_said(tmp_path):
    server, _ = _server(str(MINI), tmp_path)
    async with Client(server) as c:
        r = await c.call_tool("get_pod_logs", {"namespace": "payments", "pod_name": "payment-gw-def34", "lines": 100000})
        assert not r.is_error
        assert r.structured_content["adjusted_arguments"] == {"lines": {"asked": 100000, "used": 1000}}
        r = await c.call_tool("search_logs", {"limit": -5})
        assert not r.is_error and r.structured_content["adjusted_arguments"]["limit"]["used"] == 1


async def test_unknown_tool_is_an_error_not_a_crash(tmp_path):
    server, _ = _server(str(MINI), tmp_path)
    async with Client(server) as c:
        r = await c.call_tool("delete_cluster", {})
        assert r.is_error and "Unknown tool" in r.content[0].text
        assert not (await c.call_tool("list_services", {})).is_error


async def test_every_call_is_audited_success_or_failure(tmp_path):
    server, _ = _server(str(MINI), tmp_path)
    async with Client(server) as c:
        await c.call_tool("list_pods", {"namespace": "payments"})
        await c.call_tool("list_pods", {"namespace": "nope"})
        await c.call_tool("list_pods", {"namespace": "payments", "x": 1})
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [(r["tool"], r["outcome"]) for r in lines] == [("list_pods", "ok"), ("list_pods", "error"), ("list_pods", "error")]
    assert all(r["latency_ms"] >= 0 and r["ts"] for r in lines)
    assert lines[1]["arguments"] == {"namespace": "nope"} and "not allowed" in lines[1]["error"]


async def test_sql_injection_attempts_stay_data(tmp_path):
    server, rt = _server(str(MINI), tmp_path)
    async with Client(server) as c:
        for kw in ["' OR 1=1 --", "x'); DROP TABLE logs; --", "\\'; SELECT 1", "%", "_", "\n\t"]:
            r = await c.call_tool("search_logs", {"keyword": kw, "time_range": "24h"})
            assert not r.is_error, r.content[0].text
            assert r.structured_content["total_matches"] == 0
        r = await c.call_tool("search_logs", {"time_range": "24h"})
        assert r.structured_content["total_matches"] == 3  # the table is intact


async def test_tools_have_schemas_docs_and_annotations(tmp_path):
    server, _ = _server(str(MINI), tmp_path)
    async with Client(server) as c:
        for t in (await c.list_tools()).tools:
            assert len(t.description or "") > 60, t.name
            assert t.input_schema["type"] == "object"
            assert t.annotations is not None and t.annotations.read_only_hint is True, t.name
            assert t.output_schema is not None
        schema = {t.name: t.input_schema for t in (await c.list_tools()).tools}
        assert schema["get_events"]["properties"]["event_type"]["anyOf"][0]["enum"] == ["Warning", "Normal"]
        assert schema["get_pod_logs"]["properties"]["lines"]["maximum"] == 1000


async def test_log_store_loads_after_the_first_panes_or_on_first_use(tmp_path):
    # The embedded log store (chdb) waits for its timer so it cannot slow the handshake
    # and the first panes; a log call that comes first loads it and gets its answer.
    server, rt = build_server(ServerConfig(scenario=str(MINI), audit_log=tmp_path / "a.jsonl", rag=False, logs_delay=60))
    async with Client(server) as c:
        err, pods, _ = await _call(c, "list_pods", {"namespace": "payments"})
        assert not err and pods["pods"]
        assert not rt._logs._started
        err, found, _ = await _call(c, "search_logs", {"service": "payment-gateway", "level": "ERROR"})
        assert not err and found["rows"], found
        assert rt._logs.ready
