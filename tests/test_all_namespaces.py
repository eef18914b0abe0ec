"""namespace="*" on the list tools: every namespace of the allow-list (and of the caller's
role), never one outside it; the same answers through the fixture cluster and through the
official `kubernetes` client against the API stand-in, both when the real backend reads
namespace by namespace and when it reads through one cluster-wide list + watch; list_pods
pages across namespaces and answers changed_since; the change feed announces `k8s://pods/*`.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from pathlib import Path
from urllib.parse import unquote

import anyio
import pytest
import yaml
from mcp import Client

from sre_mcp.config import ServerConfig
from sre_mcp.security.roles import Role
from sre_mcp.server import build_server
from tests.fake_k8s import ClusterData, FakeKubeAPI, bulk_namespaces, bulk_pods, write_kubeconfig

ALLOWED = ["shop", "web", "batch"]
HIDDEN = "vault"  # in the cluster, not in the allow-list: never in an answer
# The first cluster call imports the client library (its pydantic models): seconds on a loaded
# 2-core machine, more than the default 10 s call timeout when the suite runs in parallel.
SLOW_MACHINE = 60.0


def _pod(name: str, ns: str, app: str, ready: bool = True, restarts: int = 0, **kw) -> dict:
    c = {"name": app, "image": f"acme/{app}:v1", "ready": ready, "restarts": restarts}
    if not ready:
        c["state"] = {"waiting": {"reason": "CrashLoopBackOff"}}
    return {"name": name, "namespace": ns, "service": app, "node": kw.pop("node", "w1"), "created": "-2d", "containers": [c], **kw}


PODS = [
    _pod("cart-aaaaa", "shop", "cart", usage={"cpu": "120m", "memory": "256Mi"}),
    _pod("cart-bbbbb", "shop", "cart", ready=False, restarts=9),
    _pod("orders-ccccc", "shop", "orders"),
    _pod("front-ddddd", "web", "front", node="w2"),
    _pod("front-eeeee", "web", "front", ready=False, restarts=30, node="w2"),
    _pod("etl-fffff", "batch", "etl"),
    _pod("keeper-00000", HIDDEN, "keeper", ready=False, restarts=99),  # would sort first if it leaked
    _pod("keeper-11111", HIDDEN, "keeper"),
]
DEPLOYMENTS = [
    {"name": "cart", "namespace": "shop", "replicas": 2, "ready": 1, "image": "acme/cart:v1"},
    {"name": "orders", "namespace": "shop", "replicas": 1, "image": "acme/orders:v1"},
    {"name": "front", "namespace": "web", "replicas": 2, "ready": 1, "image": "acme/front:v1",
     "stalled": 'ReplicaSet "front-7f9" has timed out progressing.'},
    {"name": "keeper", "namespace": HIDDEN, "replicas": 2, "ready": 0, "image": "acme/keeper:v1"},
]
WORKLOADS = [
    {"kind": "Job", "name": "etl-7", "namespace": "batch", "failed": 7, "backoff_limit": 6, "started": "-1h",
     "failed_reason": "BackoffLimitExceeded"},
    {"kind": "CronJob", "name": "nightly", "namespace": "batch", "schedule": "0 2 * * *", "last_schedule": "-5h"},
    {"kind": "Job", "name": "nightly-2901", "namespace": "batch", "cronjob": "nightly", "failed": 3, "backoff_limit": 2,
     "started": "-5h", "failed_reason": "BackoffLimitExceeded"},
    {"kind": "CronJob", "name": "nightly", "namespace": "web", "schedule": "0 3 * * *", "last_schedule": "-4h",
     "last_successful": "-4h"},
    {"kind": "StatefulSet", "name": "vault-db", "namespace": HIDDEN, "replicas": 1, "ready": 0, "image": "postgres:15"},
]
SERVICES = [
    {"name": "cart", "namespace": "shop", "ports": [80], "selector": {"app": "cart"}},
    {"name": "front", "namespace": "web", "ports": [80], "selector": {"app": "frontend"}},  # matches no pod
    {"name": "keeper", "namespace": HIDDEN, "ports": [80], "selector": {"app": "keeper"}},
]
PVCS = [
    {"name": "data", "namespace": "shop", "capacity": "10Gi", "used": "9.5Gi", "mounted_by": ["orders-ccccc"]},
    {"name": "data", "namespace": "batch", "capacity": "10Gi", "phase": "Pending"},
    {"name": "data", "namespace": HIDDEN, "capacity": "10Gi", "phase": "Lost"},
]
HPAS = [
    {"name": "front", "namespace": "web", "target": "Deployment/front", "min": 2, "max": 2, "current": 2,
     "metrics": [{"resource": "cpu", "target": 70, "current": 180}]},
    {"name": "keeper", "namespace": HIDDEN, "target": "Deployment/keeper", "min": 1, "max": 1, "current": 1},
]
EVENTS = [
    {"namespace": "shop", "type": "Warning", "reason": "BackOff", "object": "pod/cart-bbbbb", "message": "back-off", "at": "-2m"},
    {"namespace": "web", "type": "Warning", "reason": "Unhealthy", "object": "pod/front-eeeee", "message": "probe failed", "at": "-1m"},
    {"namespace": "batch", "type": "Normal", "reason": "Completed", "object": "job/etl-7", "message": "done", "at": "-9m"},
    {"namespace": HIDDEN, "type": "Warning", "reason": "BackOff", "object": "pod/keeper-00000", "message": "back-off", "at": "-30s"},
]

STAR_CALLS = [
    ("list_pods", {"namespace": "*"}),
    ("list_pods", {"namespace": "*", "limit": 2}),
    ("list_pods", {"namespace": "*", "status_filter": "unhealthy"}),
    ("list_workloads", {"namespace": "*"}),
    ("list_workloads", {"namespace": "*", "offset": 1, "limit": 2}),
    ("get_service_endpoints", {"namespace": "*", "limit": 1}),
    ("list_volumes", {"namespace": "*"}),
    ("list_hpas", {"namespace": "*"}),
    ("get_service_endpoints", {"namespace": "*"}),
    ("get_events", {"namespace": "*"}),
    ("list_nodes", {}),
]


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("all-namespaces")
    (d / "scenario.yaml").write_text(yaml.safe_dump({"title": "three namespaces", "namespaces": ALLOWED,
                                                     "services": [{"name": "cart", "namespace": "shop"}]}))
    for name, data in {"pods.yaml": PODS, "deployments.yaml": DEPLOYMENTS, "workloads.yaml": WORKLOADS, "services.yaml": SERVICES,
                       "pvcs.yaml": PVCS, "hpas.yaml": HPAS, "events.yaml": EVENTS}.items():
        (d / name).write_text(yaml.safe_dump(data))
    return d


def _timeless(value):
    """Ages ("71s") are relative to the moment of each call: the two backends answer a moment apart."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k not in ("age", "last_seen", "last_schedule_age", "finished")}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


