"""What counts as a *new* error, and what a fault bound to one node leads to.

A search returns the newest lines first; when it holds more matches than rows, a chronic
error (a partner rate-limited for hours) looks as if it began with the incident. The
investigator must search for such a signature alone over the wide window before calling
it new, and a fault that only the pods on one node show must lead to what node
monitoring says about that node. Built from tool results, as the investigator sees them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sre_console.investigate.offline.analysis import Analyst, baseline_keyword
from sre_console.investigate.offline.evidence import Evidence
from sre_console.investigate.offline.planner import Planner
from sre_console.investigate.offline.steps import Procedure

NOW = datetime.now(timezone.utc)
ONSET = NOW - timedelta(minutes=30)
CHRONIC = "rate limit exceeded: client_id=partner-a route=/v1/search limit=50r/s -> 429"
FRESH = "GET /v1/orders 401 token validation failed: token is not valid yet"
SCHEMAS = {t: {"properties": {k: {} for k in ("service", "level", "keyword", "time_range", "limit", "service_name", "namespace")}}
           for t in ("search_logs", "check_service_health", "list_services", "list_pods", "get_events", "list_nodes")}


def _planner(ev: Evidence) -> Planner:
    return Planner(Procedure("investigate-service", {"service": "gateway"}, (), ()), ev, SCHEMAS)


def _ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _row(msg: str, at: datetime, host: str) -> dict:
    return {"timestamp": _ts(at), "service": "gateway", "level": "WARN", "host": host, "message": msg}


def _evidence(node_alert: bool = False) -> Evidence:
    ev = Evidence()
    alert = {"name": "GatewayErrors", "severity": "critical", "since": _ts(ONSET)}
    ev.add("check_service_health", {"service_name": "gateway"},
           {"service": "gateway", "namespace": "edge", "status": "critical", "error_rate": 0.3, "alerts": [alert]}, True)
    pods = [{"name": f"gateway-{i}", "app": "gateway", "namespace": "edge", "node": f"node-{i}", "healthy": True, "status": "Running"}
            for i in range(1, 4)]
    ev.add("list_pods", {"namespace": "edge"}, {"namespace": "edge", "pods": pods}, True)
    # The newest 40 of 400 matches: the chronic warning from every pod, the new one from gateway-3 only.
    rows = [_row(CHRONIC, NOW - timedelta(minutes=i), f"gateway-{1 + i % 3}") for i in range(1, 20)]
    rows += [_row(FRESH.replace("orders", f"orders{i % 2}"), NOW - timedelta(minutes=i, seconds=30), "gateway-3") for i in range(1, 12)]
    ev.add("search_logs", {"service": "gateway", "level": "WARN", "time_range": "6h", "limit": 40},
           {"rows": rows, "total_matches": 400, "returned": len(rows)}, True)
    ev.add("list_services", {}, {"services": [{"name": "gateway", "namespace": "edge"}, {"name": "node-monitor", "namespace": "infra"}]}, True)
    if node_alert:
        ev.add("check_service_health", {"service_name": "node-monitor"}, {
            "service": "node-monitor", "namespace": "infra", "status": "healthy", "alerts": [
                {"name": "NodeClockSkewDetected", "severity": "warning", "summary": "Clock at node-3 is out of sync by more than 0.05s.",
                 "since": _ts(ONSET - timedelta(minutes=5))},
                {"name": "NodeClockSkewDetected", "severity": "warning", "summary": "Clock at node-30 is out of sync.", "since": _ts(ONSET)},
            ]}, True)
    return ev


def test_an_error_seen_only_in_the_newest_page_is_not_yet_new():
    ev = _evidence()
    sigs = {s.sample: s for s in Analyst(ev, "gateway").signatures("gateway", ONSET)}
    chronic = sigs[CHRONIC]
    assert chronic.before == 0 and chronic.unsure, "a full page of recent lines says nothing of the hours before the onset"
    calls = _planner(ev).baseline_calls()
    keywords = [a["keyword"] for t, a in calls if t == "search_logs"]
    assert any(k in CHRONIC for k in keywords), calls
    assert all(a["time_range"] == "6h" and a["service"] == "gateway" for _, a in calls)


def test_the_baseline_search_turns_a_chronic_error_into_background():
    ev = _evidence()
    word = baseline_keyword(CHRONIC)
    assert word and word in CHRONIC and "429" not in word
    # The same warning, every few minutes for hours before the onset.
    older = [_row(CHRONIC, NOW - timedelta(minutes=m), "gateway-1") for m in range(20, 360, 3)]
    ev.add("search_logs", {"service": "gateway", "keyword": word, "time_range": "6h", "limit": 200},
           {"rows": older[:200], "total_matches": len(older), "returned": min(200, len(older))}, True)
    analyst = Analyst(ev, "gateway")
    sigs = {s.sample: s for s in analyst.signatures("gateway", ONSET)}
    assert sigs[CHRONIC].before > 0 and not sigs[CHRONIC].unsure and not sigs[CHRONIC].spiking
    dominant = analyst.dominant_new("gateway", ONSET)
    assert dominant and "token validation failed" in dominant[0].sample
    assert _planner(ev).baseline_calls() == [] or all(
        a.get("keyword") != word for _, a in _planner(ev).baseline_calls())


def test_a_fault_on_one_node_reports_what_node_monitoring_says_about_it():
    ev = _evidence(node_alert=True)
    word = baseline_keyword(CHRONIC)
    older = [_row(CHRONIC, NOW - timedelta(minutes=m), "gateway-1") for m in range(20, 360, 3)]
    ev.add("search_logs", {"service": "gateway", "keyword": word, "time_range": "6h", "limit": 200},
           {"rows": older, "total_matches": len(older), "returned": len(older)}, True)
    analyst = Analyst(ev, "gateway")
    c = analyst.component("gateway", "service", "edge", ONSET)
    assert c.node_bound == "node-3", "the new errors come only from the pod on node-3"
    assert any("NodeClockSkewDetected" in r and "node-3" in r for r in c.node_reports)
    assert not any("node-30" in r for r in c.node_reports), "a node name is matched as a whole word"


def test_a_chronic_error_from_every_pod_does_not_hide_the_node():
    ev = _evidence()
    analyst = Analyst(ev, "gateway")
    pods = list(ev.pods["edge"].values())
    # Every error line: all three pods, so no single node. The new ones: only gateway-3's node.
    assert analyst.node_bound("gateway", pods) is None
    fresh = [s for s in analyst.signatures("gateway", ONSET) if "token validation" in s.sample]
    assert analyst.node_bound("gateway", pods, fresh) == "node-3"


def test_a_node_that_stopped_reporting_is_the_cause_for_the_pods_on_it():
    from sre_console.investigate.offline.rules import diagnose

    ev = Evidence()
    pods = [{"name": "api-1", "app": "api", "namespace": "shop", "node": "n-2", "healthy": False, "status": "Terminating"},
            {"name": "api-2", "app": "api", "namespace": "shop", "node": "", "healthy": False, "status": "Pending"},
            {"name": "api-3", "app": "api", "namespace": "shop", "node": "n-1", "healthy": True, "status": "Running"}]
    ev.add("list_pods", {"namespace": "shop"}, {"namespace": "shop", "pods": pods}, True)
    ev.add("list_nodes", {}, {"nodes": [
        {"name": "n-1", "ready": True, "problems": []},
        {"name": "n-2", "ready": False, "problems": ["Unknown: NodeStatusUnknown Kubelet stopped posting node status."]}]}, True)
    ev.add("get_events", {"namespace": "shop"}, {"namespace": "shop", "events": [
        {"type": "Warning", "reason": "NodeNotReady", "object": "pod/api-1", "message": "Node is not ready", "count": 1}]}, True)
    # The service's own timeouts are as many, but they are the symptom.
    rows = [{"timestamp": _ts(NOW - timedelta(minutes=i)), "service": "api", "level": "ERROR", "host": "api-3",
             "message": "request timed out after 10s"} for i in range(8)]
    ev.add("search_logs", {"service": "api", "level": "ERROR"}, {"rows": rows, "total_matches": 8, "returned": 8}, True)
    d = diagnose(ev.observations(), {}, ev.unhealthy_services(), focus="api")
    assert d.category is not None and d.category.name == "node-failure", d.scores
    assert d.culprit == "api"
    assert any("n-2" in o.text and o.source == "list_nodes" for o in d.evidence)
    # A pod that is merely not ready is not a node failure.
    ev2 = Evidence()
    ev2.add("list_pods", {"namespace": "shop"}, {"namespace": "shop", "pods": [{**pods[2], "healthy": False, "status": "NotReady"}]}, True)
    d2 = diagnose(ev2.observations(), {}, ev2.unhealthy_services(), focus="api")
    assert d2.category is None or d2.category.name != "node-failure"


def _health(ev: Evidence, service: str, ns: str, **extra) -> None:
    ev.add("check_service_health", {"service_name": service}, {"service": service, "namespace": ns, "status": "critical", **extra}, True)


def test_a_client_library_error_names_its_dependency_by_technology():
    ev = Evidence()
    ev.add("list_services", {}, {"services": [{"name": "notifier", "namespace": "s"}, {"name": "kafka-broker", "namespace": "s",
                                                                                        "deployment": "kafka"}]}, True)
    pods = [{"name": f"kafka-{i}", "app": "kafka", "namespace": "s", "node": "n", "healthy": True} for i in range(3)]
    ev.add("list_pods", {"namespace": "s"}, {"namespace": "s", "pods": pods}, True)
    analyst = Analyst(ev, "notifier")
    sig = analyst.signatures("notifier", None)  # none yet: build one by hand below
    assert sig == []
    from sre_console.investigate.offline.analysis import Signature

    s = Signature("notifier", "x", "audit write failed: org.apache.kafka.common.errors.TimeoutException: Expiring 1 record(s) for "
                  "audit-log-3:120001 ms has passed since batch creation", "search_logs", count=9)
    named = analyst.named_components([s], exclude={"notifier"})
    assert named and named[0][0] == "kafka-broker", named  # the broker, not the topic partition
    # The service's pods carry its workload's name (StatefulSet kafka), not the service's.
    assert [p["name"] for p in ev.service_pods("kafka-broker")] == ["kafka-0", "kafka-1", "kafka-2"]
    assert ev.pod_service("kafka-2") == "kafka-broker"


def test_a_full_volume_outweighs_the_timeouts_it_causes():
    from sre_console.investigate.offline.rules import diagnose

    ev = Evidence()
    ev.add("list_services", {}, {"services": [{"name": "db", "namespace": "d"}]}, True)
    ev.add("list_pods", {"namespace": "d"}, {"namespace": "d", "pods": [{"name": "db-0", "app": "db", "namespace": "d", "healthy": True}]}, True)
    ev.add("get_pod_logs", {"namespace": "d", "pod_name": "db-0"}, {"pod": "db-0", "lines": [
        "2026-12-02T08:00:00Z ERROR could not write block 8812 of temporary file: No space left on device"]}, True)
    ev.add("list_volumes", {"namespace": "d"}, {"namespace": "d", "volumes": [
        {"name": "data-db-0", "namespace": "d", "used_pct": 100, "used": "50Gi", "capacity": "50Gi", "mounted_by": ["db-0"], "phase": "Bound"}]}, True)
    rows = [{"timestamp": _ts(NOW - timedelta(minutes=i)), "service": "db", "level": "WARN", "host": "db-0",
             "message": "query timed out after 5s"} for i in range(6)]
    ev.add("search_logs", {"service": "db"}, {"rows": rows, "total_matches": 6, "returned": 6}, True)
    d = diagnose(ev.observations(), {}, ev.unhealthy_services(), focus="db")
    assert d.category is not None and d.category.name == "disk-full", d.scores
    assert any(o.source == "list_volumes" and "100% full" in o.text for o in d.evidence)
    c = Analyst(ev, "db").component("db", "service", "d", None)
    assert c.own and c.own[0].startswith("volume data-db-0 is 100% full")


def test_a_blind_autoscaler_is_blamed_on_the_paged_service_and_points_at_the_metrics_server():
    from sre_console.investigate.offline.rules import diagnose

    ev = Evidence()
    ev.add("list_services", {}, {"services": [{"name": "search", "namespace": "q"}, {"name": "suggest", "namespace": "q"},
                                              {"name": "metrics-server", "namespace": "kube-system"}]}, True)
    blind = "scaling inactive: FailedGetResourceMetric the HPA was unable to compute the replica count: no metrics returned"
    ev.add("list_hpas", {"namespace": "q"}, {"namespace": "q", "hpas": [
        {"name": "search", "target": "Deployment/search", "current": 3, "min": 3, "max": 12, "problems": [blind]},
        {"name": "suggest", "target": "Deployment/suggest", "current": 2, "min": 2, "max": 6, "problems": [blind]}]}, True)
    ev.add("get_events", {"namespace": "q"}, {"namespace": "q", "events": [
        {"type": "Warning", "reason": "FailedGetResourceMetric", "object": "horizontalpodautoscaler/suggest", "count": 6,
         "message": "failed to get cpu utilization: unable to get metrics for resource cpu"}]}, True)
    d = diagnose(ev.observations(), {}, ev.unhealthy_services(), focus="search", known_services={"search", "suggest", "metrics-server"})
    assert d.category is not None and d.category.name == "autoscaler-blind", d.scores
    assert d.culprit == "search", "every HPA is blind at once: the paged service is the one explained"
    assert d.upstream == "metrics-server"


def test_a_fault_that_stopped_on_a_service_healthy_now_is_past_not_ongoing():
    def evidence(last_minutes_ago: int) -> Evidence:
        ev = Evidence()
        ev.add("check_service_health", {"service_name": "api"}, {"service": "api", "namespace": "n", "status": "healthy",
                                                                 "error_rate": 0.004, "alerts": []}, True)
        ev.add("list_pods", {"namespace": "n"}, {"namespace": "n", "pods": [{"name": "api-1", "app": "api", "healthy": True}]}, True)
        rows = [{"timestamp": _ts(NOW - timedelta(minutes=m)), "service": "api", "level": "ERROR", "host": "api-1",
                 "message": "POST /v1/pay 500: IllegalStateException: tax quote missing"} for m in range(last_minutes_ago, last_minutes_ago + 6)]
        ev.add("search_logs", {"service": "api", "level": "ERROR", "time_range": "6h"}, {"rows": rows, "total_matches": 6, "returned": 6}, True)
        return ev

    over = Analyst(evidence(40), "api").resolved("api")
    assert over and "tax quote missing" in over[0].sample
    assert Analyst(evidence(2), "api").resolved("api") is None, "errors two minutes ago: still ongoing"


def test_a_missing_environment_variable_is_a_configuration_error():
    from sre_console.investigate.offline.rules import diagnose

    ev = Evidence()
    ev.add("list_pods", {"namespace": "n"}, {"namespace": "n", "pods": [
        {"name": "w-1", "app": "w", "healthy": False, "status": "CrashLoopBackOff", "restarts": 6}]}, True)
    ev.add("get_pod_logs", {"namespace": "n", "pod_name": "w-1"}, {"pod": "w-1", "lines": [
        "panic: required environment variable LEDGER_URL is not set"]}, True)
    d = diagnose(ev.observations(), {}, ev.unhealthy_services(), focus="w")
    assert d.category is not None and d.category.name == "config-error", d.scores
