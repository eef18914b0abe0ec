"""query_metrics / query_metrics_range on a scenario's series (the fixture backend), over MCP.

The same tool code runs against a real Prometheus in test_metrics_real.py; here the
scenario's piecewise series answer the queries the fixture documents.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from mcp import Client

from sre_mcp.backends.prometheus import PrometheusMetrics
from sre_mcp.config import ServerConfig
from sre_mcp.server import build_server
from sre_mcp.timeutil import parse_iso
from tests.conftest import MINI


def _server(scenario: str, tmp_path: Path):
    return build_server(ServerConfig(scenario=scenario, audit_log=tmp_path / "audit.jsonl", rag=False))


async def _call(c: Client, name: str, args: dict) -> tuple[bool, dict, str]:
    r = await c.call_tool(name, args)
    return r.is_error, (r.structured_content or {}), r.content[0].text if r.content else ""


async def test_range_query_on_the_reference_incident(tmp_path):
    server, _ = _server("payments-incident", tmp_path)
    async with Client(server) as c:
        err, out, text = await _call(c, "query_metrics_range", {"query": 'error_rate{service="payment-gateway"}', "duration": "1h"})
        assert not err, text
        assert out["source"] == "fixture" and out["series_total"] == 1
        (s,) = out["series"]
        assert s["labels"] == {"__name__": "error_rate", "service": "payment-gateway"}
        assert s["change"]["direction"] == "rose" and s["last"] == pytest.approx(0.153, rel=1e-3)
        ago = datetime.now(timezone.utc) - parse_iso(s["change"]["at"])
        assert timedelta(minutes=23) <= ago <= timedelta(minutes=27), s["change"]  # the metrics.yaml step at -26m..-24m
        assert s["summary"].startswith("rose from 0.20% to ") and s["summary"].endswith("now 15.3%")
        assert "values" not in s

        # Every service's p99, a regex matcher, raw points for a plot.
        err, out, text = await _call(c, "query_metrics_range", {"query": 'p99_ms{service=~"payment-.*|auth-service"}',
                                                                "duration": "2h", "step": "5m", "points": True})
        assert not err, text
        names = [s["labels"]["service"] for s in out["series"]]
        assert names == ["payment-gateway", "auth-service"]  # the one that changed comes first
        assert out["step"] == "300s" and len(out["series"][0]["values"]) == out["series"][0]["samples"] == 24

        # The Prometheus backend's own health queries are answered too (what a real server would be asked).
        q = PrometheusMetrics("http://unused").render("error_rate", "payment-gateway")
        err, out, text = await _call(c, "query_metrics", {"query": q})
        assert not err and out["series"][0]["value"] == pytest.approx(0.153) and out["series"][0]["labels"] == {}, text
        err, out, _ = await _call(c, "query_metrics", {"query": "error_rate", "time": "-40m"})
        by = {s["labels"]["service"]: s["value"] for s in out["series"]}
        assert by["payment-gateway"] == pytest.approx(0.002, rel=0.1)  # before the onset

        err, out, text = await _call(c, "query_metrics", {"query": 'cpu{service!="payment-gateway"}', "unit": "cores"})
        assert not err and out["series_total"] == 3, text
        assert "payment-gateway" not in {s["labels"]["service"] for s in out["series"]}
        assert all(s["shown"].endswith("m") or "cores" in s["shown"] for s in out["series"])


@pytest.mark.parametrize(
    "args, message, hint",
    [
        ({"query": "rate(http_requests_total[5m])"}, "cannot evaluate 'rate(http_requests_total[5m])'", "a real Prometheus"),
        ({"query": 'error_rate{service~"x"}'}, "bad label matcher", 'service="name"'),
        ({"query": 'error_rate{service=~"("}'}, "invalid regex", None),
        ({"query": "error_rate", "duration": "40d"}, "longer than the maximum of 30d", None),
        ({"query": "error_rate", "duration": "8d"}, "longer than the maximum of 7d", None),
        ({"query": "error_rate", "duration": "2h", "step": "5s"}, "more than 1100", "at least 7s"),
        ({"query": "error_rate", "step": "often"}, "invalid step 'often'", "e.g. 30s"),
    ],
)
async def test_bad_queries_are_clear_errors_that_echo_the_query(args, message, hint, tmp_path):
    server, _ = _server("payments-incident", tmp_path)
    async with Client(server) as c:
        err, out, text = await _call(c, "query_metrics_range", args)
    assert err and message in text, text
    assert out["error"]["arguments"]["query"] == args["query"]
    if hint:
        assert hint in out["error"]["hint"]


async def test_instant_query_time_argument(tmp_path):
    server, _ = _server("payments-incident", tmp_path)
    async with Client(server) as c:
        for bad in ("yesterday", "2099-01-01T00:00:00Z"):
            err, _, text = await _call(c, "query_metrics", {"query": "rps", "time": bad})
            assert err and ("invalid time" in text or "in the future" in text), text
        at = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        err, out, text = await _call(c, "query_metrics", {"query": "rps", "time": at})
        assert not err and out["time"] == at and out["series_total"] == 4, text
        err, out, _ = await _call(c, "query_metrics", {"query": "no_such_series"})
        assert not err and out["series_total"] == 0 and "no series matched" in out["note"]


async def test_series_beyond_the_cap_are_counted_not_dropped(tmp_path):
    folder = tmp_path / "many"
    shutil.copytree(MINI, folder)
    (folder / "metrics.yaml").write_text(
        (folder / "metrics.yaml").read_text()
        + "".join(f"shard-{i}: {{series: {{queue_depth: [[-2h, {i}]]}}}}\n" for i in range(40))
    )
    server, _ = _server(str(folder), tmp_path)
    async with Client(server) as c:
        err, out, text = await _call(c, "query_metrics_range", {"query": "queue_depth", "duration": "1h"})
    assert not err, text
    assert out["series_total"] == 40 and len(out["series"]) == 30 and "40 series matched" in out["note"]
    assert [s["last"] for s in out["series"][:3]] == [39, 38, 37]


async def test_trace_lines_say_onset_config_only_and_the_change(tmp_path):
    """The one-line summaries (trace widgets, compaction) carry what the metrics add."""
    from sre_console.investigate.summary import summarize

    server, _ = _server("checkout-latency", tmp_path)
    async with Client(server) as c:
        _, health, _ = await _call(c, "check_service_health", {"service_name": "orders-service"})
        _, deploys, _ = await _call(c, "get_recent_deploys", {"service_name": "orders-service", "hours_back": 2})
        _, rng, _ = await _call(c, "query_metrics_range", {"query": 'p99_ms{service="orders-service"}', "duration": "1h"})
    assert ", onset 3" in summarize("check_service_health", True, health) and "rose)" in summarize("check_service_health", True, health)
    assert "(config only)" in summarize("get_recent_deploys", True, deploys)
    line = summarize("query_metrics_range", True, rng)
    assert line.startswith('1 series; p99_ms{service="orders-service"}: rose from ') and "ago" in line