async def _call(c: Client, name: str, args: dict):
    r = await c.call_tool(name, args)
    structured = _timeless(dict(r.structured_content or {}))
    structured.pop("generation", None)  # only a watched cluster versions its lists
    return r.is_error, structured, (r.content[0].text if r.content else "")


def _real(tmp: Path, api: FakeKubeAPI, wide_at: int | None = None, **cfg):
    kc = write_kubeconfig(tmp / "kubeconfig", api.url, namespace="shop")
    server, rt = build_server(ServerConfig(kubeconfig=kc, namespaces=["web", "batch"], audit_log=tmp / f"audit-{wide_at}.jsonl",
                                           rag=False, call_timeout=SLOW_MACHINE, **cfg))
    if wide_at is not None:
        rt.cluster.cluster_wide_at = wide_at
    return server, rt


@pytest.fixture(scope="module")
def answers(scenario_dir, tmp_path_factory):
    return asyncio.run(_answers(scenario_dir, tmp_path_factory.mktemp("all-ns-run")))


async def _answers(scenario_dir: Path, tmp: Path):
    fixture_server, frt = build_server(ServerConfig(scenario=str(scenario_dir), audit_log=tmp / "a1.jsonl", rag=False))
    out: dict = {}
    requests: dict = {}
    for mode, wide_at in (("per-namespace", 10), ("cluster-wide", 2)):
        with FakeKubeAPI(ClusterData.from_scenario(frt.scenario)) as api:
            real_server, rrt = _real(tmp, api, wide_at)
            try:
                async with Client(fixture_server) as fc, Client(real_server) as rc:
                    for name, args in STAR_CALLS:
                        out[(mode, name, repr(args))] = (await _call(fc, name, args), await _call(rc, name, args))
            finally:
                rrt.cluster.close()
            requests[mode] = [unquote(r.split("?")[0]) for r in api.requests if "watch=" not in r]
    return out, requests


