"""Against a real Prometheus (Debian's `prometheus` + `promtool`, installed by `./dev test`).

The last 30 minutes of request counters and latency histograms are backfilled with
`promtool tsdb create-blocks-from openmetrics`; Prometheus evaluates a real alerting
rule over them. The backend's PromQL then has to come out with the numbers the data
was generated from: no fake of the HTTP API in between.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from mcp import Client

from sre_mcp.backends.prometheus import PrometheusMetrics
from sre_mcp.config import ServerConfig
from sre_mcp.server import build_server
from tests.conftest import MINI

PROMETHEUS, PROMTOOL = shutil.which("prometheus"), shutil.which("promtool")
pytestmark = [pytest.mark.skipif(not (PROMETHEUS and PROMTOOL), reason="needs Debian's prometheus package"),
              pytest.mark.timeout(120)]

STEP = 15
# service: (requests per second, share of 5xx, cumulative share of requests per latency bucket)
BUCKETS = ["0.1", "0.5", "1", "2.5", "5", "+Inf"]
SERVICES = {
    "payment-gateway": (200, 0.15, [0.0, 0.4, 0.6, 0.8, 1.0, 1.0]),
    "auth-service": (640, 0.001, [0.9, 0.995, 1.0, 1.0, 1.0, 1.0]),
}
RULES = """groups:
  - name: sre
    interval: 1s
    rules:
      - alert: HighErrorRate
        expr: >
          sum by (service) (rate(http_requests_total{code=~"5.."}[5m]))
          / sum by (service) (rate(http_requests_total[5m])) > 0.05
        labels: {severity: critical}
        annotations: {summary: "5xx ratio above 5%"}
"""


def openmetrics(now: float) -> str:
    start = now - 30 * 60
    steps = int((now - start) // STEP)
    lines = ["# TYPE http_requests counter"]
    for svc, (rps, err, _) in SERVICES.items():
        for code, share in (("200", 1 - err), ("500", err)):
            for i in range(steps + 1):
                lines.append(f'http_requests_total{{service="{svc}",code="{code}"}} {rps * share * STEP * (i + 1):.3f} {start + i * STEP:.3f}')
    lines.append("# TYPE http_request_duration_seconds histogram")
    for svc, (rps, _, dist) in SERVICES.items():
        for le, share in zip(BUCKETS, dist):
            for i in range(steps + 1):
                lines.append(f'http_request_duration_seconds_bucket{{service="{svc}",le="{le}"}} {rps * share * STEP * (i + 1):.3f} {start + i * STEP:.3f}')
    return "\n".join([*lines, "# EOF"]) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    root = tmp_path_factory.mktemp("prometheus")
    (root / "metrics.om").write_text(openmetrics(time.time()))
    subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(root / "metrics.om"), str(root / "data")],
                   check=True, capture_output=True, timeout=60)
    (root / "rules.yml").write_text(RULES)
    (root / "prometheus.yml").write_text("global: {scrape_interval: 1h, evaluation_interval: 1s}\nrule_files: [rules.yml]\n")
    port = free_port()
    log = open(root / "prometheus.log", "w")
    proc = subprocess.Popen([PROMETHEUS, f"--config.file={root / 'prometheus.yml'}", f"--storage.tsdb.path={root / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                alerts = httpx.get(f"{url}/api/v1/alerts", timeout=1).json()["data"]["alerts"]
                if any(a["state"] == "firing" for a in alerts):
                    break
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("prometheus did not start or evaluate its rule:\n" + Path(root / "prometheus.log").read_text()[-2000:])
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_promql_from_a_real_prometheus_matches_the_generated_traffic(prometheus):
    m = PrometheusMetrics(prometheus)
    pg = m.service_metrics("payment-gateway")
    assert pg["error_rate"] == pytest.approx(0.15, abs=0.005)
    assert pg["rps"] == pytest.approx(200, rel=0.02)
    # 99th percentile inside the 2.5-5 s bucket, interpolated: 2.5 + (0.99 - 0.8) / 0.2 * 2.5 = 4.875 s
    assert pg["p99_ms"] == pytest.approx(4875, rel=0.02)
    auth = m.service_metrics("auth-service")
    assert auth["error_rate"] == pytest.approx(0.001, abs=0.0005) and auth["p99_ms"] < 500
    assert m.service_metrics("no-such-service") is None  # no series: no numbers, not zeros

    alerts = m.alerts("payment-gateway")
    assert [a["name"] for a in alerts] == ["HighErrorRate"] and alerts[0]["severity"] == "critical"
    assert m.alerts("auth-service") == []


async def test_health_tool_over_a_real_prometheus(prometheus, tmp_path):
    server, rt = build_server(ServerConfig(scenario=str(MINI), prometheus_url=prometheus, audit_log=tmp_path / "a.jsonl", rag=False))
    assert rt.metrics.kind == "prometheus"
    async with Client(server) as c:
        r = await c.call_tool("check_service_health", {"service_name": "payment-gateway"})
        h = r.structured_content
        assert not r.is_error and h["status"] == "critical", r.content[0].text
        assert h["error_rate"] == pytest.approx(0.15, abs=0.005)
        assert [a["name"] for a in h["alerts"]] == ["HighErrorRate"]
