"""One hung backend must not slow the others: `list_pods` latency while N calls wait on
a Prometheus that accepts connections and never answers, against the same run's
latency with nothing hung (a ratio, so the machine's speed cancels out).

    python benchmarks/bench_hung_backend.py [--hung 45] [--calls 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

SCEN = str(Path(__file__).resolve().parents[1] / "tests" / "data" / "security-scenario")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


async def latencies(c: Client, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = await c.call_tool("list_pods", {"namespace": "payments"})
        out.append((time.perf_counter() - t) * 1000)
        assert not r.is_error, r.content[0].text
    return out


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hung", type=int, default=45, help="calls left waiting on the hung Prometheus")
    ap.add_argument("--calls", type=int, default=50, help="list_pods calls measured in each phase")
    args = ap.parse_args()
    hang = socket.socket()  # the kernel completes the handshake; nobody ever answers
    hang.bind(("127.0.0.1", 0))
    hang.listen(256)
    url = f"http://127.0.0.1:{hang.getsockname()[1]}"
    tmp = tempfile.mkdtemp()
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "sre_mcp", "--scenario", SCEN, "--no-rag", "--prometheus-url", url, "--call-timeout", "60",
              "--audit-log", os.path.join(tmp, "audit.jsonl")],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    async with Client(stdio_client(params, errlog=open(os.devnull, "w")), mode="legacy") as c:
        await latencies(c, 20)  # warm-up
        normal = await latencies(c, args.calls)
        hung = [asyncio.create_task(c.call_tool("check_service_health", {"service_name": "payment-gateway"}))
                for _ in range(args.hung)]
        await asyncio.sleep(1.0)  # every hung call is waiting on Prometheus now
        during = await latencies(c, args.calls)
        still_waiting = sum(not t.done() for t in hung)
        for t in hung:
            t.cancel()
        await asyncio.gather(*hung, return_exceptions=True)
    hang.close()
    p50n, p50d = statistics.median(normal), statistics.median(during)
    print(f"list_pods p50 {p50n:.1f} ms normal, {p50d:.1f} ms with {args.hung} calls on a hung Prometheus "
          f"({still_waiting} still waiting when measured): ratio {p50d / p50n:.2f}; "
          f"p95 {pct(normal, 95):.1f} -> {pct(during, 95):.1f} ms; slowest {max(normal):.1f} -> {max(during):.1f} ms "
          f"(ratio {max(during) / max(normal):.2f})")


if __name__ == "__main__":
    asyncio.run(main())
