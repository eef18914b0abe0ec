"""The watch caches (backends/watch.py) against the API stand-in through the official
client: list once, then watch; a change reaches readers without a new list; 410 Gone
relists; and each change reaches an MCP client as a `subscriptions/listen`
resource-updated event (changes.py)."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import anyio
from mcp import Client

from sre_mcp.backends.kubernetes import KubernetesCluster
from sre_mcp.config import ServerConfig
from sre_mcp.server import build_server
from tests.fake_k8s import ClusterData, FakeKubeAPI, bulk_pods, write_kubeconfig

NS = "payments"


def _wait(predicate, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def _crash(pod: dict) -> dict:
    pod = copy.deepcopy(pod)
    cs = pod["status"]["containerStatuses"][0]
    cs.update(ready=False, restartCount=3, state={"waiting": {"reason": "CrashLoopBackOff"}})
    pod["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    return pod


def _lists(api: FakeKubeAPI) -> int:
    return sum(1 for r in api.requests if r.split("?")[0] == f"/api/v1/namespaces/{NS}/pods" and "watch=" not in r)


def test_watch_cache_follows_changes_and_relists_on_410(tmp_path: Path):
    pods = bulk_pods(NS, 30, unhealthy_every=0)
    with FakeKubeAPI(ClusterData(pods=pods)) as api:
        seen = []
        cluster = KubernetesCluster(write_kubeconfig(tmp_path / "kc", api.url), None, False, 5.0)
        cluster.on_change = lambda kind, ns, gen: seen.append((kind, ns, gen))
        try:
            assert len(cluster.list_pods(NS)) == 30 and _lists(api) == 1
            assert _wait(lambda: api.watches == 1)
            target = pods[7]["metadata"]["name"]
            api.put("Pod", _crash(pods[7]))
            assert _wait(lambda: any(p["metadata"]["name"] == target and not p["status"]["containerStatuses"][0]["ready"]
                                     for p in cluster.list_pods(NS)))
            api.put("Pod", {**copy.deepcopy(pods[0]), "metadata": {**pods[0]["metadata"], "name": "new-pod-1"}})
            api.delete("Pod", NS, pods[1]["metadata"]["name"])
            assert _wait(lambda: len(cluster.list_pods(NS)) == 30 and any(p["metadata"]["name"] == "new-pod-1" for p in cluster.list_pods(NS)))
            assert _lists(api) == 1, "changes came through the watch, not by listing again"
            assert [s[:2] for s in seen][:3] == [("Pod", NS)] * 3
            # A pod of another namespace is not this cache's business.
            api.put("Pod", bulk_pods("other", 1)[0])
            time.sleep(0.3)
            assert len(seen) == 3

            # The API forgets old versions: the watch gets 410 Gone, lists again, and goes on watching.
            api.compact()
            assert _wait(lambda: _lists(api) == 2)
            cache = cluster._caches[("Pod", NS)]
            assert _wait(lambda: api.watches == 2) and cache.relists == 1 and cache.live
            api.put("Pod", _crash(pods[9]))
            assert _wait(lambda: sum(1 for p in cluster.list_pods(NS) if not p["status"]["containerStatuses"][0]["ready"]) == 2)
            assert _lists(api) == 2
        finally:
            cluster.close()


def test_dead_watch_falls_back_to_listing(tmp_path: Path):
    api = FakeKubeAPI(ClusterData(pods=bulk_pods(NS, 3)))
    with api:
        cluster = KubernetesCluster(write_kubeconfig(tmp_path / "kc", api.url), None, False, 2.0)
        assert len(cluster.list_pods(NS)) == 3
        assert _wait(lambda: api.watches == 1)
    # The API server went away: the watch stops being live, and a read says why instead of serving old data.
    cache = cluster._caches[("Pod", NS)]
    assert _wait(lambda: not cache.live)
    try:
        cluster.list_pods(NS)
    except Exception as exc:
        assert "cannot reach" in str(exc) or "did not answer" in str(exc)
    else:
        raise AssertionError("a read after the watch died must list again and fail visibly")
    finally:
        cluster.close()


async def test_a_pod_change_reaches_a_listening_mcp_client(tmp_path: Path):
    pods = bulk_pods(NS, 12)
    with FakeKubeAPI(ClusterData(pods=pods)) as api:
        kc = write_kubeconfig(tmp_path / "kc", api.url, namespace=NS)
        server, rt = build_server(ServerConfig(kubeconfig=kc, audit_log=tmp_path / "audit.jsonl", rag=False))
        try:
            async with Client(server) as c:
                first = await c.call_tool("list_pods", {"namespace": NS})
                assert first.structured_content["unhealthy"] == 1
                uri = f"k8s://pods/{NS}"
                version = await c.read_resource(uri)
                assert '"live": true' in version.contents[0].text
                async with c.listen(resource_subscriptions=[uri]) as sub:
                    api.put("Pod", _crash(pods[5]))
                    with anyio.fail_after(5):
                        async for event in sub:
                            assert event.uri == uri
                            break
                after = await c.call_tool("list_pods", {"namespace": NS})
                assert after.structured_content["unhealthy"] == 2
                assert _lists(api) == 1, "the second list_pods came from the watch cache"
        finally:
            rt.cluster.close()