def test_fixture_and_both_real_modes_agree(answers):
    out, _ = answers
    for (mode, name, args), (fixture, real) in out.items():
        assert not fixture[0], (name, args, fixture[2][:300])
        assert not real[0], (mode, name, args, real[2][:300])
        assert real[1] == fixture[1], (mode, name, args)


def test_a_namespace_outside_the_allow_list_never_appears(answers):
    out, _ = answers
    for key, (fixture, real) in out.items():
        for _, structured, text in (fixture, real):
            assert HIDDEN not in text and "keeper" not in text, key
            assert HIDDEN not in json.dumps(structured), key


def test_how_each_mode_reads_the_cluster(answers):
    _, requests = answers
    # Namespace by namespace: no cluster-wide list; cluster-wide: one list per kind, no per-namespace pod list.
    assert "/api/v1/pods" not in requests["per-namespace"]
    assert {"/api/v1/namespaces/shop/pods", "/api/v1/namespaces/web/pods", "/api/v1/namespaces/batch/pods"} <= set(requests["per-namespace"])
    wide = requests["cluster-wide"]
    assert wide.count("/api/v1/pods") == 1 and wide.count("/apis/apps/v1/statefulsets") == 1
    assert not any(r.startswith("/api/v1/namespaces/") and r.endswith("/pods") for r in wide)


def _get(answers, tool, **args):
    return answers[0][("cluster-wide", tool, repr(args))][1][1]


def test_list_pods_over_all_namespaces(answers):
    res = _get(answers, "list_pods", namespace="*")
    assert res["namespace"] == "*" and res["namespaces"] == 3
    assert res["total"] == 6 and res["unhealthy"] == 2 and res["by_status"] == {"CrashLoopBackOff": 2, "Running": 4}
    assert res["unhealthy_by_namespace"] == {"web": 1, "shop": 1}
    # Unhealthy first over all namespaces (most restarts first), every row naming its namespace.
    assert [(p["namespace"], p["name"]) for p in res["pods"][:2]] == [("web", "front-eeeee"), ("shop", "cart-bbbbb")]
    assert {p["namespace"] for p in res["pods"]} == set(ALLOWED)
    assert next(p for p in res["pods"] if p["name"] == "cart-aaaaa")["cpu"] == "120m"  # usage by (namespace, pod)
    page = _get(answers, "list_pods", namespace="*", limit=2)
    assert [p["name"] for p in page["pods"]] == ["front-eeeee", "cart-bbbbb"]
    assert page["page"]["next_offset"] == 2 and page["healthy_summary"]["by_namespace"] == {"shop": 2, "web": 1, "batch": 1}
    only = _get(answers, "list_pods", namespace="*", status_filter="unhealthy")
    assert only["matched"] == 2 and only["total"] == 6


def test_other_tools_over_all_namespaces(answers):
    wl = _get(answers, "list_workloads", namespace="*")
    rows = {(r["namespace"], r["kind"], r["name"]): r for r in wl["workloads"]}
    assert wl["namespaces"] == 3 and wl["total"] == len(rows) == 7
    assert rows[("web", "Deployment", "front")]["state"] == "stalled"
    # Two CronJobs named alike in two namespaces: each judged by the Jobs of its own namespace.
    assert rows[("batch", "CronJob", "nightly")]["problems"] == ["last run nightly-2901 failed"]
    assert rows[("web", "CronJob", "nightly")]["healthy"]
    assert all(not r["healthy"] for r in wl["workloads"][:wl["unhealthy"]])
    vols = _get(answers, "list_volumes", namespace="*")
    problems = {(v["namespace"], v["name"]): v["problems"] for v in vols["volumes"]}
    assert set(problems) == {("shop", "data"), ("batch", "data")} and problems[("batch", "data")] == ["claim Pending"]
    assert "95.0% full" in problems[("shop", "data")][0]
    assert vols["unhealthy_by_namespace"] == {"shop": 1, "batch": 1}
    svc = _get(answers, "get_service_endpoints", namespace="*")
    found = {(s["namespace"], s["name"]): s for s in svc["services"]}
    assert set(found) == {("shop", "cart"), ("web", "front")}
    assert "no pod matches the selector app=frontend" in found[("web", "front")]["findings"][0]
    assert {e["pod"] for e in found[("shop", "cart")]["ready_endpoints"]} == {"cart-aaaaa"}
    hpas = _get(answers, "list_hpas", namespace="*")
    assert [(h["namespace"], h["name"]) for h in hpas["hpas"]] == [("web", "front")] and hpas["with_problems"] == 1
    ev = _get(answers, "get_events", namespace="*")
    assert [(e["namespace"], e["reason"]) for e in ev["events"]] == [("web", "Unhealthy"), ("shop", "BackOff"), ("batch", "Completed")]
    assert ev["warnings_by_namespace"] == {"web": 1, "shop": 1} and ev["namespaces"] == 3


