"""Redaction of big results: how long the event loop stalls, and raw throughput.

1. A 30 MB `get_pod_logs` result (1,000 lines of 30 KB, secrets sprinkled in) through the
   real server in memory, with a 10 ms ticker on the same event loop; the longest gap
   between ticks is how long the loop (pings, other calls) was held. Three modes:
   - `on-loop, uncapped`: the result filters on the loop, redaction over all 30 MB before
     the size cap (what issue 16 measured: 9.6 s);
   - `on-loop, pre-capped`: on the loop, but cut to the cap (+ slack) before redaction;
   - `off-loop` (what ships): filters, redaction and rendering on a worker thread.
   The floor is the same call to `list_services` (small result) in the same run.
2. Raw rule-set throughput: `Redactor.value` over a 30 MB structured log result, against
   `json.dumps` of the same value as a floor measured in the same run.

    python benchmarks/bench_redaction.py [--mb 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import yaml
from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sre_mcp import middleware  # noqa: E402
from sre_mcp.config import ServerConfig  # noqa: E402
from sre_mcp.security.redaction import Redactor  # noqa: E402
from sre_mcp.server import build_server  # noqa: E402

POD = "payment-gw-7d9f8b6c5-x2k4p"
WORDS = ["GET", "/api/orders", "200", "trace_id=4bf92f3577b34da6a3ce929d0e0e4736", "user=u42", "retry", "attempt=3",
         "pool", "waiting=12", "db=payments-db", "latency_ms=120", "ok", "order", "settled", "cache_key=orders:1"]
SECRETS = ["DB_PASSWORD=hunter2", "Authorization: Bearer abcdef0123456789", "token=abc123def456", "ghp_1A2b3C4d5E6f7G8h9I0jK1l2M3n4O5p6Q7r8"]


def scenario(root: Path, mb: int) -> Path:
    d = root / "bench"
    (d / "pod_logs").mkdir(parents=True)
    (d / "scenario.yaml").write_text(yaml.safe_dump({"title": "bench", "description": "bench", "namespaces": ["payments"],
                                                     "services": [{"name": "payment-gateway", "namespace": "payments",
                                                                   "deployment": "payment-gateway", "team": "p"}]}))
    (d / "pods.yaml").write_text(yaml.safe_dump([{"name": POD, "namespace": "payments", "service": "payment-gateway", "node": "n1", "created": "-1d",
                                                  "containers": [{"name": "app", "image": "acme/app:1"}]}]))
    (d / "deployments.yaml").write_text(yaml.safe_dump([{"name": "payment-gateway", "namespace": "payments", "replicas": 1, "image": "acme/app:1"}]))
    rnd = random.Random(1)
    per_line = mb * 1_000_000 // 1000
    with open(d / "pod_logs" / f"{POD}.log", "w") as fh:
        for i in range(1000):
            parts, n = [], 0
            while n < per_line:
                w = rnd.choice(SECRETS) if rnd.random() < 0.01 else rnd.choice(WORDS)
                parts.append(w)
                n += len(w) + 1
            fh.write(f"{{T-{1000 - i}s}} INFO " + " ".join(parts) + "\n")
    return d


async def timed_call(server, tool: str, args: dict) -> tuple[float, float]:
    """(call seconds, longest gap between 10 ms ticks on the loop, seconds)."""
    gaps = [0.0]
    done = asyncio.Event()

    async def ticker():
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last - 0.01)
            last = now

    async with Client(server) as c:
        await c.call_tool("list_services", {})  # warm
        task = asyncio.create_task(ticker())
        t0 = time.perf_counter()
        r = await c.call_tool(tool, args)
        took = time.perf_counter() - t0
        done.set()
        await task
        assert not r.is_error, r.content[0].text[:300]
    return took, max(gaps)


def run_mode(scen: Path, mode: str) -> tuple[float, float]:
    server, _ = build_server(ServerConfig(scenario=str(scen), rag=False), start_background=False)
    guard = next(m for m in server.middleware if isinstance(m, middleware.GuardMiddleware))
    if mode != "off-loop":
        async def on_loop(fn, *args):  # what the server did before: filters inline on the loop
            return fn(*args)

        guard._off_loop = on_loop  # type: ignore[method-assign]
    if mode == "on-loop, uncapped":
        guard.pre_cap = None
    return asyncio.run(timed_call(server, "get_pod_logs", {"namespace": "payments", "pod_name": POD, "lines": 1000}))


def floor(scen: Path) -> tuple[float, float]:
    server, _ = build_server(ServerConfig(scenario=str(scen), rag=False), start_background=False)
    return asyncio.run(timed_call(server, "list_services", {}))


def throughput(mb: int) -> tuple[float, float, int]:
    rnd = random.Random(2)
    rows, size = [], 0
    while size < mb * 1_000_000:
        msg = " ".join(rnd.choice(SECRETS) if rnd.random() < 0.01 else rnd.choice(WORDS) for _ in range(12))
        row = {"timestamp": "2026-01-15T12:30:45.123Z", "service": "payment-gateway", "level": "INFO", "host": POD,
               "message": msg, "trace_id": "tx-%08x" % rnd.getrandbits(32)}
        rows.append(row)
        size += len(json.dumps(row))
    value = {"rows": rows}
    t0 = time.perf_counter()
    json.dumps(value)
    t_floor = time.perf_counter() - t0
    red = Redactor.from_file()
    t0 = time.perf_counter()
    red.value(value)
    return time.perf_counter() - t0, t_floor, size


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scen = scenario(Path(tmp), args.mb)
        f_call, f_gap = floor(scen)
        print(f"floor: list_services {f_call * 1000:.0f} ms, longest loop gap {f_gap * 1000:.0f} ms")
        print(f"{args.mb} MB get_pod_logs result:")
        for mode in ("on-loop, uncapped", "on-loop, pre-capped", "off-loop"):
            took, gap = run_mode(scen, mode)
            print(f"  {mode:20} call {took:6.2f} s   longest loop stall {gap:6.2f} s")
    t, t_floor, size = throughput(args.mb)
    print(f"rule set over {size / 1e6:.0f} MB of structured logs: {t:.2f} s ({size / 1e6 / t:.1f} MB/s); "
          f"json.dumps floor {t_floor:.2f} s; ratio {t / t_floor:.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
