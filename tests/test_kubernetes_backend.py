"""The real `kubernetes` client against a local fake API server (tests/fake_k8s.py):
every Kubernetes tool gives the same answer through it as through the fixture
cluster built from the same scenario, and a dead or hung API server is a clear,
bounded tool error that leaves the other tools working."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from mcp import Client

from sre_mcp.backends.base import BackendError, NotFound
from sre_mcp.backends.kubernetes import KubernetesCluster, KubernetesDeploys, NoMetrics, _quantity
from sre_mcp.config import ServerConfig
from sre_mcp.scenarios.loader import Service
from sre_mcp.server import build_server
from sre_mcp.timeutil import iso, now_utc
from tests.fake_k8s import ClusterData, FakeKubeAPI, HangingServer, closed_port, write_kubeconfig

NS = "shop"


def _c(name: str, **kw) -> dict:
    return {"name": name, "image": kw.pop("image", f"acme/{name}:v1"), **kw}


PODS = [
    {"name": "checkout-crash1", "namespace": NS, "service": "checkout", "node": "w1", "created": "-3d", "usage": {"cpu": "5m", "memory": "500Mi"},
     "containers": [_c("checkout", ready=False, restarts=31, state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
                       last_state={"terminated": {"reason": "OOMKilled", "exit_code": 137, "started": "-9m", "finished": "-8m"}},
                       resources={"limits": {"memory": "512Mi"}}, liveness={"http": "/healthz", "port": 8080})]},
    {"name": "checkout-oom22", "namespace": NS, "service": "checkout", "node": "w2", "created": "-3d",
     "containers": [_c("checkout", ready=False, restarts=4,
                       state={"terminated": {"reason": "OOMKilled", "exit_code": 137, "started": "-20m", "finished": "-10m"}})]},
    {"name": "checkout-ok333", "namespace": NS, "service": "checkout", "node": "w1", "created": "-2d", "usage": {"cpu": "120m", "memory": "300Mi"},
     "containers": [_c("checkout")]},
    {"name": "cart-imgpull4", "namespace": NS, "service": "cart", "node": "w2", "created": "-30m",
     "containers": [_c("cart", image="acme/cart:v9-typo", ready=False,
                       state={"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}})]},
    {"name": "cart-pending5", "namespace": NS, "service": "cart", "created": "-25m", "phase": "Pending",
     "containers": [_c("cart", ready=False, state={"waiting": {}})]},
    {"name": "migrate-done6", "namespace": NS, "service": "migrate", "node": "w1", "created": "-1d", "phase": "Succeeded",
     "containers": [_c("migrate", ready=False, state={"terminated": {"reason": "Completed", "exit_code": 0, "started": "-1d", "finished": "-1d"}})]},
    {"name": "cart-evicted7", "namespace": NS, "service": "cart", "node": "w3", "created": "-2d", "phase": "Failed", "reason": "Evicted",
     "message": "The node was low on resource: memory.", "containers": [_c("cart", ready=False, state={"waiting": {}})]},
]
EXPECTED_STATUS = {
    "checkout-crash1": "CrashLoopBackOff", "checkout-oom22": "OOMKilled", "checkout-ok333": "Running",
    "cart-imgpull4": "ImagePullBackOff", "cart-pending5": "Pending", "migrate-done6": "Completed", "cart-evicted7": "Evicted",
}
DEPLOYMENTS = [
    {"name": "checkout", "namespace": NS, "replicas": 3, "ready": 1, "image": "acme/checkout:v1", "revision": 7, "created": "-40d"},
    {"name": "cart", "namespace": NS, "replicas": 2, "ready": 0, "image": "acme/cart:v9-typo", "revision": 3, "created": "-40d"},
]
EVENTS = [
    {"namespace": NS, "type": "Warning", "reason": "BackOff", "object": "pod/checkout-crash1",
     "message": "Back-off restarting failed container", "at": "-3m", "count": 40},
    {"namespace": NS, "type": "Warning", "reason": "OOMKilling", "object": "pod/checkout-crash1",
     "message": "Memory cgroup out of memory", "at": "-8m", "first": "-2h", "count": 31},
    {"namespace": NS, "type": "Warning", "reason": "Failed", "object": "pod/cart-imgpull4",
     "message": "Failed to pull image acme/cart:v9-typo: not found", "at": "-5m"},
    {"namespace": NS, "type": "Warning", "reason": "FailedScheduling", "object": "pod/cart-pending5",
     "message": "0/3 nodes are available: insufficient memory", "at": "-6m"},
    {"namespace": NS, "type": "Normal", "reason": "Pulled", "object": "pod/checkout-ok333", "message": "Container image already present", "at": "-2d"},
    {"namespace": NS, "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/checkout",
     "message": "Scaled up replica set checkout-7d9 to 3", "at": "-40m"},
]


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("k8s-scenario")
    (d / "scenario.yaml").write_text(yaml.safe_dump({
        "title": "fake cluster parity", "namespaces": [NS],
        "services": [{"name": "checkout", "namespace": NS, "deployment": "checkout", "team": "shop"},
                     {"name": "cart", "namespace": NS, "deployment": "cart", "team": "shop"}],
    }))
    (d / "pods.yaml").write_text(yaml.safe_dump(PODS))
    (d / "deployments.yaml").write_text(yaml.safe_dump(DEPLOYMENTS))
    (d / "events.yaml").write_text(yaml.safe_dump(EVENTS))
    (d / "pod_logs").mkdir()
    (d / "pod_logs" / "checkout-crash1.log").write_text("".join(f"{{T-1m}} INFO starting up step {i}\n" for i in range(30)))
    (d / "pod_logs" / "checkout-crash1.previous.log").write_text(
        "{T-9m} INFO serving\n{T-8m} WARN heap at 97%\n{T-8m} ERROR java.lang.OutOfMemoryError: Java heap space\n")
    return d


def _rs(deploy: str, revision: int, image: str, ago: timedelta, cause: str | None) -> dict:
    ann = {"deployment.kubernetes.io/revision": str(revision)}
    if cause:
        ann["kubernetes.io/change-cause"] = cause
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": f"{deploy}-{revision:03d}abc", "namespace": NS, "creationTimestamp": iso(now_utc() - ago),
                     "annotations": ann, "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": deploy, "controller": True}]},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": deploy, "image": image}]}}},
        "status": {"replicas": 1},
    }


REPLICASETS = [
    _rs("checkout", 7, "acme/checkout:v1", timedelta(hours=2), "kubectl set image deploy/checkout checkout=acme/checkout:v1"),
    _rs("checkout", 6, "acme/checkout:v0.9", timedelta(days=3), None),
    _rs("checkout", 5, "acme/checkout:v0.8", timedelta(days=20), "old"),
    _rs("cart", 3, "acme/cart:v9-typo", timedelta(minutes=30), "bump cart"),
]


async def _call(c: Client, name: str, args: dict):
    r = await c.call_tool(name, args)
    structured = dict(r.structured_content or {})
    # Only the watched cluster has a list version (its watch cache's generation); the rest must agree.
    structured.pop("generation", None)
    text = re.sub(r'\n  "generation": \d+,', "", r.content[0].text if r.content else "")
    return r.is_error, structured, text


def _real_server(tmp_path: Path, server_url: str, timeout: float = 10.0, **kw):
    kc = write_kubeconfig(tmp_path / "kubeconfig", server_url, namespace=NS)
    return build_server(ServerConfig(kubeconfig=kc, audit_log=tmp_path / "audit-real.jsonl", rag=False, call_timeout=timeout, **kw))


async def test_tools_answer_the_same_through_fixture_and_real_client(scenario_dir, tmp_path):
    fixture_server, frt = build_server(ServerConfig(scenario=str(scenario_dir), audit_log=tmp_path / "audit.jsonl", rag=False))
    sc = frt.scenario
    data = ClusterData.from_scenario(sc)
    data.replicasets = REPLICASETS
    with FakeKubeAPI(data) as api:
        real_server, rrt = _real_server(tmp_path, api.url)
        assert rrt.cluster.kind == "kubernetes" and rrt.allowed_namespaces == [NS]
        calls = [("list_pods", {"namespace": NS}),
                 ("list_pods", {"namespace": NS, "status_filter": "unhealthy"}),
                 ("list_pods", {"namespace": NS, "status_filter": "OOMKilled"}),
                 ("list_deployments", {"namespace": NS}),
                 ("get_events", {"namespace": NS}),
                 ("get_events", {"namespace": NS, "event_type": "Warning", "limit": 3}),
                 ("get_pod_logs", {"namespace": NS, "pod_name": "checkout-crash1", "lines": 5}),
                 ("get_pod_logs", {"namespace": NS, "pod_name": "checkout-crash1", "previous": True}),
                 ("get_pod_logs", {"namespace": NS, "pod_name": "checkout-ok333", "previous": True}),
                 ("get_pod_logs", {"namespace": NS, "pod_name": "checkout-crash1", "container": "nope"}),
                 ("describe_pod", {"namespace": NS, "pod_name": "no-such-pod"})]
        calls += [("describe_pod", {"namespace": NS, "pod_name": p["name"]}) for p in PODS]
        async with Client(fixture_server) as fc, Client(real_server) as rc:
            for name, args in calls:
                fixture_answer = await _call(fc, name, args)
                real_answer = await _call(rc, name, args)
                if fixture_answer[0]:
                    # Errors: the real API words its own message; what the caller can act on is the same.
                    f_err, r_err = fixture_answer[1]["error"], real_answer[1]["error"]
                    assert real_answer[0] and r_err.get("hint") == f_err.get("hint"), (name, args, r_err)
                    assert args["pod_name"] in r_err["message"], r_err
                else:
                    assert real_answer == fixture_answer, (name, args)
            # And the answers are right, not merely equal.
            _, pods, _ = await _call(rc, "list_pods", {"namespace": NS})
            assert {p["name"]: p["status"] for p in pods["pods"]} == EXPECTED_STATUS
            crash = next(p for p in pods["pods"] if p["name"] == "checkout-crash1")
            assert crash["restarts"] == 31 and crash["last_termination"]["reason"] == "OOMKilled"
            assert crash["last_termination"]["exit_code"] == 137 and crash["cpu"] == "5m" and crash["memory"] == "500Mi"
            assert pods["pods"][-1]["healthy"], "unhealthy pods first"
            err, logs, _ = await _call(rc, "get_pod_logs", {"namespace": NS, "pod_name": "checkout-crash1", "lines": 5})
            assert not err and logs["lines"][-1].endswith("step 29") and logs["line_count"] == 5
            assert any("tailLines=5" in r for r in api.requests)
            err, prev, _ = await _call(rc, "get_pod_logs", {"namespace": NS, "pod_name": "checkout-crash1", "previous": True})
            assert not err and prev["errors"] == 1 and "OutOfMemoryError" in prev["lines"][-1]
            err, _, text = await _call(rc, "get_pod_logs", {"namespace": NS, "pod_name": "checkout-ok333", "previous": True})
            assert err and "previous terminated container" in text and "without previous=true" in text
            err, _, text = await _call(rc, "describe_pod", {"namespace": NS, "pod_name": "no-such-pod"})
            assert err and "not found" in text and "checkout-crash1" in text and "cart-evicted7" in text
            _, desc, _ = await _call(rc, "describe_pod", {"namespace": NS, "pod_name": "checkout-crash1"})
            assert desc["containers"][0]["last_state"]["reason"] == "OOMKilled"
            assert [e["reason"] for e in desc["events"]] == ["OOMKilling", "BackOff"]
            assert desc["containers"][0]["liveness"].startswith("http-get http://:8080/healthz")
            _, warn, _ = await _call(rc, "get_events", {"namespace": NS, "event_type": "Warning"})
            assert warn["total"] == 4 and [e["reason"] for e in warn["events"]][0] == "BackOff"
            _, deps, _ = await _call(rc, "list_deployments", {"namespace": NS})
            assert [d["name"] for d in deps["deployments"]] == ["cart", "checkout"] and deps["degraded"] == 2
            # Namespace allow-list: the context's namespace only.
            err, _, text = await _call(rc, "list_pods", {"namespace": "kube-system"})
            assert err and "allowed namespaces: shop" in text

            # Services are discovered from deployments; deploys come from ReplicaSets.
            _, services, _ = await _call(rc, "list_services", {})
            assert {s["name"] for s in services["services"]} == {"checkout", "cart"}
            err, deploys, text = await _call(rc, "get_recent_deploys", {"service_name": "checkout", "hours_back": 24 * 7})
            assert not err, text
            assert [(d["revision"], d["version"], d["status"]) for d in deploys["deploys"]] == [(7, "v1", "rolling out"), (6, "v0.9", "superseded")]
            assert deploys["deploys"][0]["change"].startswith("kubectl set image") and deploys["deploys"][1]["change"] is None
            err, health, text = await _call(rc, "check_service_health", {"service_name": "checkout"})
            assert not err and health["status"] == "critical" and health["error_rate"] is None, text
        assert not any("Authorization" in r for r in api.requests)  # the token travels as a header only


def test_deploys_status_current_when_rollout_complete():
    class Cluster:
        def list_deployments(self, ns):
            return [{"metadata": {"name": "cart", "annotations": {"deployment.kubernetes.io/revision": "3"}},
                     "spec": {"replicas": 2}, "status": {"updatedReplicas": 2, "availableReplicas": 2}}]

        def list_replicasets(self, ns):
            return REPLICASETS

    d = KubernetesDeploys(Cluster(), lambda: [Service("cart", NS, "cart")])
    rows = d.deploys("cart", now_utc() - timedelta(hours=1))
    assert [(r["revision"], r["status"], r["image"], r["version"]) for r in rows] == [(3, "current", "acme/cart:v9-typo", "v9-typo")]
    assert d.deploys("unknown", now_utc() - timedelta(days=1)) == []
    assert NoMetrics().service_metrics("x") is None and NoMetrics().alerts("x") == []


def test_default_namespace_from_context(tmp_path):
    kc = write_kubeconfig(tmp_path / "kc", "http://127.0.0.1:1", namespace="payments")
    assert KubernetesCluster(kc, None, False, 1).default_namespaces() == ["payments"]
    kc2 = write_kubeconfig(tmp_path / "kc2", "http://127.0.0.1:1")
    assert KubernetesCluster(kc2, None, False, 1).default_namespaces() == ["default"]
    # Unknown context: nothing to read, the API's default namespace.
    assert KubernetesCluster(kc, "other", False, 1).default_namespaces() == ["default"]


def test_backend_errors_are_clear(tmp_path):
    with FakeKubeAPI(ClusterData()) as api:
        wrong_token = write_kubeconfig(tmp_path / "kc", api.url, token="wrong")
        with pytest.raises(BackendError, match=r"refused access.*401") as e:
            KubernetesCluster(wrong_token, None, False, 2).list_pods("x")
        assert "RBAC" in e.value.hint
        ok = KubernetesCluster(write_kubeconfig(tmp_path / "kc2", api.url), None, False, 2)
        assert ok.version()["gitVersion"] == "v1.30.0-fake"
        assert ok.pod_usage(NS) == {}  # metrics-server absent (404) is not an error
        assert ok.read_pod(NS, "missing") is None
        with pytest.raises(NotFound):
            ok.pod_log(NS, "missing", None, 10, False)
    with pytest.raises(BackendError, match="kubeconfig not found"):
        KubernetesCluster(tmp_path / "absent", None, False, 1).list_pods("x")
    with pytest.raises(BackendError, match="cannot load Kubernetes configuration") as e:
        KubernetesCluster(tmp_path / "kc2", "nope", False, 1).list_pods("x")
    assert "fake" in e.value.hint


def test_unreachable_api_server_fails_fast(tmp_path):
    cluster = KubernetesCluster(write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{closed_port()}"), None, False, 2)
    t0 = time.monotonic()
    with pytest.raises(BackendError, match="cannot reach .*connection refused"):
        cluster.list_pods(NS)
    assert time.monotonic() - t0 < 2


async def test_hung_and_dead_api_server_are_bounded_tool_errors(tmp_path):
    hanging = HangingServer()
    try:
        # A hung server: the backend's read timeout (0.8 x the call deadline) usually wins
        # the race with the call deadline; both messages name the timeout.
        for url, expect in ((hanging.url, r"did not answer within (0\.8|1)s|timed out after 1s"), (f"http://127.0.0.1:{closed_port()}", "connection refused")):
            server, rt = _real_server(tmp_path, url, timeout=1.0)
            async with Client(server) as c:
                t0 = time.monotonic()
                err, _, text = await _call(c, "list_pods", {"namespace": NS})
                elapsed = time.monotonic() - t0
                assert err and re.search(expect, text), text
                assert elapsed < 5, elapsed
                # The server keeps answering: tools that need no cluster still work.
                err, rb, text = await _call(c, "search_runbooks", {"query": "pod OOMKilled crash loop"})
                assert not err and rb, text
                err, _, text = await _call(c, "describe_pod", {"namespace": NS, "pod_name": "x"})
                assert err and re.search(expect, text), text
    finally:
        hanging.close()


def test_hung_api_server_times_out_in_the_backend(tmp_path):
    hanging = HangingServer()
    try:
        cluster = KubernetesCluster(write_kubeconfig(tmp_path / "kc", hanging.url), None, False, 0.5)
        t0 = time.monotonic()
        with pytest.raises(BackendError, match=r"did not answer within 0.5s"):
            cluster.read_pod(NS, "x")
        assert time.monotonic() - t0 < 2, "no retries multiply the wait"
    finally:
        hanging.close()


def _coarse(value):
    """Ages under two minutes are printed in seconds and tick between two calls."""
    if isinstance(value, dict):
        # Usage: metrics-server figures are rendered like `kubectl top` (Mi, m); the
        # scenario may write 1.1Gi. Compare the quantities.
        return {k: (int(_quantity(v) * 1000 if k == "cpu" else _quantity(v) / 2**20) if k in ("cpu", "memory") and isinstance(v, str) else _coarse(v))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_coarse(v) for v in value)
    if isinstance(value, str) and re.fullmatch(r"\d+s( ago)?", value):
        return "<seconds>"
    return value


async def test_shipped_incident_is_the_same_through_the_real_client(tmp_path):
    from sre_mcp.scenarios.loader import list_shipped

    if "payments-incident" not in list_shipped():
        pytest.skip("payments-incident scenario not shipped yet")
    fixture_server, frt = build_server(ServerConfig(scenario="payments-incident", audit_log=tmp_path / "a.jsonl", rag=False))
    sc = frt.scenario
    with FakeKubeAPI(ClusterData.from_scenario(sc)) as api:
        real_server, rrt = _real_server(tmp_path, api.url, namespaces=sc.namespaces)
        async with Client(fixture_server) as fc, Client(real_server) as rc:
            for ns in sc.namespaces:
                calls = [("list_pods", {"namespace": ns}), ("list_deployments", {"namespace": ns}), ("get_events", {"namespace": ns})]
                calls += [(t, {"namespace": ns, "pod_name": p["metadata"]["name"]}) for p in sc.pods
                          if p["metadata"]["namespace"] == ns for t in ("describe_pod", "get_pod_logs")]
                for name, args in calls:
                    # Error flag and structured content (the text is its JSON rendering).
                    real, fixture = _coarse((await _call(rc, name, args))[:2]), _coarse((await _call(fc, name, args))[:2])
                    assert real == fixture, (name, args)


async def test_in_cluster_config_over_https_with_the_service_account(scenario_dir, tmp_path, monkeypatch):
    """--in-cluster: host/port from the environment, token + CA + namespace from the
    service-account mount, TLS verified against that CA; the real client end to end."""
    import sre_mcp.backends.kubernetes as kube
    from tests.fake_k8s import self_signed_cert

    _, frt = build_server(ServerConfig(scenario=str(scenario_dir), audit_log=tmp_path / "f.jsonl", rag=False))
    cert, key = self_signed_cert(tmp_path / "tls")
    sa = tmp_path / "serviceaccount"
    sa.mkdir()
    (sa / "token").write_text("sa-token-123")
    (sa / "ca.crt").write_text(cert.read_text())
    (sa / "namespace").write_text(NS + "\n")
    monkeypatch.setattr(kube, "SA_DIR", sa)
    with FakeKubeAPI(ClusterData.from_scenario(frt.scenario), token="sa-token-123", tls=(cert, key)) as api:
        assert api.url.startswith("https://")
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(api.port))
        server, rt = build_server(ServerConfig(in_cluster=True, audit_log=tmp_path / "a.jsonl", rag=False, call_timeout=10))
        assert rt.cluster.kind == "kubernetes" and rt.allowed_namespaces == [NS]
        async with Client(server) as c:
            err, pods, text = await _call(c, "list_pods", {"namespace": NS})
            assert not err, text
            assert {p["name"] for p in pods["pods"]} == {p["metadata"]["name"] for p in ClusterData.from_scenario(frt.scenario).pods
                                                          if p["metadata"]["namespace"] == NS}
        assert any(r.startswith(f"/api/v1/namespaces/{NS}/pods") for r in api.requests)

        # A CA that did not sign the server's certificate: a clear tool error, not a hang or a traceback.
        other, _ = self_signed_cert(tmp_path / "other")
        (sa / "ca.crt").write_text(other.read_text())
        server, _ = build_server(ServerConfig(in_cluster=True, audit_log=tmp_path / "b.jsonl", rag=False, call_timeout=10))
        async with Client(server) as c:
            err, _, text = await _call(c, "list_pods", {"namespace": NS})
            assert err and "Traceback" not in text and "cannot verify the Kubernetes API server's TLS certificate" in text, text
            assert "certificate verify failed" in text and "ca.crt" in text, text


async def test_in_cluster_outside_a_pod_is_a_clear_error(tmp_path, monkeypatch):
    import sre_mcp.backends.kubernetes as kube

    monkeypatch.setattr(kube, "SA_DIR", tmp_path / "nowhere")
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    server, rt = build_server(ServerConfig(in_cluster=True, audit_log=tmp_path / "a.jsonl", rag=False))
    assert rt.allowed_namespaces == ["default"]
    async with Client(server) as c:
        err, _, text = await _call(c, "list_pods", {"namespace": "default"})
        assert err and "in-cluster configuration" in text and "--kubeconfig" in text, text