async def test_refusals_and_the_role(scenario_dir, tmp_path):
    server, rt = build_server(ServerConfig(scenario=str(scenario_dir), audit_log=tmp_path / "a.jsonl", rag=False))
    async with Client(server) as c:
        r = await c.call_tool("list_pods", {"namespace": HIDDEN})
        assert r.is_error and "is not allowed" in r.content[0].text
        # Tools that read one object or one namespace's logs do not take "*".
        for name, args in (("get_pod_logs", {"pod_name": "cart-aaaaa"}), ("describe_pod", {"pod_name": "cart-aaaaa"}),
                           ("list_deployments", {}), ("get_configmap", {"name": "x"}), ("get_rollout_history", {"name": "cart"})):
            r = await c.call_tool(name, {"namespace": "*", **args})
            assert r.is_error and "'*'" in r.content[0].text, (name, r.content[0].text)
        r = await c.call_tool("get_service_endpoints", {"namespace": "*", "service": "cart"})
        assert r.is_error and "needs its namespace" in r.content[0].text
        # A role narrows "*" to its own namespaces.
        rt.role = Role(name="shop-oncall", tools=["@read"], namespaces=["shop", "vault"])
        r = await c.call_tool("list_pods", {"namespace": "*"})
        assert not r.is_error and r.structured_content["namespaces"] == 1
        assert {p["namespace"] for p in r.structured_content["pods"]} == {"shop"}
        rt.role = Role(name="nobody", tools=["@read"], namespaces=["elsewhere"])
        r = await c.call_tool("list_pods", {"namespace": "*"})
        assert r.is_error and "allows none" in r.content[0].text


async def test_a_size_capped_all_namespaces_page_is_marked(tmp_path):
    pods = [p for n in range(4) for p in bulk_pods(f"ns-{n}", 50, start=n * 50)]
    with FakeKubeAPI(ClusterData(pods=pods)) as api:
        kc = write_kubeconfig(tmp_path / "kc", api.url, namespace="ns-0")
        server, rt = build_server(ServerConfig(kubeconfig=kc, namespaces=["ns-1", "ns-2", "ns-3"], audit_log=tmp_path / "a.jsonl",
                                               rag=False, max_result_bytes=20_000, call_timeout=SLOW_MACHINE))
        try:
            async with Client(server) as c:
                r = await c.call_tool("list_pods", {"namespace": "*", "limit": 1000})
                res = r.structured_content
                assert not r.is_error and res["total"] == 200 and res["namespaces"] == 4
                cut = res["truncated"]
                assert cut["items_left_out"]["pods"] == 200 - len(res["pods"]) > 0
                assert "one namespace instead of '*'" in cut["how_to_get_more"]
                # The summary before the rows survives the cut: counts of every namespace.
                assert res["unhealthy"] == 4 and sum(res["unhealthy_by_namespace"].values()) == 4
        finally:
            rt.cluster.close()


