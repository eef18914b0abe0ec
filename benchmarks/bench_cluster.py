"""list_pods at scale, over real stdio, against the Kubernetes API stand-in.

The stand-in (tests/fake_k8s.py) holds 5,002 pods in one namespace (one in fifty in
CrashLoopBackOff). In the same run it measures:

1. the raw API GET of that list (HTTP + JSON decode): the floor;
2. `list_pods` over stdio through the official client: the first call (list + watch
   start) and warm calls (served from the watch cache), default page (the model's
   view: summary, every unhealthy pod, the first healthy ones);
3. every row, paged as the pods pane pages (limit 500): the server's share of the pane;
4. the pods pane itself (the Textual app, headless, its own server) from start to all
   5,002 rows in its table and "5002/5002 pods" in its footer.

Then the same over 200 namespaces of 25 pods (one pod in fifty of the cluster in
CrashLoopBackOff), the server allowed all 200:

5. the raw API GET of every pod of the cluster (`/api/v1/pods`): the floor;
6. how the real backend reads 200 namespaces, in process: a list + watch per namespace
   against one cluster-wide list + watch filtered to the allow-list (cold read, requests,
   watches, a warm read, a change's delta);
7. `list_pods(namespace="*")` over stdio: first call, warm calls, every row paged 500 at
   a time, and the refresh after one pod changed (`changed_since`);
8. the pods pane opened on "*": start to all rows in its table and the footer's count.

    python benchmarks/bench_cluster.py [--pods 5002] [--runs 5] [--namespaces 200 --pods-each 25]
                                       [--case one|all|both] [--no-pane]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

from tests.fake_k8s import ClusterData, FakeKubeAPI, bulk_namespaces, bulk_pods, write_kubeconfig  # noqa: E402

NS = "payments"
PANE_PAGE = 500  # as the pods pane pages (widgets/pods.py PAGE_ROWS)


def raw_get(api: FakeKubeAPI, path: str = f"/api/v1/namespaces/{NS}/pods") -> float:
    t = time.perf_counter()
    req = urllib.request.Request(f"{api.url}{path}", headers={"Authorization": f"Bearer {api.token}"})
    with urllib.request.urlopen(req) as r:
        body = json.loads(r.read())
    assert len(body["items"]) > 0
    return (time.perf_counter() - t) * 1000


def server_params(kubeconfig: Path, tmp: Path, extra: list[str] | None = None) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "sre_mcp", "--kubeconfig", str(kubeconfig), "--no-rag",
                                                              "--audit-log", str(tmp / "audit.jsonl"), *(extra or [])],
                                 env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp)})


async def over_stdio(params: StdioServerParameters, runs: int, total: int) -> dict[str, object]:
    out: dict[str, object] = {}
    async with Client(stdio_client(params, errlog=open("/dev/null", "w"))) as c:
        # Warm-up that lists no pods: the server imports the client library on first use.
        await c.call_tool("get_object", {"kind": "node", "name": "node-00"})
        t = time.perf_counter()
        r = await c.call_tool("list_pods", {"namespace": NS})
        out["first"] = (time.perf_counter() - t) * 1000
        assert not r.is_error, r.content
        first = r.structured_content
        assert first["total"] == total, first["total"]
        out["model_view"] = {k: first[k] for k in ("total", "unhealthy", "by_status")} | {
            "pods_in_page": len(first["pods"]), "bytes": len(r.content[0].text), "next_offset": first["page"]["next_offset"]}
        warm = []
        for _ in range(runs):
            t = time.perf_counter()
            await c.call_tool("list_pods", {"namespace": NS})
            warm.append((time.perf_counter() - t) * 1000)
        out["warm"] = warm
        paged = []
        for _ in range(runs):
            t = time.perf_counter()
            offset, rows = 0, 0
            while True:
                r = await c.call_tool("list_pods", {"namespace": NS, "offset": offset, "limit": PANE_PAGE})
                res = r.structured_content
                assert not r.is_error and "truncated" not in res, res.get("truncated")
                rows += len(res["pods"])
                if "next_offset" not in (res.get("page") or {}):
                    break
                offset = res["page"]["next_offset"]
            assert rows == total, rows
            paged.append((time.perf_counter() - t) * 1000)
        out["all_rows"] = paged
    return out


async def pane(kubeconfig: Path, tmp: Path, total: int, namespace: str = NS, extra: list[str] | None = None) -> float:
    """The console (headless Textual) on the stand-in, opened on the big namespace: from start
    until its pods table holds every row and its footer says so."""
    import os

    from sre_console.app import SREConsoleApp
    from sre_console.host.config import builtin_server
    from sre_console.host.host import McpHost
    from sre_console.settings import Settings

    def factory() -> McpHost:
        return McpHost([builtin_server(["--kubeconfig", str(kubeconfig), "--no-rag", "--audit-log", str(tmp / "a2.jsonl"), *(extra or [])])])

    settings = Settings(refresh_interval=0, path=Path(os.environ.get("SRE_CONFIG_DIR", str(tmp))) / "config.yaml")
    app = SREConsoleApp(host_factory=factory, settings=settings, refresh_interval=0, namespace=namespace)
    t = time.perf_counter()
    async with app.run_test(size=(160, 50)) as pilot:
        want = f"{total}/{total} pods"
        for _ in range(12000):
            await pilot.pause(0.01)
            pods = app.pods
            if pods.table.row_count == total and want in str(pods.border_subtitle or ""):
                break
        else:
            raise AssertionError(f"pane shows {app.pods.table.row_count} rows, footer {app.pods.border_subtitle!r}")
        return (time.perf_counter() - t) * 1000


def strategies(api: FakeKubeAPI, kubeconfig: Path, namespaces: list[str]) -> dict[str, dict[str, float]]:
    """The real backend reading every namespace, in process, both ways: a list + watch per
    namespace, and one cluster-wide list + watch filtered to the namespaces asked for."""
    import copy
    import logging

    from sre_mcp.backends.kubernetes import KubernetesCluster

    logging.getLogger("urllib3").setLevel(logging.ERROR)  # 200 watches overflow the client's pool of 10 (by design)
    out = {}
    for label, wide_at in (("per-namespace", 10**9), ("cluster-wide", 1)):
        c = KubernetesCluster(kubeconfig, None, False, 30.0, cluster_wide_at=wide_at)
        c._client()  # the client library's import is not part of the read
        requests, watches = len(api.requests), api.watches
        t = time.perf_counter()
        pods = c.list_many("Pod", namespaces)
        cold = (time.perf_counter() - t) * 1000
        want = len(namespaces) if label == "per-namespace" else 1
        while api.watches - watches < want:
            time.sleep(0.005)
        warm = []
        for _ in range(5):
            t = time.perf_counter()
            c.list_many("Pod", namespaces)
            warm.append((time.perf_counter() - t) * 1000)
        gen = c.generation_many("Pod", namespaces)
        changed = copy.deepcopy(pods[len(pods) // 2])
        changed["status"]["phase"] = "Pending"
        api.put("Pod", changed)
        while not (c.changes_since_many("Pod", namespaces, gen) or (0, []))[1]:
            time.sleep(0.002)
        t = time.perf_counter()
        c.changes_since_many("Pod", namespaces, gen)
        delta = (time.perf_counter() - t) * 1000
        out[label] = {"cold_ms": cold, "requests": len(api.requests) - requests, "watches": api.watches - watches,
                      "warm_ms": statistics.median(warm), "delta_ms": delta, "pods": len(pods)}
        c.close()
    return out


async def over_stdio_all(params: StdioServerParameters, runs: int, total: int, api: FakeKubeAPI, first_pod: dict) -> dict[str, object]:
    """list_pods(namespace="*") over stdio: cold, warm, every row paged, and the refresh after one change."""
    import copy

    out: dict[str, object] = {}
    async with Client(stdio_client(params, errlog=open("/dev/null", "w"))) as c:
        await c.call_tool("get_object", {"kind": "node", "name": "node-00"})
        t = time.perf_counter()
        r = await c.call_tool("list_pods", {"namespace": "*"})
        out["first"] = (time.perf_counter() - t) * 1000
        assert not r.is_error, r.content
        first = r.structured_content
        assert first["total"] == total, first["total"]
        out["model_view"] = {k: first[k] for k in ("total", "namespaces", "unhealthy")} | {
            "namespaces_with_unhealthy": len(first["unhealthy_by_namespace"]), "pods_in_page": len(first["pods"]),
            "bytes": len(r.content[0].text), "next_offset": first["page"]["next_offset"]}
        warm = []
        for _ in range(runs):
            t = time.perf_counter()
            r = await c.call_tool("list_pods", {"namespace": "*"})
            warm.append((time.perf_counter() - t) * 1000)
        out["warm"] = warm
        gen = r.structured_content["generation"]
        paged = []
        for _ in range(runs):
            t = time.perf_counter()
            offset, keys = 0, set()
            while True:
                r = await c.call_tool("list_pods", {"namespace": "*", "offset": offset, "limit": PANE_PAGE})
                res = r.structured_content
                assert not r.is_error and "truncated" not in res, res.get("truncated")
                keys |= {(p["namespace"], p["name"]) for p in res["pods"]}
                if "next_offset" not in (res.get("page") or {}):
                    break
                offset = res["page"]["next_offset"]
            assert len(keys) == total, len(keys)  # every row once, none lost between pages
            paged.append((time.perf_counter() - t) * 1000)
        out["all_rows"] = paged
        # One pod changes in the API: what the refresh of an all-namespaces copy costs.
        changed = copy.deepcopy(first_pod)
        changed["status"]["phase"] = "Pending"
        api.put("Pod", changed)
        deltas = []
        for _ in range(200):
            t = time.perf_counter()
            r = await c.call_tool("list_pods", {"namespace": "*", "changed_since": gen})
            took = (time.perf_counter() - t) * 1000
            if r.structured_content.get("changed"):
                deltas.append(took)
                break
            await asyncio.sleep(0.01)
        for _ in range(runs - 1):
            t = time.perf_counter()
            r = await c.call_tool("list_pods", {"namespace": "*", "changed_since": gen})
            deltas.append((time.perf_counter() - t) * 1000)
        assert len(r.structured_content["changed"]) == 1, r.structured_content
        out["delta"] = deltas
        out["delta_bytes"] = len(r.content[0].text)
    return out


def all_namespaces_case(args: argparse.Namespace) -> None:
    namespaces = [f"ns-{n:03d}" for n in range(args.namespaces)]
    total = args.namespaces * args.pods_each
    pods = bulk_namespaces(args.namespaces, args.pods_each)
    with tempfile.TemporaryDirectory() as d, FakeKubeAPI(ClusterData(pods=pods)) as api:
        tmp = Path(d)
        kc = write_kubeconfig(tmp / "kubeconfig", api.url, namespace=namespaces[0])
        extra = ["--namespaces", ",".join(namespaces[1:])]
        raw = [raw_get(api, "/api/v1/pods") for _ in range(args.runs + 1)][1:]
        ways = strategies(api, kc, namespaces)
        res = asyncio.run(over_stdio_all(server_params(kc, tmp, extra), args.runs, total, api, pods[total // 3]))
        raw += [raw_get(api, "/api/v1/pods") for _ in range(args.runs)]
        floor = statistics.median(raw)
        print()
        print(f"{args.namespaces} namespaces x {args.pods_each} pods = {total} pods, all {args.namespaces} allowed")
        print(f"raw API GET of every pod (/api/v1/pods, HTTP + JSON decode): median {floor:.0f} ms (n={len(raw)})")
        for label, w in ways.items():
            print(f"  backend, {label}: cold read {w['cold_ms']:.0f} ms = {w['cold_ms'] / floor:.1f}x the raw GET, "
                  f"{w['requests']} API requests, {w['watches']} watches; warm read {w['warm_ms']:.2f} ms; "
                  f"one change's delta {w['delta_ms']:.2f} ms")
        warm = statistics.median(res["warm"])
        rows = statistics.median(res["all_rows"])
        delta = statistics.median(res["delta"])
        print(f"list_pods(namespace='*') over stdio, first call (list + start watch): {res['first']:.0f} ms = "
              f"{res['first'] / floor:.1f}x the raw GET")
        print(f"list_pods(namespace='*') over stdio, warm (watch cache): median {warm:.0f} ms = {warm / floor:.2f}x the raw GET")
        print(f"  what the model gets: {res['model_view']}")
        print(f"every row, paged {PANE_PAGE} at a time over stdio: median {rows:.0f} ms = {rows / floor:.1f}x the raw GET")
        print(f"refresh after one pod changed (changed_since): first {res['delta'][0]:.0f} ms, median {delta:.0f} ms = "
              f"{delta / floor:.2f}x the raw GET, {res['delta_bytes']} bytes")
        if not args.no_pane:
            shown = asyncio.run(pane(kc, tmp, total, namespace="*", extra=extra))
            print(f"pods pane on '*': console start -> all {total} rows in the table, footer {total}/{total}: {shown / 1000:.1f} s")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=5002)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--namespaces", type=int, default=200)
    ap.add_argument("--pods-each", type=int, default=25)
    ap.add_argument("--case", choices=("one", "all", "both"), default="both")
    ap.add_argument("--no-pane", action="store_true")
    args = ap.parse_args()
    if args.case != "one":
        all_namespaces_case(args)
    if args.case == "all":
        return 0
    with tempfile.TemporaryDirectory() as d, FakeKubeAPI(ClusterData(pods=bulk_pods(NS, args.pods))) as api:
        tmp = Path(d)
        kc = write_kubeconfig(tmp / "kubeconfig", api.url, namespace=NS)
        raw = [raw_get(api) for _ in range(args.runs + 1)][1:]
        res = asyncio.run(over_stdio(server_params(kc, tmp), args.runs, args.pods))
        raw += [raw_get(api) for _ in range(args.runs)]  # before and after: the same machine load
        floor = statistics.median(raw)
        warm = statistics.median(res["warm"])
        rows = statistics.median(res["all_rows"])
        print(f"pods in the namespace: {args.pods}")
        print(f"raw API GET of the list (HTTP + JSON decode): median {floor:.0f} ms (n={len(raw)})")
        print(f"list_pods over stdio, first call (list + start watch): {res['first']:.0f} ms = {res['first'] / floor:.1f}x the raw GET")
        print(f"list_pods over stdio, warm (watch cache): median {warm:.0f} ms = {warm / floor:.2f}x the raw GET  (goal <= 3x)")
        print(f"  what the model gets: {res['model_view']}")
        print(f"every row, paged {PANE_PAGE} at a time over stdio: median {rows:.0f} ms = {rows / floor:.1f}x the raw GET")
        if not args.no_pane:
            shown = asyncio.run(pane(kc, tmp, args.pods))
            print(f"pods pane: console start -> all {args.pods} rows in the table, footer {args.pods}/{args.pods}: {shown / 1000:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
