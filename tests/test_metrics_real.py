"""query_metrics / query_metrics_range and health trends against a real Prometheus.

Two hours of data are backfilled with `promtool tsdb create-blocks-from openmetrics`
(Debian's prometheus package, installed by `./dev test`): payment-gateway's 5xx share
steps from 0.2% to 15% twelve minutes ago, a working-set gauge for its pods, and 35
shard gauges to overflow the series cap. The tools must find that step through
Prometheus' own PromQL evaluation, and echo Prometheus' error for bad PromQL.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from mcp import Client

from sre_mcp.config import ServerConfig
from sre_mcp.server import build_server
from sre_mcp.timeutil import parse_iso
from tests.conftest import MINI
from tests.test_prometheus_real import free_port

PROMETHEUS, PROMTOOL = shutil.which("prometheus"), shutil.which("promtool")
pytestmark = [pytest.mark.skipif(not (PROMETHEUS and PROMTOOL), reason="needs Debian's prometheus package"),
              pytest.mark.timeout(180)]

STEP = 15
SPAN = 2 * 3600
STEP_AT = 12 * 60   # seconds before now when the error share steps up
RPS = 200.0


def openmetrics(now: float) -> str:
    start = now - SPAN
    n = SPAN // STEP
    ok, bad = 0.0, 0.0
    lines = ["# TYPE http_requests counter"]
    rows_ok, rows_bad = [], []
    for i in range(n + 1):
        t = start + i * STEP
        share = 0.15 if t >= now - STEP_AT else 0.002
        ok += RPS * (1 - share) * STEP
        bad += RPS * share * STEP
        rows_ok.append(f'http_requests_total{{service="payment-gateway",code="200"}} {ok:.3f} {t:.3f}')
        rows_bad.append(f'http_requests_total{{service="payment-gateway",code="500"}} {bad:.3f} {t:.3f}')
    lines += rows_ok + rows_bad
    lines.append("# TYPE container_memory_working_set_bytes gauge")
    # cAdvisor's label names; pods named <deployment>-<hash>-<id> as a Deployment names them.
    for pod in ("payment-gateway-7d9f8-abc12", "payment-gateway-7d9f8-def34", "payment-gw-canary-x1"):
        for i in range(n + 1):
            t = start + i * STEP
            value = 300 * 2**20 + (200 * 2**20 if t >= now - 30 * 60 else 0)
            lines.append(f'container_memory_working_set_bytes{{pod="{pod}",container="payment-svc"}} {value} {t:.3f}')
    lines.append("# TYPE shard_lag gauge")
    for shard in range(35):
        for i in range(0, n + 1, 4):
            lines.append(f'shard_lag{{shard="{shard}"}} {shard * 10} {start + i * STEP:.3f}')
    return "\n".join([*lines, "# EOF"]) + "\n"


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    root = tmp_path_factory.mktemp("prometheus-range")
    now = time.time()
    (root / "metrics.om").write_text(openmetrics(now))
    subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(root / "metrics.om"), str(root / "data")],
                   check=True, capture_output=True, timeout=120)
    (root / "prometheus.yml").write_text("global: {scrape_interval: 1h}\n")
    port = free_port()
    log = open(root / "prometheus.log", "w")
    proc = subprocess.Popen([PROMETHEUS, f"--config.file={root / 'prometheus.yml'}", f"--storage.tsdb.path={root / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"{url}/api/v1/query", params={"query": "count(shard_lag)"}, timeout=1).json()
                if r["data"]["result"] and r["data"]["result"][0]["value"][1] == "35":
                    break
            except (httpx.HTTPError, KeyError, ValueError, IndexError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("prometheus did not start or load its blocks:\n" + Path(root / "prometheus.log").read_text()[-2000:])
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _server(url: str, tmp_path: Path):
    return build_server(ServerConfig(scenario=str(MINI), prometheus_url=url, audit_log=tmp_path / "a.jsonl", rag=False))


ERROR_SHARE = ('sum(rate(http_requests_total{service="payment-gateway",code=~"5.."}[1m]))'
               ' / sum(rate(http_requests_total{service="payment-gateway"}[1m]))')


async def test_range_query_finds_the_step_through_real_promql(prometheus, tmp_path):
    server, rt = _server(prometheus, tmp_path)
    assert rt.metrics.kind == "prometheus"
    async with Client(server) as c:
        r = await c.call_tool("query_metrics_range", {"query": ERROR_SHARE, "duration": "1h", "unit": "ratio"})
        assert not r.is_error, r.content[0].text
        out = r.structured_content
        (s,) = out["series"]
        assert out["source"] == "prometheus" and out["step"] == "15s" and 230 <= s["samples"] <= 241
        assert s["min"] == pytest.approx(0.002, rel=0.05) and s["last"] == pytest.approx(0.15, rel=0.02)
        change = s["change"]
        assert change["direction"] == "rose"
        assert change["before"] == pytest.approx(0.002, rel=0.05) and change["after"] == pytest.approx(0.15, rel=0.05)
        ago = datetime.now(timezone.utc) - parse_iso(change["at"])
        assert timedelta(minutes=11) <= ago <= timedelta(minutes=14), change
        assert s["summary"].startswith("rose from 0.20% to 15.0% at ")
        assert "values" not in s  # raw points only when asked

        r = await c.call_tool("query_metrics_range", {"query": ERROR_SHARE, "duration": "30m", "step": "1m", "points": True})
        (s,) = r.structured_content["series"]
        assert len(s["values"]) == s["samples"] == 31
        assert all(b[0] - a[0] == 60 for a, b in zip(s["values"], s["values"][1:]))

        r = await c.call_tool("query_metrics", {"query": ERROR_SHARE})
        assert not r.is_error and r.structured_content["series"][0]["value"] == pytest.approx(0.15, rel=0.02)
        r = await c.call_tool("query_metrics", {"query": ERROR_SHARE, "time": "-30m"})
        assert r.structured_content["series"][0]["value"] == pytest.approx(0.002, rel=0.05)


async def test_health_trends_and_onset_from_a_real_prometheus(prometheus, tmp_path):
    server, _ = _server(prometheus, tmp_path)
    async with Client(server) as c:
        r = await c.call_tool("check_service_health", {"service_name": "payment-gateway"})
    h = r.structured_content
    assert not r.is_error, r.content[0].text
    assert h["trends"]["error_rate"]["change"]["direction"] == "rose"
    assert h["onset"]["metric"] == "error_rate"
    ago = datetime.now(timezone.utc) - parse_iso(h["onset"]["at"])
    assert timedelta(minutes=11) <= ago <= timedelta(minutes=17), h["onset"]  # rate[5m] spreads the step
    # The pods' working set, summed (the canary's pod name is another service's): 600Mi → 1000Mi 30m ago.
    memory = h["trends"]["memory"]
    assert memory["change"]["direction"] == "rose" and memory["last"] == 1000 * 2**20
    assert memory["summary"].startswith("rose from 600Mi to 1000Mi")


async def test_bad_promql_and_bounds_are_clear_errors(prometheus, tmp_path):
    server, _ = _server(prometheus, tmp_path)
    async with Client(server) as c:
        r = await c.call_tool("query_metrics", {"query": "sum(rate(http_requests_total[5m]"})
        text = r.content[0].text
        assert r.is_error and "bad_data" in text and "parse error" in text
        assert "sum(rate(http_requests_total[5m]" in text  # the query echoed
        r = await c.call_tool("query_metrics_range", {"query": "shard_lag", "duration": "8d"})
        assert r.is_error and "maximum of 7d" in r.content[0].text
        r = await c.call_tool("query_metrics_range", {"query": "shard_lag", "duration": "1d", "step": "15s"})
        assert r.is_error and "at least 79s" in r.content[0].text
        r = await c.call_tool("query_metrics", {"query": "up", "time": "yesterday"})
        assert r.is_error and "invalid time" in r.content[0].text

        r = await c.call_tool("query_metrics_range", {"query": "shard_lag", "duration": "1h"})
        out = r.structured_content
        assert out["series_total"] == 35 and len(out["series"]) == 30 and "35 series matched" in out["note"]
        assert out["series"][0]["labels"]["shard"] == "34"  # largest first when nothing changed
        r = await c.call_tool("query_metrics", {"query": 'shard_lag{shard="7"}'})
        assert r.structured_content["series"][0]["value"] == 70
        r = await c.call_tool("query_metrics", {"query": "no_such_metric"})
        assert not r.is_error and r.structured_content["series_total"] == 0 and "no series matched" in r.structured_content["note"]