def _crash(pod: dict) -> dict:
    pod = copy.deepcopy(pod)
    cs = pod["status"]["containerStatuses"][0]
    cs.update(ready=False, restartCount=3, state={"waiting": {"reason": "CrashLoopBackOff"}})
    pod["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    return pod


async def _next_event(sub, want: str) -> list[str]:
    seen = []
    with anyio.fail_after(5):
        async for event in sub:
            seen.append(event.uri)
            if event.uri == want:
                return seen
    return seen


@pytest.mark.parametrize("wide_at", [10, 2], ids=["per-namespace", "cluster-wide"])
async def test_changed_since_and_the_feed_on_all_namespaces(tmp_path, wide_at):
    pods = {ns: bulk_pods(ns, 10, unhealthy_every=0, start=i * 10) for i, ns in enumerate(ALLOWED + [HIDDEN])}
    with FakeKubeAPI(ClusterData(pods=[p for v in pods.values() for p in v])) as api:
        server, rt = _real(tmp_path, api, wide_at)
        try:
            async with Client(server) as c:
                first = (await c.call_tool("list_pods", {"namespace": "*", "limit": 1000})).structured_content
                assert first["total"] == 30 and first["unhealthy"] == 0 and "generation" in first
                gen = first["generation"]
                version = json.loads((await c.read_resource("k8s://pods/*")).contents[0].text)
                assert version["live"] and version["generation"] >= gen
                async with c.listen(resource_subscriptions=["k8s://pods/*", f"k8s://pods/{HIDDEN}"]) as sub:
                    if wide_at == 2:  # the cluster-wide watch sees the hidden namespace: it must stay unannounced
                        api.put("Pod", _crash(pods[HIDDEN][0]))
                    api.put("Pod", _crash(pods["web"][3]))
                    seen = await _next_event(sub, "k8s://pods/*")
                assert f"k8s://pods/{HIDDEN}" not in seen
                delta = (await c.call_tool("list_pods", {"namespace": "*", "changed_since": gen})).structured_content
                assert [(p["namespace"], p["name"]) for p in delta["changed"]] == [("web", pods["web"][3]["metadata"]["name"])]
                assert delta["changed"][0]["status"] == "CrashLoopBackOff" and delta["deleted"] == []
                assert delta["total"] == 30 and delta["unhealthy"] == 1 and delta["namespaces"] == 3
                gen2 = delta["generation"]
                assert gen2 > gen

                # A deletion in another namespace: named with its namespace; the per-namespace URI fires too.
                async with c.listen(resource_subscriptions=["k8s://pods/*", "k8s://pods/batch"]) as sub:
                    api.delete("Pod", "batch", pods["batch"][0]["metadata"]["name"])
                    seen = await _next_event(sub, "k8s://pods/*")
                    if "k8s://pods/batch" not in seen:
                        seen += await _next_event(sub, "k8s://pods/batch")
                delta2 = (await c.call_tool("list_pods", {"namespace": "*", "changed_since": gen2})).structured_content
                assert delta2["changed"] == [] and delta2["deleted"] == [f"batch/{pods['batch'][0]['metadata']['name']}"]
                assert delta2["total"] == 29
                # A namespace's own changed_since still names pods alone.
                one = (await c.call_tool("list_pods", {"namespace": "web", "changed_since": gen})).structured_content
                assert [p["name"] for p in one["changed"]] == [pods["web"][3]["metadata"]["name"]]
        finally:
            rt.cluster.close()


async def test_two_hundred_namespaces_every_row_once_from_one_cluster_wide_watch(tmp_path):
    namespaces = [f"ns-{n:03d}" for n in range(200)]
    with FakeKubeAPI(ClusterData(pods=bulk_namespaces(200, 10))) as api:
        kc = write_kubeconfig(tmp_path / "kc", api.url, namespace=namespaces[0])
        server, rt = build_server(ServerConfig(kubeconfig=kc, namespaces=namespaces[1:], audit_log=tmp_path / "a.jsonl", rag=False,
                                               call_timeout=SLOW_MACHINE))
        try:
            async with Client(server) as c:
                offset, keys, first = 0, [], None
                while True:
                    r = await c.call_tool("list_pods", {"namespace": "*", "offset": offset, "limit": 1000})
                    res = r.structured_content
                    assert not r.is_error and "truncated" not in res
                    first = first or res
                    keys += [(p["namespace"], p["name"]) for p in res["pods"]]
                    if "next_offset" not in res.get("page", {}):
                        break
                    offset = res["page"]["next_offset"]
                assert len(keys) == len(set(keys)) == 2000 and {k[0] for k in keys} == set(namespaces)
                assert first["total"] == 2000 and first["namespaces"] == 200 and first["unhealthy"] == 40
                assert all(p["status"] == "CrashLoopBackOff" for p in first["pods"][:40])
                # One namespace's list is served from the same cache: no request of its own.
                one = (await c.call_tool("list_pods", {"namespace": "ns-123"})).structured_content
                assert one["total"] == 10 and {p["namespace"] for p in one["pods"]} == {"ns-123"}
            lists = [r.split("?")[0] for r in api.requests if "watch=" not in r and r.startswith("/api/v1/") and r.split("?")[0].endswith("/pods")]
            assert lists == ["/api/v1/pods"] and api.watches == 1
        finally:
            rt.cluster.close()


@pytest.mark.parametrize("kind,plural", [("Event", "events"), ("Deployment", "deployments")])
async def test_other_kinds_publish_their_changes_too(tmp_path, kind, plural):
    """The feed is not pods-only: every kind read through a watch cache announces its changes,
    per namespace and on `*`, so a console view of events or workloads can follow them."""
    data = ClusterData(pods=bulk_pods("web", 2))
    with FakeKubeAPI(data) as api:
        server, rt = _real(tmp_path, api)
        try:
            async with Client(server) as c:
                tool = {"Event": ("get_events", {}), "Deployment": ("list_workloads", {"kind": "Deployment"})}[kind]
                before = (await c.call_tool(tool[0], {"namespace": "*", **tool[1]})).structured_content
                assert before["total"] == 0 and before["namespaces"] == 3
                obj = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "x-1", "namespace": "web", "uid": "u-x-1"}}
                if kind == "Event":
                    obj.update(type="Warning", reason="BackOff", message="back-off", involvedObject={"kind": "Pod", "name": "x", "namespace": "web"},
                               lastTimestamp="2026-01-01T00:00:00Z")
                else:
                    obj.update(apiVersion="apps/v1", spec={"replicas": 1, "selector": {"matchLabels": {"app": "x"}}},
                               status={"replicas": 1, "readyReplicas": 0})
                async with c.listen(resource_subscriptions=[f"k8s://{plural}/*", f"k8s://{plural}/web"]) as sub:
                    api.put(kind, obj)
                    seen = await _next_event(sub, f"k8s://{plural}/*")
                    if f"k8s://{plural}/web" not in seen:
                        seen += await _next_event(sub, f"k8s://{plural}/web")
                after = (await c.call_tool(tool[0], {"namespace": "*", **tool[1]})).structured_content
                assert after["total"] == 1
        finally:
            rt.cluster.close()


