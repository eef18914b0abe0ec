"""The cluster tools beyond pods (workloads, rollout history, nodes, services, volumes,
config, HPAs, object YAML) and list_pods' selector, node and paging: each answers the
same through the fixture cluster and through the official `kubernetes` client against
the API stand-in (tests/fake_k8s.py), and finds what an on-call looks for."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from mcp import Client

from sre_mcp.backends import kube
from sre_mcp.config import ServerConfig
from sre_mcp.server import build_server
from tests.fake_k8s import ClusterData, FakeKubeAPI, write_kubeconfig

NS = "shop"


def _pod(name: str, app: str, node: str, ready: bool = True, **kw) -> dict:
    c = {"name": app, "image": f"acme/{app}:v1", "ready": ready,
         "resources": {"requests": {"cpu": kw.pop("cpu", "500m"), "memory": kw.pop("memory", "1Gi")}}}
    if not ready:
        c["state"] = {"running": {"started": "-5m"}}
    return {"name": name, "namespace": NS, "service": app, "node": node, "created": "-2d", "containers": [c], **kw}


PODS = [
    _pod("orders-db-0", "orders-db", "w1"),
    _pod("orders-db-1", "orders-db", "w2", ready=False),
    _pod("web-aaaaa", "web", "w1"),
    _pod("web-bbbbb", "web", "w2"),
    _pod("api-ccccc", "api", "w1", ready=False),
    _pod("api-ddddd", "api", "w2", ready=False),
    _pod("payments-eeeee", "payments-v2", "w3"),  # relabelled: the Service still selects app=payments
]
NODES = [
    {"name": "w1", "roles": ["worker"], "allocatable": {"cpu": "2", "memory": "4Gi"}},
    {"name": "w2", "roles": ["worker"], "pressure": ["MemoryPressure"], "messages": {"MemoryPressure": "kubelet has insufficient memory available"}},
    {"name": "w3", "roles": ["worker"], "ready": False, "message": "container runtime is down", "cordoned": True},
]
DEPLOYMENTS = [
    {"name": "web", "namespace": NS, "replicas": 2, "image": "acme/web:v1", "revision": 3, "created": "-40d"},
    {"name": "api", "namespace": NS, "replicas": 2, "ready": 0, "updated": 1, "image": "acme/api:v2", "revision": 5,
     "stalled": 'ReplicaSet "api-7f9" has timed out progressing.', "configmaps": ["api-flags"]},  # api-flags does not exist
    {"name": "payments", "namespace": NS, "replicas": 1, "image": "acme/payments:v4", "revision": 1},
]
DEPLOYS = [
    {"service": "web", "revision": 1, "image": "acme/web:v0.9", "at": "-10d", "change": "first"},
    {"service": "web", "revision": 2, "image": "acme/web:v1", "at": "-3d", "change": "v1",
     "diff": {"image": ["acme/web:v0.9", "acme/web:v1"]}},
    {"service": "web", "revision": 3, "image": "acme/web:v1", "at": "-40m", "change": "pool size 50 -> 5",
     "diff": {"env": {"DB_POOL_MAX": ["50", "5"]}}},
]
WORKLOADS = [
    # Mid-rollout: one of two pods runs revision 3, the other still revision 2.
    {"kind": "StatefulSet", "name": "orders-db", "namespace": NS, "replicas": 2, "ready": 1, "updated": 1, "image": "postgres:15",
     "volume_claims": ["data"], "env": {"PGDATA": "/data"},
     "revisions": [
         {"revision": 1, "image": "postgres:14", "at": "-20d", "change": "initial"},
         {"revision": 2, "image": "postgres:15", "at": "-5d", "change": "postgres 15", "diff": {"image": ["postgres:14", "postgres:15"]}},
         {"revision": 3, "at": "-2h", "change": "max_connections 100 -> 300", "diff": {"env": {"PG_MAX_CONNECTIONS": ["100", "300"]}}},
     ]},
    {"kind": "DaemonSet", "name": "log-agent", "namespace": NS, "desired": 3, "ready": 3, "image": "acme/agent:1",
     "revisions": [
         {"revision": 1, "image": "acme/agent:0.9", "at": "-30d"},
         {"revision": 2, "image": "acme/agent:1", "at": "-7d", "diff": {"image": ["acme/agent:0.9", "acme/agent:1"]}},
         {"revision": 3, "at": "-1h", "change": "ship to the new sink", "diff": {"configmaps": {"log-agent-config": {"outputs": ["old", "new"]}}}},
         {"revision": 4, "at": "-10m", "diff": {"resources": {"limits.memory": ["256Mi", "512Mi"]}}},
     ]},
    {"kind": "Job", "name": "migrate-42", "namespace": NS, "failed": 7, "backoff_limit": 6, "started": "-1h",
     "failed_reason": "BackoffLimitExceeded", "failed_message": "Job has reached the specified backoff limit"},
    {"kind": "CronJob", "name": "nightly-report", "namespace": NS, "schedule": "0 2 * * *", "last_schedule": "-5h", "last_successful": "-29h"},
    {"kind": "Job", "name": "nightly-report-2901", "namespace": NS, "cronjob": "nightly-report", "failed": 3, "backoff_limit": 2,
     "started": "-5h", "failed_reason": "BackoffLimitExceeded"},
]
SERVICES = [
    {"name": "web", "namespace": NS, "ports": [80], "selector": {"app": "web"}},
    {"name": "api", "namespace": NS, "ports": [8080], "selector": {"app": "api"}},
    {"name": "payments", "namespace": NS, "ports": [443], "selector": {"app": "payments"}},
    {"name": "edge", "namespace": NS, "type": "LoadBalancer", "ports": [443], "selector": {"app": "web"}},
]
PVCS = [
    {"name": "data-orders-db-0", "namespace": NS, "capacity": "10Gi", "used": "9.6Gi", "mounted_by": ["orders-db-0"]},
    {"name": "data-orders-db-1", "namespace": NS, "capacity": "10Gi", "phase": "Pending"},
]
CONFIGMAPS = [
    {"name": "web-config", "namespace": NS, "data": {"pool.max": "5", "big": "x" * 5000}},
    {"kind": "Secret", "name": "web-db", "namespace": NS, "data": {"password": "hunter2-very-secret", "user": "web"}},
]
HPAS = [
    {"name": "web", "namespace": NS, "target": "Deployment/web", "min": 2, "max": 2, "current": 2,
     "metrics": [{"resource": "cpu", "target": 70, "current": 180}]},
    {"name": "api", "namespace": NS, "target": "Deployment/api", "min": 1, "max": 5, "current": 2},
]


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory) -> Path:
    return write_scenario(tmp_path_factory.mktemp("cluster-scenario"))


def write_scenario(d: Path) -> Path:
    """A scenario with every kind and the findings above (also the console's cluster views' test data)."""
    d.mkdir(parents=True, exist_ok=True)
    files = {"pods.yaml": PODS, "nodes.yaml": NODES, "deployments.yaml": DEPLOYMENTS, "deploys.yaml": DEPLOYS,
             "workloads.yaml": WORKLOADS, "services.yaml": SERVICES, "pvcs.yaml": PVCS, "configmaps.yaml": CONFIGMAPS,
             "hpas.yaml": HPAS}
    (d / "scenario.yaml").write_text(yaml.safe_dump({"title": "cluster kinds", "namespaces": [NS],
                                                     "services": [{"name": "web", "namespace": NS}]}))
    for name, data in files.items():
        (d / name).write_text(yaml.safe_dump(data))
    # configmaps referenced by web: give the Deployment the reference, so get_configmap finds its user
    deps = yaml.safe_load((d / "deployments.yaml").read_text())
    deps[0]["configmaps"] = ["web-config"]
    deps[0]["secrets"] = ["web-db"]
    (d / "deployments.yaml").write_text(yaml.safe_dump(deps))
    return d


CALLS = [
    ("list_workloads", {"namespace": NS}),
    ("list_workloads", {"namespace": NS, "kind": "CronJob"}),
    ("get_rollout_history", {"namespace": NS, "name": "web"}),
    ("get_rollout_history", {"namespace": NS, "name": "nope"}),
    ("get_rollout_history", {"namespace": NS, "name": "orders-db"}),
    ("get_rollout_history", {"namespace": NS, "name": "log-agent", "kind": "DaemonSet"}),
    ("get_rollout_history", {"namespace": NS, "name": "orders-db", "compare": [1, 3]}),
    ("get_rollout_history", {"namespace": NS, "name": "log-agent", "compare": [1, 4]}),
    ("get_rollout_history", {"namespace": NS, "name": "web", "compare": [1, 3]}),
    ("get_rollout_history", {"namespace": NS, "name": "web", "compare": [1, 9]}),
    ("get_rollout_history", {"namespace": NS, "name": "web", "kind": "StatefulSet"}),
    ("list_nodes", {}),
    ("get_service_endpoints", {"namespace": NS}),
    ("get_service_endpoints", {"namespace": NS, "service": "payments"}),
    ("list_volumes", {"namespace": NS}),
    ("get_configmap", {"namespace": NS, "name": "web-config"}),
    ("get_configmap", {"namespace": NS, "name": "web-db"}),
    ("list_hpas", {"namespace": NS}),
    ("list_configmaps", {"namespace": NS}),
    ("get_object", {"kind": "sts", "namespace": NS, "name": "orders-db"}),
    ("get_object", {"kind": "node", "name": "w3"}),
    ("get_object", {"kind": "secret", "namespace": NS, "name": "web-db"}),
    ("list_pods", {"namespace": NS, "label_selector": "app in (api,web)"}),
    ("list_pods", {"namespace": NS, "node": "w2"}),
    ("list_pods", {"namespace": NS, "limit": 2}),
]


async def _call(c: Client, name: str, args: dict):
    r = await c.call_tool(name, args)
    structured = dict(r.structured_content or {})
    # Only the watched cluster has a list version (its watch cache's generation); the rest must agree.
    structured.pop("generation", None)
    return r.is_error, structured, (r.content[0].text if r.content else "")


@pytest.fixture(scope="module")
def answers(scenario_dir, tmp_path_factory):
    # Every call once through each backend, shared by the tests below (one event loop of its own).
    return asyncio.run(_answers(scenario_dir, tmp_path_factory.mktemp("cluster-run")))


async def _answers(scenario_dir, tmp):
    fixture_server, frt = build_server(ServerConfig(scenario=str(scenario_dir), audit_log=tmp / "a1.jsonl", rag=False))
    with FakeKubeAPI(ClusterData.from_scenario(frt.scenario)) as api:
        kc = write_kubeconfig(tmp / "kubeconfig", api.url, namespace=NS)
        real_server, rrt = build_server(ServerConfig(kubeconfig=kc, audit_log=tmp / "a2.jsonl", rag=False))
        out = {}
        async with Client(fixture_server) as fc, Client(real_server) as rc:
            for name, args in CALLS:
                out[(name, repr(args))] = (await _call(fc, name, args), await _call(rc, name, args))
        return out, api.requests


def _get(answers, tool, **args):
    return answers[0][(tool, repr(args))][1]


async def test_fixture_and_real_client_agree(answers):
    for (name, args), (fixture, real) in answers[0].items():
        if fixture[0]:
            assert real[0] and real[1]["error"].get("hint") == fixture[1]["error"].get("hint"), (name, args)
        else:
            assert not real[0], (name, args, real[2][:500])
            assert real[1] == fixture[1], (name, args)
    reqs = answers[1]
    # Each kind went through the client's own URL: the stand-in saw the real paths.
    for path in ("/apis/apps/v1/namespaces/shop/statefulsets", "/apis/batch/v1/namespaces/shop/cronjobs", "/api/v1/nodes",
                 "/api/v1/namespaces/shop/endpoints", "/api/v1/namespaces/shop/persistentvolumeclaims",
                 "/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers", "/api/v1/nodes/w1/proxy/stats/summary",
                 "/api/v1/namespaces/shop/secrets/web-db", "/apis/apps/v1/namespaces/shop/controllerrevisions"):
        assert any(unquote(r.split("?")[0]) == path for r in reqs), path


async def test_stalled_rollout_failed_job_and_cronjob(answers):
    res = _get(answers, "list_workloads", namespace=NS)[1]
    rows = {(r["kind"], r["name"]): r for r in res["workloads"]}
    api = rows[("Deployment", "api")]
    assert api["state"] == "stalled" and not api["healthy"]
    assert any("timed out progressing" in p for p in api["problems"])
    assert rows[("Deployment", "web")]["state"] == "complete"
    assert rows[("StatefulSet", "orders-db")]["ready"] == "1/2" and rows[("StatefulSet", "orders-db")]["volume_claims"] == ["data"]
    assert rows[("Job", "migrate-42")]["state"] == "failed"
    assert "BackoffLimitExceeded" in rows[("Job", "migrate-42")]["problems"][0]
    cj = rows[("CronJob", "nightly-report")]
    assert cj["last_job"]["name"] == "nightly-report-2901" and cj["problems"] == ["last run nightly-report-2901 failed"]
    assert rows[("DaemonSet", "log-agent")]["healthy"]
    assert res["workloads"][-1]["healthy"] is not False  # healthy ones last
    only = _get(answers, "list_workloads", namespace=NS, kind="CronJob")[1]
    assert [r["name"] for r in only["workloads"]] == ["nightly-report"]


async def test_config_only_revision_is_visible(answers):
    h = _get(answers, "get_rollout_history", namespace=NS, name="web")[1]
    assert [r["revision"] for r in h["revisions"]] == [1, 2, 3] and h["current_revision"] == 3
    assert h["revisions"][1]["diff"]["change_kind"] == "image"
    last = h["revisions"][2]
    assert last["diff"]["change_kind"] == "config-only" and h["config_only_revisions"] == [3]
    # The same diff, in the same format, as the scenario's deploys.yaml declared for revision 3.
    assert last["diff"]["areas"] == DEPLOYS[2]["diff"] and last["diff"]["changes"] == ["env DB_POOL_MAX: 50 → 5"]
    assert last["change_cause"] == "pool size 50 -> 5" and last["template"]["configmaps"] == ["web-config"]
    assert h["kind"] == "Deployment" and h["deployment"] == "web" and last["replicaset"].startswith("web-")
    err = answers[0][("get_rollout_history", repr({"namespace": NS, "name": "nope"}))][1]
    assert err[0] and "Deployment api" in err[1]["error"]["hint"] and "StatefulSet orders-db" in err[1]["error"]["hint"]
    assert "DaemonSet log-agent" in err[1]["error"]["hint"]


async def test_statefulset_history_from_controller_revisions(answers):
    h = _get(answers, "get_rollout_history", namespace=NS, name="orders-db")[1]
    assert h["kind"] == "StatefulSet" and h["name"] == "orders-db" and "deployment" not in h
    revs = h["revisions"]
    assert [r["revision"] for r in revs] == [1, 2, 3] and h["current_revision"] == 3
    assert all(r["controller_revision"].startswith("orders-db-") for r in revs)
    assert [r["template"]["containers"]["orders-db"]["image"] for r in revs] == ["postgres:14", "postgres:15", "postgres:15"]
    assert revs[1]["diff"]["change_kind"] == "image" and revs[1]["diff"]["changes"] == ["image: postgres:14 → postgres:15"]
    assert revs[2]["diff"]["change_kind"] == "config-only" and h["config_only_revisions"] == [3]
    assert revs[2]["diff"]["areas"] == {"env": {"PG_MAX_CONNECTIONS": ["100", "300"]}}
    # Env the revisions did not touch ran all along.
    assert all(r["template"]["containers"]["orders-db"]["env"]["PGDATA"] == "/data" for r in revs)
    # Mid-rollout: one pod on revision 3 (updateRevision), one still on 2 (currentRevision).
    assert [r["replicas"] for r in revs] == [None, 1, 1] and revs[2]["change_cause"] == "max_connections 100 -> 300"


async def test_daemonset_history_config_only_and_resources(answers):
    h = _get(answers, "get_rollout_history", namespace=NS, name="log-agent", kind="DaemonSet")[1]
    assert h["kind"] == "DaemonSet" and [r["revision"] for r in h["revisions"]] == [1, 2, 3, 4]
    assert [r["current"] for r in h["revisions"]] == [False, False, False, True] and h["current_revision"] == 4
    three, four = h["revisions"][2], h["revisions"][3]
    # A ConfigMap's new content reaches pods as a checksum annotation: config-only, image unchanged.
    assert three["diff"]["change_kind"] == "config-only" and list(three["diff"]["areas"]) == ["annotations"]
    assert "checksum/configmap-log-agent-config" in three["diff"]["areas"]["annotations"]
    assert four["diff"] == {"change_kind": "resources", "changes": ["resources limits.memory: 256Mi → 512Mi"],
                            "areas": {"resources": {"limits.memory": ["256Mi", "512Mi"]}}}
    assert four["replicas"] == 3 and three["replicas"] is None
    wrong = answers[0][("get_rollout_history", repr({"namespace": NS, "name": "web", "kind": "StatefulSet"}))][1]
    assert wrong[0] and "StatefulSet 'web' not found" in wrong[1]["error"]["message"]


async def test_compare_any_two_revisions(answers):
    sts = _get(answers, "get_rollout_history", namespace=NS, name="orders-db", compare=[1, 3])[1]["comparison"]
    # 1 → 3 skips 2: the image of 1→2 and the env of 2→3 both show.
    assert (sts["from"], sts["to"], sts["change_kind"]) == (1, 3, "image")
    assert sts["areas"] == {"image": ["postgres:14", "postgres:15"], "env": {"PG_MAX_CONNECTIONS": ["100", "300"]}}
    assert "-    image: postgres:14" in sts["yaml_diff"] and "+    image: postgres:15" in sts["yaml_diff"]
    assert sts["yaml_diff"].startswith("--- revision 1\n+++ revision 3")
    assert "controller-revision-hash" not in sts["yaml_diff"]  # differs by construction, not a change
    ds = _get(answers, "get_rollout_history", namespace=NS, name="log-agent", compare=[1, 4])[1]["comparison"]
    assert ds["change_kind"] == "image" and set(ds["areas"]) == {"image", "resources", "annotations"}
    web = _get(answers, "get_rollout_history", namespace=NS, name="web", compare=[1, 3])[1]
    assert web["comparison"]["areas"] == {"image": ["acme/web:v0.9", "acme/web:v1"], "env": {"DB_POOL_MAX": ["50", "5"]}}
    assert all("pod_template" not in r for r in web["revisions"])  # compare adds one diff, not every template
    err = answers[0][("get_rollout_history", repr({"namespace": NS, "name": "web", "compare": [1, 9]}))][1]
    assert err[0] and "no revision 9" in err[1]["error"]["message"] and err[1]["error"]["hint"] == "revisions kept: 1, 2, 3"


async def test_node_pressure_not_ready_and_requests(answers):
    res = _get(answers, "list_nodes")[1]
    nodes = {n["name"]: n for n in res["nodes"]}
    assert nodes["w2"]["pressure"] == ["MemoryPressure"] and "insufficient memory" in nodes["w2"]["problems"][0]
    assert nodes["w3"]["status"] == "NotReady,SchedulingDisabled" and nodes["w3"]["cordoned"]
    assert any(t.startswith("node.kubernetes.io/unschedulable") for t in nodes["w3"]["taints"])
    # w1 runs three pods asking 500m/1Gi each against 2 cpu / 4Gi allocatable.
    assert nodes["w1"]["pods"] == 3 and nodes["w1"]["requested"]["cpu"] == "1500m" and nodes["w1"]["requested"]["cpu_pct"] == 75
    assert nodes["w1"]["healthy"] and res["not_ready"] == 1 and res["with_pressure"] == 1
    assert [n["name"] for n in res["nodes"]][-1] == "w1"


async def test_service_findings(answers):
    res = _get(answers, "get_service_endpoints", namespace=NS)[1]
    svc = {s["name"]: s for s in res["services"]}
    assert svc["payments"]["matching_pods"] == 0
    assert "no pod matches the selector app=payments" in svc["payments"]["findings"][0]
    assert "payments-v2" in svc["payments"]["findings"][0]  # what the pods carry instead
    assert svc["api"]["findings"] == ["all 2 endpoints are not ready (pods failing readiness)"]
    assert {e["pod"] for e in svc["api"]["not_ready_endpoints"]} == {"api-ccccc", "api-ddddd"}
    assert svc["web"]["healthy"] and {e["pod"] for e in svc["web"]["ready_endpoints"]} == {"web-aaaaa", "web-bbbbb"}
    assert svc["edge"]["findings"] == ["LoadBalancer pending: no external address assigned"]
    one = _get(answers, "get_service_endpoints", namespace=NS, service="payments")[1]
    assert [s["name"] for s in one["services"]] == ["payments"]


async def test_volumes_config_and_hpas(answers):
    vols = {v["name"]: v for v in _get(answers, "list_volumes", namespace=NS)[1]["volumes"]}
    full = vols["data-orders-db-0"]
    assert full["used_pct"] == 96.0 and full["mounted_by"] == ["orders-db-0"] and "96.0% full" in full["problems"][0]
    assert vols["data-orders-db-1"]["problems"] == ["claim Pending"]
    cm = _get(answers, "get_configmap", namespace=NS, name="web-config")[1]
    assert cm["data"]["pool.max"] == "5" and len(cm["data"]["big"]) == kube.VALUE_CAP and "5000 characters" in cm["values_cut"]["big"]
    assert cm["used_by"] == ["Deployment/web"]
    sec = _get(answers, "get_configmap", namespace=NS, name="web-db")[1]
    assert sec["kind"] == "Secret" and sec["keys"] == ["password", "user"]
    hpas = {h["name"]: h for h in _get(answers, "list_hpas", namespace=NS)[1]["hpas"]}
    assert hpas["web"]["metrics"] == [{"metric": "cpu", "type": "Resource", "current": "180%", "target": "70%"}]
    assert hpas["web"]["problems"][0].startswith("at maxReplicas (2)")
    assert any("scaling inactive" in p for p in hpas["api"]["problems"])


async def test_configmap_list_names_keys_sizes_users_and_missing_ones(answers):
    res = _get(answers, "list_configmaps", namespace=NS)[1]
    rows = {r["name"]: r for r in res["configmaps"]}
    assert set(rows) == {"web-config", "api-flags"}, "Secrets are not listed"
    web = rows["web-config"]
    assert web["keys"] == [{"key": "big", "bytes": 5000}, {"key": "pool.max", "bytes": 1}] and web["bytes"] == 5001
    assert web["used_by"] == ["Deployment/web"] and web["healthy"] and not web["missing"]
    assert web["data"] == 2 and "hunter2" not in repr(res)  # a count of keys, never the values
    missing = rows["api-flags"]
    assert missing["missing"] and not missing["healthy"] and "Deployment/api" in missing["problems"][0]
    assert res["configmaps"][0]["name"] == "api-flags", "problems first"
    assert res["total"] == 2 and res["missing"] == 1


async def test_secret_values_never_leave(answers):
    for (name, args), (fixture, real) in answers[0].items():
        for _, structured, text in (fixture, real):
            assert "hunter2" not in text and "hunter2" not in repr(structured), (name, args)
            assert "aHVudGVyMi" not in text, (name, args)  # nor base64 of it
    obj = _get(answers, "get_object", kind="secret", namespace=NS, name="web-db")[1]
    assert obj["object"]["data"]["user"] == "<3 bytes, not shown>"
    node = _get(answers, "get_object", kind="node", name="w3")[1]
    assert node["kind"] == "Node" and "unschedulable: true" in node["yaml"]


async def test_list_pods_selector_node_and_paging(answers):
    sel = _get(answers, "list_pods", namespace=NS, label_selector="app in (api,web)")[1]
    assert {p["name"] for p in sel["pods"]} == {"web-aaaaa", "web-bbbbb", "api-ccccc", "api-ddddd"}
    assert sel["matched"] == 4 and sel["total"] == 4
    on_w2 = _get(answers, "list_pods", namespace=NS, node="w2")[1]
    assert {p["name"] for p in on_w2["pods"]} == {"orders-db-1", "web-bbbbb", "api-ddddd"}
    page = _get(answers, "list_pods", namespace=NS, limit=2)[1]
    assert page["total"] == 7 and page["unhealthy"] == 3 and len(page["pods"]) == 2
    assert all(not p["healthy"] for p in page["pods"])  # unhealthy first
    assert page["page"]["next_offset"] == 2 and page["page"]["remaining"] == 5
    assert "offset=2" in page["page"]["how_to_get_more"]
    assert page["healthy_summary"]["healthy_not_in_this_page"] == 4
    assert page["healthy_summary"]["by_app"] == {"orders-db": 1, "web": 2, "payments-v2": 1}


async def test_bad_selector_and_kind_are_clear_errors(scenario_dir, tmp_path):
    server, _ = build_server(ServerConfig(scenario=str(scenario_dir), audit_log=tmp_path / "a.jsonl", rag=False))
    async with Client(server) as c:
        err, res, _ = await _call(c, "list_pods", {"namespace": NS, "label_selector": "app in (a"})
        assert err and "cannot parse label selector" in res["error"]["message"]
        err, res, _ = await _call(c, "get_object", {"kind": "widget", "name": "x", "namespace": NS})
        assert err and "unknown kind" in res["error"]["message"] and "StatefulSet" in res["error"]["hint"]
        err, res, _ = await _call(c, "list_volumes", {"namespace": "kube-system"})
        assert err and "not allowed" in res["error"]["message"]
        err, res, _ = await _call(c, "get_object", {"kind": "deploy", "name": "web"})
        assert err and "give a namespace" in res["error"]["message"]


def test_selector_grammar():
    reqs = kube.parse_selector("app in (a,b),tier!=db,!canary,track")
    assert kube.labels_match({"app": "a", "tier": "web", "track": "x"}, reqs)
    assert not kube.labels_match({"app": "a", "tier": "db", "track": "x"}, reqs)
    assert not kube.labels_match({"app": "a", "track": "x", "canary": "1"}, reqs)
    assert not kube.labels_match({"app": "c", "track": "x"}, reqs)
    assert not kube.labels_match({"app": "a"}, reqs)
    with pytest.raises(kube.SelectorError):
        kube.parse_selector("!app=x")


async def test_recent_deploys_of_a_cluster_say_config_only(scenario_dir, tmp_path):
    # A real cluster keeps no deploys.yaml: its ReplicaSets are diffed by the same code as the
    # history, so revision 3 (env only) is a config deploy there too, in the same words.
    fixture_server, frt = build_server(ServerConfig(scenario=str(scenario_dir), audit_log=tmp_path / "a1.jsonl", rag=False))
    with FakeKubeAPI(ClusterData.from_scenario(frt.scenario)) as api:
        kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, namespace=NS)
        real_server, _ = build_server(ServerConfig(kubeconfig=kc, audit_log=tmp_path / "a2.jsonl", rag=False,
                                                   services=[{"name": "web", "namespace": NS, "deployment": "web"}]))
        args = {"service_name": "web", "hours_back": 720}
        async with Client(fixture_server) as fc, Client(real_server) as rc:
            answers = [await _call(fc, "get_recent_deploys", args), await _call(rc, "get_recent_deploys", args)]
    for err, res, text in answers:
        assert not err, text
        by_rev = {d["revision"]: d for d in res["deploys"]}
        assert (by_rev[3]["kind"], by_rev[3]["config_only"], by_rev[3]["changes"]) == ("config", True, ["env DB_POOL_MAX: 50 → 5"])
        assert (by_rev[2]["kind"], by_rev[2]["config_only"]) == ("image", False)
