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

    python benchmarks/bench_cluster.py [--pods 5002] [--runs 5]
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

from tests.fake_k8s import ClusterData, FakeKubeAPI, bulk_pods, write_kubeconfig  # noqa: E402

NS = "payments"
PANE_PAGE = 500  # as the pods pane pages (widgets/pods.py PAGE_ROWS)


def raw_get(api: FakeKubeAPI) -> float:
    t = time.perf_counter()
    req = urllib.request.Request(f"{api.url}/api/v1/namespaces/{NS}/pods", headers={"Authorization": f"Bearer {api.token}"})
    with urllib.request.urlopen(req) as r:
        body = json.loads(r.read())
    assert len(body["items"]) > 0
    return (time.perf_counter() - t) * 1000


def server_params(kubeconfig: Path, tmp: Path) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "sre_mcp", "--kubeconfig", str(kubeconfig), "--no-rag",
                                                              "--audit-log", str(tmp / "audit.jsonl")],
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


async def pane(kubeconfig: Path, tmp: Path, total: int) -> float:
    """The console (headless Textual) on the stand-in, opened on the big namespace: from start
    until its pods table holds every row and its footer says so."""
    import os

    from sre_console.app import SREConsoleApp
    from sre_console.host.config import builtin_server
    from sre_console.host.host import McpHost
    from sre_console.settings import Settings

    def factory() -> McpHost:
        return McpHost([builtin_server(["--kubeconfig", str(kubeconfig), "--no-rag", "--audit-log", str(tmp / "a2.jsonl")])])

    settings = Settings(refresh_interval=0, path=Path(os.environ.get("SRE_CONFIG_DIR", str(tmp))) / "config.yaml")
    app = SREConsoleApp(host_factory=factory, settings=settings, refresh_interval=0, namespace=NS)
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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=5002)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-pane", action="store_true")
    args = ap.parse_args()
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
