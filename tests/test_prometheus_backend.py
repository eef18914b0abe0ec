"""PrometheusMetrics against a fake Prometheus HTTP API (a local server answering
/api/v1/query and /api/v1/alerts in Prometheus' JSON format). No Prometheus binary
runs here; the fake records each PromQL text so tests can check what was sent."""

from __future__ import annotations

import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from mcp import Client
from sre_mcp.backends.base import BackendError
from sre_mcp.backends.prometheus import PrometheusMetrics, promql_string
from sre_mcp.config import ServerConfig
from sre_mcp.server import build_server

from tests.conftest import MINI
from tests.http_reply import reply

# The service label's value in a query, honouring PromQL escapes.
_SERVICE_LIT = re.compile(r'service="((?:[^"\\]|\\.)*)"')

SERIES = {  # (service, what) → value as Prometheus writes it
    ("payment-gateway", "error"): "0.12",
    ("payment-gateway", "p99"): "3450.5",
    ("payment-gateway", "rps"): "240",
    ("idle", "error"): "NaN",  # 0/0: no traffic
}
ALERTS = [
    {"labels": {"alertname": "HighErrorRate", "severity": "critical", "service": "payment-gateway"},
     "annotations": {"summary": "5xx above 5%"}, "state": "firing", "activeAt": "2026-01-01T10:00:00Z", "value": "0.12"},
    {"labels": {"alertname": "PodRestarts", "severity": "warning", "service": "payment-gateway"},
     "annotations": {"description": "restarts"}, "state": "firing", "activeAt": "2026-01-01T09:00:00Z"},
    {"labels": {"alertname": "Pending", "severity": "critical", "service": "payment-gateway"}, "state": "pending"},
    {"labels": {"alertname": "Other", "severity": "critical", "service": "auth"}, "state": "firing"},
]


class FakePrometheus:
    def __init__(self) -> None:
        self.queries: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):  # noqa: N802
                url = urlsplit(self.path)
                q = {k: v[-1] for k, v in parse_qs(url.query).items()}
                if url.path == "/api/v1/alerts":
                    return self._send(200, {"status": "success", "data": {"alerts": ALERTS}})
                if url.path != "/api/v1/query":
                    return self._send(404, {"status": "error", "errorType": "not_found", "error": "no such path"})
                query = q.get("query", "")
                fake.queries.append(query)
                if "syntax_error" in query:
                    return self._send(400, {"status": "error", "errorType": "bad_data", "error": "1:1: parse error: unexpected identifier"})
                m = _SERVICE_LIT.search(query)
                service = re.sub(r"\\(.)", r"\1", m.group(1)) if m else None
                what = "p99" if "histogram_quantile" in query else "error" if "5.." in query else "rps"
                value = SERIES.get((service, what))
                result = [] if value is None else [{"metric": {}, "value": [time.time(), value]}]
                self._send(200, {"status": "success", "data": {"resultType": "vector", "result": result}})

            def _send(self, code, body):
                reply(self, code, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def prom():
    p = FakePrometheus()
    yield p
    p.close()


def test_metrics_from_default_queries(prom):
    m = PrometheusMetrics(prom.url, {})
    assert m.service_metrics("payment-gateway") == {"error_rate": 0.12, "p99_ms": 3450.5, "rps": 240.0}
    assert any('code=~"5.."' in q and 'service="payment-gateway"' in q for q in prom.queries)
    assert any(q.startswith("histogram_quantile(0.99") and "http_request_duration_seconds_bucket" in q for q in prom.queries)
    assert m.service_metrics("unknown-svc") is None  # no series at all
    assert m.service_metrics("idle") is None  # NaN is "unknown", not a number


def test_alerts_firing_for_the_service_only(prom):
    alerts = PrometheusMetrics(prom.url, {}).alerts("payment-gateway")
    assert [a["name"] for a in alerts] == ["HighErrorRate", "PodRestarts"]
    assert alerts[0] == {"name": "HighErrorRate", "severity": "critical", "summary": "5xx above 5%", "since": "2026-01-01T10:00:00Z"}
    assert alerts[1]["summary"] == "restarts"


def test_custom_templates_and_alert_label(prom):
    m = PrometheusMetrics(prom.url, {"rps": "sum(rate(requests{service=$service}[1m]))", "alert_service_label": "app"})
    assert m.render("rps", "cart") == 'sum(rate(requests{service="cart"}[1m]))'
    assert m.alerts("payment-gateway") == []  # alerts carry `service`, not `app`
    with pytest.raises(BackendError, match="unknown keys p50"):
        PrometheusMetrics(prom.url, {"p50": "x{service=$service}"})
    with pytest.raises(BackendError, match="must contain \\$service"):
        PrometheusMetrics(prom.url, {"rps": 'sum(rate(requests{service="cart"}[1m]))'})


@pytest.mark.parametrize("evil", ['x"} or vector(1) or {a="', "a\\", "pay ment", "", "x\n", "a{b}"])
def test_service_names_never_reach_promql_raw(prom, evil):
    m = PrometheusMetrics(prom.url, {})
    with pytest.raises(BackendError, match="not a valid service name"):
        m.service_metrics(evil)
    with pytest.raises(BackendError, match="not a valid service name"):
        m.alerts(evil)
    assert prom.queries == []


def test_promql_string_escapes():
    assert promql_string('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'


def test_prometheus_errors_are_clear(prom):
    with pytest.raises(BackendError, match="bad_data 1:1: parse error"):
        PrometheusMetrics(prom.url, {"rps": "syntax_error{service=$service}"}).service_metrics("cart")
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{port.getsockname()[1]}"
    port.close()
    with pytest.raises(BackendError, match="cannot reach Prometheus"):
        PrometheusMetrics(dead, {}).service_metrics("cart")
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(8)
    try:
        t0 = time.monotonic()
        with pytest.raises(BackendError, match="did not answer within 0.5s"):
            PrometheusMetrics(f"http://127.0.0.1:{hang.getsockname()[1]}", {}, timeout=0.5).alerts("cart")
        assert time.monotonic() - t0 < 3
    finally:
        hang.close()


async def test_health_tool_uses_prometheus(prom, tmp_path):
    server, rt = build_server(ServerConfig(scenario=str(MINI), prometheus_url=prom.url, audit_log=tmp_path / "a.jsonl", rag=False))
    assert rt.metrics.kind == "prometheus"
    async with Client(server) as c:
        r = await c.call_tool("check_service_health", {"service_name": "payment-gateway"})
        h = r.structured_content
        assert not r.is_error and h["status"] == "critical"
        assert h["error_rate"] == 0.12 and h["p99_ms"] == 3450.5 and h["rps"] == 240.0
        assert [a["name"] for a in h["alerts"]] == ["HighErrorRate", "PodRestarts"]
        assert any("HighErrorRate" in reason for reason in h["reasons"])
