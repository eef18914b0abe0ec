"""Server overhead, measured over real stdio pipes.

1. Spawn → initialize → tools/list, for our server (with and without RAG) and for a
   bare MCPServer with one echo tool.
2. Tool-call round trip p50/p95: our `list_services` (validation, audit, timeout and
   result filters included) against the bare echo tool, in the same run.

    python benchmarks/bench_server.py [--calls 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

ECHO = textwrap.dedent(
    """
    from mcp.server.mcpserver import MCPServer
    mcp = MCPServer("echo")

    @mcp.tool()
    def echo(text: str) -> str:
        return text

    mcp.run("stdio")
    """
)


async def spawn_and_list(params: StdioServerParameters) -> tuple[float, float]:
    t0 = time.perf_counter()
    async with Client(stdio_client(params, errlog=open("/dev/null", "w")), mode="legacy") as c:
        t_init = time.perf_counter() - t0
        await c.list_tools()
        return t_init, time.perf_counter() - t0


async def call_latencies(params: StdioServerParameters, tool: str, args: dict, n: int) -> list[float]:
    out = []
    async with Client(stdio_client(params, errlog=open("/dev/null", "w")), mode="legacy") as c:
        for _ in range(20):  # warm-up: first calls pay for imports and caches
            await c.call_tool(tool, args)
        for _ in range(n):
            t = time.perf_counter()
            r = await c.call_tool(tool, args)
            out.append((time.perf_counter() - t) * 1000)
            assert not r.is_error
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--spawns", type=int, default=5)
    ap.add_argument("--scenario", default="payments-incident")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    echo_py = tmp / "echo_server.py"
    echo_py.write_text(ECHO)
    env = {"HF_HUB_OFFLINE": "1", "SRE_STATE_DIR": str(tmp / "state"), "SRE_CACHE_DIR": str(tmp / "cache")}
    ours = StdioServerParameters(command=sys.executable, args=["-m", "sre_mcp", "--scenario", a.scenario, "--audit-log", str(tmp / "audit.jsonl")], env=env)
    ours_norag = StdioServerParameters(command=sys.executable, env=env,
                                       args=["-m", "sre_mcp", "--scenario", a.scenario, "--no-rag", "--audit-log", str(tmp / "audit.jsonl")])
    bare = StdioServerParameters(command=sys.executable, args=[str(echo_py)], env=env)

    print(f"python {sys.version.split()[0]}, {a.spawns} spawns, {a.calls} calls each\n")
    print("spawn → initialize → tools/list (median of spawns)")
    print(f"{'server':28} {'initialize s':>13} {'tools/list s':>13}")
    for name, params in (("bare MCPServer (echo)", bare), ("sre-mcp-server --no-rag", ours_norag), ("sre-mcp-server (RAG on)", ours)):
        runs = [await spawn_and_list(params) for _ in range(a.spawns)]
        print(f"{name:28} {statistics.median(r[0] for r in runs):13.3f} {statistics.median(r[1] for r in runs):13.3f}")

    print("\ntool call round trip over stdio (ms)")
    print(f"{'call':40} {'p50':>7} {'p95':>7}")
    echo = await call_latencies(bare, "echo", {"text": "hello"}, a.calls)
    print(f"{'bare MCPServer echo(text)':40} {pct(echo, 50):7.2f} {pct(echo, 95):7.2f}")
    ours_lat = await call_latencies(ours_norag, "list_services", {}, a.calls)
    print(f"{'sre-mcp-server list_services':40} {pct(ours_lat, 50):7.2f} {pct(ours_lat, 95):7.2f}")
    pods = await call_latencies(ours_norag, "list_pods", {"namespace": "payments"}, a.calls)
    print(f"{'sre-mcp-server list_pods(payments)':40} {pct(pods, 50):7.2f} {pct(pods, 95):7.2f}")
    ratio = pct(ours_lat, 50) / pct(echo, 50)
    print(f"\nlist_services p50 / echo p50 = {ratio:.2f}x  (goal ≤ 2x)")
    await rag_search(ours, a.calls)


QUERIES = ["pods keep restarting exit code 137", "java heap keeps growing then dies", "redis connection refused",
           "cert error on ingress", "kafka consumers falling behind", "dns lookups failing in pods"]


async def rag_search(params: StdioServerParameters, n: int) -> None:
    """search_runbooks over stdio once the embedder is warm (goal p50 ≤ 30 ms)."""
    async with Client(stdio_client(params, errlog=open("/dev/null", "w")), mode="legacy") as c:
        t0 = time.perf_counter()
        while True:
            r = await c.call_tool("search_runbooks", {"query": "warm up"})
            hits = r.structured_content["results"]
            if hits and "search_mode" not in hits[0]:
                break
            await asyncio.sleep(0.2)
        warm = time.perf_counter() - t0
        lat = []
        for i in range(n):
            t = time.perf_counter()
            r = await c.call_tool("search_runbooks", {"query": QUERIES[i % len(QUERIES)]})
            lat.append((time.perf_counter() - t) * 1000)
            assert not r.is_error
    print(f"\nsearch_runbooks over stdio, warm (embedder ready {warm:.1f} s after connect)")
    print(f"{'p50':>7} {pct(lat, 50):7.2f} ms   p95 {pct(lat, 95):7.2f} ms   (goal p50 ≤ 30 ms)")


if __name__ == "__main__":
    asyncio.run(main())
