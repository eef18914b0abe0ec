"""The scenario fields real incidents need: metric series with an onset, config-only
revisions with their diff, info alerts, sidecar logs, events of a replaced pod.

Each is written into a copy of the mini scenario and read back through the MCP tools,
so the test covers the loader, the fixture backends and the tool code together.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from mcp import Client

from sre_mcp.config import ServerConfig
from sre_mcp.scenarios.loader import ScenarioError, list_shipped, load_scenario
from sre_mcp.series import Piecewise, change_point, summarize
from sre_mcp.server import build_server
from sre_mcp.timeutil import parse_iso
from tests.conftest import MINI

METRICS = """\
payment-gateway:
  p99_ms: 4500
  jitter: 0.04
  series:
    error_rate: [[-3h, 0.002], [-14m, 0.002], [-12m, 0.15], [now, 0.153]]
    p99_ms: {points: [[-3h, 250], [-15m, 260], [-13m, 4500]], jitter: 0}
    rps: [[-3h, 212]]
    memory: [[-3h, 300Mi], [-20m, 500Mi]]
    kafka_consumer_lag: [[-3h, 10], [-30m, 10], [-10m, 9000]]
  alerts:
    - {name: HighErr, severity: critical, summary: err, since: -10m}
    - {name: CampaignTraffic, severity: info, summary: "campaign sent", since: -40m}
"""

DEPLOYS = """\
- service: payment-gateway
  version: v2.3.1 (config)
  image: visa/payment-gw:v2.3.1
  at: -40m
  revision: 15
  change: lower the pool
  diff:
    env: {DB_POOL_MAX: ["50", "10"], NEW_FLAG: [null, "on"]}
    resources: {limits.memory: [512Mi, 1Gi]}
- service: payment-gateway
  at: -20m
  change: Corefile edit
  kind: configmap
  diff:
    configmaps: {payment-config: {timeout: [5s, 500ms]}}
- service: payment-gateway
  version: v2.3.1
  image: visa/payment-gw:v2.3.1
  at: -3h
  revision: 14
  change: new release