@pytest.mark.parametrize("namespace", ["*", "web"])
async def test_a_list_kept_up_to_date_by_changes_answers_as_a_fresh_one(tmp_path, namespace):
    """list_pods keeps its sorted rows and counts and applies the watch's changes to them: after
    changes, adds and deletes, every answer equals that of a server that never saw the old list."""
    pods = {ns: bulk_pods(ns, 30, unhealthy_every=7, start=i * 30) for i, ns in enumerate(ALLOWED)}
    with FakeKubeAPI(ClusterData(pods=[p for v in pods.values() for p in v])) as api:
        server, rt = _real(tmp_path, api, 2)
        try:
            async with Client(server) as c:
                gen = (await c.call_tool("list_pods", {"namespace": namespace, "limit": 5})).structured_content["generation"]
                api.put("Pod", _crash(pods["web"][1]))
                api.put("Pod", _crash(pods["web"][2]))
                healed = copy.deepcopy(pods["web"][0])  # unhealthy_every=7: pod 0 crashes in bulk_pods
                healed["status"] = copy.deepcopy(pods["web"][1]["status"])
                api.put("Pod", healed)
                added = copy.deepcopy(pods["web"][3])
                added["metadata"].update(name="new-web-pod", uid="u-new")
                api.put("Pod", added)
                api.delete("Pod", "web", pods["web"][4]["metadata"]["name"])
                api.delete("Pod", "shop", pods["shop"][5]["metadata"]["name"])
                gone = {pods["web"][4]["metadata"]["name"], pods["shop"][5]["metadata"]["name"]}
                for _ in range(500):  # the watch has brought all six changes
                    names = {p["metadata"]["name"] for p in rt.cluster.list_many("Pod", ALLOWED if namespace == "*" else ["web"])}
                    crashed = [p for p in rt.cluster.list_pods("web") if p["metadata"]["name"] == pods["web"][2]["metadata"]["name"]]
                    if "new-web-pod" in names and not names & gone and not crashed[0]["status"]["containerStatuses"][0]["ready"]:
                        break
                    await anyio.sleep(0.01)
                delta = (await c.call_tool("list_pods", {"namespace": namespace, "changed_since": gen})).structured_content
                answers = [await _call(c, "list_pods", {"namespace": namespace, **args})
                           for args in ({}, {"limit": 7, "offset": 3}, {"status_filter": "unhealthy"}, {"limit": 1000})]
            (tmp_path / "fresh").mkdir()
            fresh_server, fresh_rt = _real(tmp_path / "fresh", api, 2)
            try:
                async with Client(fresh_server) as c:
                    truth = [await _call(c, "list_pods", {"namespace": namespace, **args})
                             for args in ({}, {"limit": 7, "offset": 3}, {"status_filter": "unhealthy"}, {"limit": 1000})]
            finally:
                fresh_rt.cluster.close()
            for got, fresh in zip(answers, truth):
                assert got[1] == fresh[1]
                # The text the model reads, too (key order included); each server's clock is its own.
                assert re.sub(r'"generation": \d+', "", got[2]) == re.sub(r'"generation": \d+', "", fresh[2])
            full = truth[0][1]
            assert (delta["total"], delta["unhealthy"], delta["by_status"]) == (full["total"], full["unhealthy"], full["by_status"])
            names = {p["name"] for p in delta["changed"]}
            assert {"new-web-pod", pods["web"][0]["metadata"]["name"], pods["web"][1]["metadata"]["name"]} <= names
            if namespace == "*":
                assert set(delta["deleted"]) == {f"web/{pods['web'][4]['metadata']['name']}", f"shop/{pods['shop'][5]['metadata']['name']}"}
            else:
                assert delta["deleted"] == [pods["web"][4]["metadata"]["name"]] and all(p["namespace"] == "web" for p in delta["changed"])
        finally:
            rt.cluster.close()


async def test_every_kind_publishes_its_changes(tmp_path):
    """Every kind of kinds.py read through a watch cache announces a change on its namespace's URI
    and on `k8s://<plural>/*` (cluster-scoped kinds on `k8s://<plural>`), so any console view can
    follow the feed; nothing is announced for a namespace outside the allow-list."""
    from sre_mcp.backends.kinds import KINDS

    with FakeKubeAPI(ClusterData(pods=bulk_pods("web", 1))) as api:
        server, rt = _real(tmp_path, api, 2)  # cluster-wide caches: they also see the hidden namespace
        try:
            async with Client(server) as c:
                await c.call_tool("list_pods", {"namespace": "web"})  # the client's import, off the clock below
                for k in KINDS.values():
                    await anyio.to_thread.run_sync(rt.cluster.list_many if k.namespaced else rt.cluster.list_objects,
                                                   k.kind, ALLOWED if k.namespaced else None)
                want = {f"k8s://{k.plural}/{ns}" for k in KINDS.values() if k.namespaced for ns in ("web", "*")}
                want |= {f"k8s://{k.plural}" for k in KINDS.values() if not k.namespaced}
                hidden = {f"k8s://{k.plural}/{HIDDEN}" for k in KINDS.values() if k.namespaced}
                seen: set[str] = set()
                async with c.listen(resource_subscriptions=sorted(want | hidden)) as sub:
                    for n, k in enumerate(KINDS.values()):
                        base = {"apiVersion": k.api_version, "metadata": {"name": f"obj-{n}", "uid": f"u-{n}"}}
                        if k.namespaced:
                            api.put(k.kind, copy.deepcopy({**base, "metadata": {**base["metadata"], "namespace": HIDDEN}}))
                            api.put(k.kind, {**base, "metadata": {**base["metadata"], "namespace": "web"}})
                        else:
                            api.put(k.kind, base)
                    with anyio.fail_after(10):
                        async for event in sub:
                            seen.add(event.uri)
                            if want <= seen:
                                break
                assert not seen & hidden
        finally:
            rt.cluster.close()


def _deployment(ns: str, name: str, ready: int) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "uid": f"u-{ns}-{name}", "creationTimestamp": "2026-01-01T00:00:00Z",
                         "annotations": {"deployment.kubernetes.io/revision": "1"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "app", "image": f"acme/{name}:v1"}]}}},
            "status": {"replicas": 2, "readyReplicas": ready, "availableReplicas": ready, "updatedReplicas": 2}}