"""


@pytest.fixture
def incident(tmp_path: Path) -> Path:
    folder = tmp_path / "incident"
    shutil.copytree(MINI, folder)
    (folder / "metrics.yaml").write_text(METRICS)
    (folder / "deploys.yaml").write_text(DEPLOYS)
    pods = (folder / "pods.yaml").read_text()
    pods = pods.replace(
        "      liveness: {http: /healthz, port: 8080}\n",
        "      liveness: {http: /healthz, port: 8080}\n"
        "    - name: envoy\n      image: envoyproxy/envoy:v1.29\n",
    )
    (folder / "pods.yaml").write_text(pods)
    (folder / "pod_logs" / "payment-gw-def34.envoy.log").write_text(
        "{T-2m} upstream connect error or disconnect/reset before headers. reset reason: overflow\n"
    )
    (folder / "pod_logs" / "payment-gw-def34.envoy.previous.log").write_text("{T-9m} envoy starting\n")
    (folder / "events.yaml").write_text(
        (folder / "events.yaml").read_text()
        + "- {namespace: payments, type: Warning, reason: OOMKilled, object: pod/payment-gw-old99, "
        "message: Container payment-svc exceeded memory limit, at: -50m}\n"
    )
    return folder


async def _call(c: Client, name: str, args: dict) -> tuple[bool, dict, str]:
    r = await c.call_tool(name, args)
    return r.is_error, (r.structured_content or {}), r.content[0].text if r.content else ""


def _server(folder: Path, tmp_path: Path):
    return build_server(ServerConfig(scenario=str(folder), audit_log=tmp_path / "audit.jsonl", rag=False))


async def test_health_reports_the_onset_from_the_series(incident, tmp_path):
    server, _ = _server(incident, tmp_path)
    async with Client(server) as c:
        err, h, text = await _call(c, "check_service_health", {"service_name": "payment-gateway"})
    assert not err, text
    # The single values come from the series' last points where the scenario gives none.
    assert h["error_rate"] == pytest.approx(0.153) and h["rps"] == pytest.approx(212)
    er = h["trends"]["error_rate"]
    assert er["change"]["direction"] == "rose"
    assert er["change"]["before"] == pytest.approx(0.002, rel=0.1) and er["change"]["after"] > 0.14
    assert re.fullmatch(r"rose from 0\.20% to 1[45]\.\d% at \d\d:\d\d UTC \(1[23]m ago\); now 15\.3%", er["summary"]), er["summary"]
    # p99 rose first (13m ago, no jitter): that is the onset.
    assert h["onset"]["metric"] == "p99_ms"
    onset_ago = datetime.now(timezone.utc) - parse_iso(h["onset"]["at"])
    assert timedelta(minutes=12) <= onset_ago <= timedelta(minutes=15), h["onset"]
    assert h["trends"]["rps"]["change"] is None and h["trends"]["rps"]["summary"].startswith("steady")
    assert h["trends"]["memory"]["trend"] == "rising" and "climbed steadily from" in h["trends"]["memory"]["summary"]
    assert "kafka_consumer_lag" in h["trends"]
    # The info alert is listed but is no reason for the verdict.
    assert {a["name"] for a in h["alerts"]} == {"HighErr", "CampaignTraffic"}
    assert not any("CampaignTraffic" in r for r in h["reasons"])
    assert any("HighErr" in r for r in h["reasons"])


async def test_info_alert_alone_does_not_degrade(incident, tmp_path):
    (incident / "metrics.yaml").write_text(
        "payment-gateway: {error_rate: 0.001, p99_ms: 40, rps: 10, alerts: [{name: Campaign, severity: info, summary: s, since: -5m}]}\n"
    )
    (incident / "deployments.yaml").write_text("- {name: payment-gateway, namespace: payments, replicas: 2, ready: 2}\n")
    (incident / "pods.yaml").write_text(
        "- {name: payment-gw-abc12, namespace: payments, service: payment-gateway, node: w1, containers: [{name: payment-svc}, {name: envoy}]}\n"
        "- {name: payment-gw-def34, namespace: payments, service: payment-gateway, node: w1, containers: [{name: payment-svc}, {name: envoy}]}\n"
    )
    server, _ = _server(incident, tmp_path)
    async with Client(server) as c:
        err, h, text = await _call(c, "check_service_health", {"service_name": "payment-gateway"})
    assert not err, text
    assert h["status"] == "healthy" and h["alerts"][0]["severity"] == "info"
    assert h["trends"] == {} and h["onset"] is None  # no series in this scenario: nothing invented


async def test_config_only_revisions_show_their_diff(incident, tmp_path):
    server, _ = _server(incident, tmp_path)
    async with Client(server) as c:
        err, d, text = await _call(c, "get_recent_deploys", {"service_name": "payment-gateway", "hours_back": 24})
    assert not err, text
    cm, config, image = d["deploys"]
    assert (image["kind"], image["config_only"]) == ("image", False) and "changes" not in image
    assert (config["kind"], config["config_only"]) == ("config", True)
    assert config["changes"] == ["env DB_POOL_MAX: 50 → 10", "env NEW_FLAG: added = on", "resources limits.memory: 512Mi → 1Gi"]
    assert (cm["kind"], cm["config_only"]) == ("configmap", True)
    assert cm["changes"] == ["configmap payment-config timeout: 5s → 500ms"]
    assert "rollout undo does not revert" in cm["rollback_note"]


async def test_sidecar_logs_and_events_of_a_replaced_pod(incident, tmp_path):
    server, _ = _server(incident, tmp_path)
    async with Client(server) as c:
        err, main, text = await _call(c, "get_pod_logs", {"namespace": "payments", "pod_name": "payment-gw-def34"})
        assert not err and main["container"] == "payment-svc" and main["lines"], text
        err, side, text = await _call(c, "get_pod_logs", {"namespace": "payments", "pod_name": "payment-gw-def34", "container": "envoy"})
        assert not err, text
        assert side["container"] == "envoy" and "reset reason: overflow" in side["lines"][0]
        assert not any("overflow" in line for line in main["lines"])
        err, prev, text = await _call(c, "get_pod_logs", {"namespace": "payments", "pod_name": "payment-gw-def34", "container": "envoy", "previous": True})
        assert not err and prev["lines"][0].endswith("envoy starting"), text
        err, ev, text = await _call(c, "get_events", {"namespace": "payments"})
        assert not err, text
        assert any(e["object"].endswith("payment-gw-old99") for e in ev["events"]), ev["events"]
        # The replaced pod itself is gone: describe says so, with the pods that exist.
        err, _, text = await _call(c, "describe_pod", {"namespace": "payments", "pod_name": "payment-gw-old99"})
        assert err and "payment-gw-def34" in text


@pytest.mark.parametrize(
    "metrics, message",
    [
        ("payment-gateway: {series: {error_rate: [[-1h, 0.1], [-2h, 0.2]]}}", "time order"),
        ("payment-gateway: {series: {error_rate: [[-1h]]}}", "a point is [time, value]"),
        ("payment-gateway: {series: {error_rate: [[yesterday, 0.1]]}}", "invalid relative time"),
        ("payment-gateway: {series: {memory: [[-1h, lots]]}}", "not a number or a quantity"),
        ("payment-gateway: {series: {Error-Rate: [[-1h, 0.1]]}}", "not a metric name"),
        ("payment-gateway: {error_rate: 0.5, series: {error_rate: [[-1h, 0.1]]}}", "make them agree"),
        ("payment-gateway: {alerts: [{name: X, severity: page}]}", "severity must be one of"),
    ],
)
def test_bad_series_are_refused_with_the_place(incident, metrics, message):
    (incident / "metrics.yaml").write_text(metrics + "\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(incident)
    assert message in str(exc.value) and "metrics.yaml payment-gateway" in str(exc.value)


def test_bad_sidecar_log_and_diff_are_refused(incident):
    (incident / "pod_logs" / "payment-gw-def34.istio-proxy.log").write_text("x\n")
    with pytest.raises(ScenarioError, match="has no container 'istio-proxy'"):
        load_scenario(incident)
    (incident / "pod_logs" / "payment-gw-def34.istio-proxy.log").unlink()
    (incident / "deploys.yaml").write_text("- {service: payment-gateway, at: -1h, diff: {env: {A: one}}}\n")
    with pytest.raises(ScenarioError, match=r"deploys.yaml\[0\].diff: env.A: a change is \[old, new\]"):
        load_scenario(incident)


def test_change_point_finds_steps_and_ramps_and_ignores_noise():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)

    def at(m: int) -> datetime:
        return now - timedelta(minutes=m)

    step = Piecewise(((at(180), 0.002), (at(13), 0.002), (at(12), 0.15)), jitter=0.05, seed="s")
    pts = step.sample(at(180), now, 60)
    cp = change_point(pts)
    assert cp and cp["direction"] == "rose" and pts[cp["index"]][0] == at(12).timestamp()
    ramp = Piecewise(((at(180), 100), (at(60), 100), (at(30), 400)), seed="r")
    cp = change_point(ramp.sample(at(180), now, 60))
    assert cp and at(60) <= datetime.fromtimestamp(cp["at"], timezone.utc) <= at(52)  # the ramp's start, not its middle
    noise = Piecewise(((at(180), 50), (now, 50)), jitter=0.1, seed="n")
    assert change_point(noise.sample(at(180), now, 60)) is None
    s = summarize("p99_ms", Piecewise(((at(60), 200), (at(20), 200), (at(19), 3000)), seed="x").sample(at(60), now, 60), now)
    assert s["summary"] == "rose from 200 ms to 3000 ms at 11:41 UTC (19m ago); now 3000 ms"
    assert (s["min"], s["max"], s["last"]) == (200, 3000, 3000)


def _ours() -> list[str]:
    """Scenarios written beside the code (blind ones are their writers' data, never edited to pass)."""
    return [n for n in list_shipped() if (load_scenario(n).answer or {}).get("written") != "blind"]


@pytest.mark.parametrize("name", _ours())
def test_shipped_series_agree_with_their_alerts(name):
    """Every paging (critical) alert of a service with error/p99 series fires after the onset the series show."""
    sc = load_scenario(name)
    now = sc.loaded_at
    assert sc.series, "every scenario of ours carries series"
    for svc, series in sc.series.items():
        for metric, s in series.items():
            assert s.points[0][0] <= now - timedelta(hours=1), f"{svc}.{metric} must cover at least the last hour"
        onsets = []
        for metric in ("error_rate", "p99_ms"):
            if metric in series:
                cp = change_point(series[metric].sample(now - timedelta(hours=3), now, 60))
                if cp and cp["direction"] == "rose":
                    onsets.append(datetime.fromtimestamp(cp["at"], timezone.utc))
        for alert in sc.metrics[svc]["alerts"]:
            if alert["severity"] == "critical" and onsets and any(k in alert["name"] for k in ("Error", "Latency", "5xx")):
                assert min(onsets) <= parse_iso(alert["since"]) + timedelta(minutes=1), (svc, alert["name"])