async def test_other_lists_page_across_two_hundred_namespaces(tmp_path):
    """A list too large for one answer is cut and says so; paged with offset/limit every row comes
    once, problems first, counts over the whole list in every page."""
    namespaces = [f"ns-{n:03d}" for n in range(200)]
    deps = [_deployment(ns, f"app-{i}", 1 if (n * 3 + i) % 40 == 0 else 2) for n, ns in enumerate(namespaces) for i in range(3)]
    with FakeKubeAPI(ClusterData(deployments=deps)) as api:
        kc = write_kubeconfig(tmp_path / "kc", api.url, namespace=namespaces[0])
        server, rt = build_server(ServerConfig(kubeconfig=kc, namespaces=namespaces[1:], audit_log=tmp_path / "a.jsonl", rag=False,
                                               call_timeout=SLOW_MACHINE, max_result_bytes=100_000))
        try:
            async with Client(server) as c:
                whole = (await c.call_tool("list_workloads", {"namespace": "*", "kind": "Deployment"})).structured_content
                assert whole["total"] == 600 and whole["unhealthy"] == 15 and len(whole["workloads"]) < 600
                assert whole["truncated"]["items_left_out"]["workloads"] == 600 - len(whole["workloads"])
                offset, seen, pages = 0, [], 0
                while True:
                    r = await c.call_tool("list_workloads", {"namespace": "*", "kind": "Deployment", "offset": offset, "limit": 150})
                    res = r.structured_content
                    assert not r.is_error and "truncated" not in res and res["total"] == 600 and res["unhealthy"] == 15
                    seen += [(w["namespace"], w["name"]) for w in res["workloads"]]
                    pages += 1
                    if pages == 1:
                        assert all(not w["healthy"] for w in res["workloads"][:15]) and res["page"]["next_offset"] == 150
                        assert "offset=150" in res["page"]["how_to_get_more"]
                    if "next_offset" not in res["page"]:
                        break
                    offset = res["page"]["next_offset"]
                assert pages == 4 and len(seen) == len(set(seen)) == 600
        finally:
            rt.cluster.close()


def _until(predicate, seconds: float = 10.0) -> bool:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_a_cluster_wide_cache_replaces_the_namespace_watches(tmp_path):
    from sre_mcp.backends.kubernetes import KubernetesCluster

    with FakeKubeAPI(ClusterData(pods=[p for i, ns in enumerate(ALLOWED) for p in bulk_pods(ns, 4, start=i * 4)])) as api:
        cluster = KubernetesCluster(write_kubeconfig(tmp_path / "kc", api.url), None, False, 30.0, cluster_wide_at=3)
        try:
            assert len(cluster.list_many("Pod", ALLOWED[:2])) == 8  # two namespaces: a watch each
            assert _until(lambda: api.open_watches == 2)
            gen = cluster.generation("Pod", "shop")
            assert len(cluster.list_many("Pod", ALLOWED)) == 12  # three: one cluster-wide watch instead
            # The namespace watches end at once on the API server (not at their 240 s timeout).
            assert _until(lambda: api.open_watches == 1)
            assert set(cluster._caches) == {("Pod", None)}
            # One namespace is now served by the cluster-wide cache, and an older version is not
            # mistaken for one of its own: the caller is told to read it all.
            assert len(cluster.list_pods("web")) == 4 and cluster.changes_since("Pod", "shop", gen) is None
        finally:
            cluster.close()


def test_credentials_without_cluster_scope_read_namespace_by_namespace(tmp_path):
    from sre_mcp.backends.kubernetes import KubernetesCluster

    with FakeKubeAPI(ClusterData(pods=[p for i, ns in enumerate(ALLOWED) for p in bulk_pods(ns, 4, start=i * 4)])) as api:
        api.forbidden = {"/api/v1/pods"}  # a Role per namespace, no ClusterRole
        cluster = KubernetesCluster(write_kubeconfig(tmp_path / "kc", api.url), None, False, 30.0, cluster_wide_at=2)
        try:
            assert {p["metadata"]["namespace"] for p in cluster.list_many("Pod", ALLOWED)} == set(ALLOWED)
            assert len(cluster.list_many("Pod", ALLOWED)) == 12
            paths = [r.split("?")[0] for r in api.requests if "watch=" not in r]
            assert paths.count("/api/v1/pods") == 1, "asked once; refused; not asked again"
            assert {f"/api/v1/namespaces/{ns}/pods" for ns in ALLOWED} <= set(paths)
        finally:
            cluster.close()


def test_what_the_feed_announces():
    from sre_mcp.changes import ChangeFeed

    feed = ChangeFeed(bus=None, allowed=lambda: ["shop", "web"])
    assert feed.uris("Pod", "web") == ["k8s://pods/web", "k8s://pods/*"]
    assert feed.uris("Pod", HIDDEN) == []
    assert feed.uris("Node", None) == ["k8s://nodes"]
    # A cluster-wide cache that listed again: every readable namespace may have changed.
    assert feed.uris("Event", None) == ["k8s://events/*", "k8s://events/shop", "k8s://events/web"]
