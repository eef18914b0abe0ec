"""Log store at scale: import 1,000,000 lines, then query them over MCP stdio.

1. Generate N realistic JSON log lines (seeded; times spread over the last 24 h).
2. The floor, in the same run: chdb's own insert of the same file into the same table
   (`INSERT ... SELECT ... FROM file(path, JSONEachRow)`, in a fresh process, as ours).
3. Time `sre-mcp-server logs-import` (a subprocess, as a user runs it); goal ≤ 3× the floor.
4. Spawn `python -m sre_mcp --logs-db DIR` over stdio (the store alone: no cluster, no
   scenario) and time `search_logs` (service + level + keyword) and `count_errors` as full
   MCP round trips on the imported rows.
5. The same questions answered the way the seed material did it (filtering a Python
   list of dicts) at the same size, in the same run.

    python benchmarks/bench_logs.py [--rows 1000000] [--calls 30] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

SERVICES = [
    "payment-gateway", "auth-service", "checkout", "cart", "inventory", "search", "recommendations", "user-profile",
    "notifications", "shipping", "pricing", "fraud-check", "ledger", "catalog", "reviews", "gateway",
    "order-service", "email-sender", "session-store", "media",
]
LEVELS = (("INFO", 0.74), ("DEBUG", 0.12), ("WARN", 0.08), ("ERROR", 0.05), ("FATAL", 0.01))
MESSAGES = {
    "INFO": ["GET /api/v1/{svc}/{n} 200 in {ms}ms", "processed batch of {n} records", "cache hit ratio {pct}%",
             "health check ok", "user {id} logged in", "published event order.{n}"],
    "DEBUG": ["retry budget {n} remaining", "opening connection to db-{n}", "span {id} finished"],
    "WARN": ["slow response from {dep}: {ms}ms", "connection pool at {pct}% capacity", "retrying request to {dep} (attempt {n})"],
    "ERROR": ["timeout after {ms}ms calling {dep}", "upstream {dep} returned 503", "java.lang.OutOfMemoryError: Java heap space",
              "failed to charge card: gateway timeout", "connection refused: {dep}:5432", "deadlock detected on table orders"],
    "FATAL": ["unrecoverable error, shutting down", "cannot bind port 8080: address in use"],
}
DEPS = ["postgres", "redis", "kafka", "visa-api", "auth-service", "inventory"]


def generate(path: Path, rows: int, seed: int = 42, now: datetime | None = None) -> list[dict]:
    """Write `rows` JSON lines and return them as dicts (the baseline's data set)."""
    rnd = random.Random(seed)
    now = now or datetime.now(timezone.utc)
    levels, weights = zip(*LEVELS)
    out = []
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(rows):
            svc = rnd.choice(SERVICES)
            level = rnd.choices(levels, weights)[0]
            msg = rnd.choice(MESSAGES[level]).format(
                svc=svc, n=rnd.randint(1, 9999), ms=rnd.randint(5, 30000), pct=rnd.randint(1, 100),
                id=f"{rnd.getrandbits(32):08x}", dep=rnd.choice(DEPS),
            )
            ts = now - timedelta(seconds=rnd.random() * 86400)
            rec = {
                "timestamp": ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "service": svc, "level": level, "message": msg,
                "trace_id": f"tx-{rnd.getrandbits(48):012x}", "host": f"{svc}-{rnd.randint(1, 6)}",
                "duration_ms": round(rnd.random() * 500, 1),
            }
            fh.write(json.dumps(rec) + "\n")
            out.append({**rec, "ts": ts})
    return out


def baseline(rows: list[dict], calls: int) -> tuple[list[float], list[float]]:
    """The seed's approach: scan a Python list of dicts for every question."""
    search_ms, count_ms = [], []
    for _ in range(calls):
        t = time.perf_counter()
        cutoff = datetime.now(timezone.utc) - timedelta(hours=24)
        hits = [r for r in rows if r["service"] == "payment-gateway" and r["level"] == "ERROR"
                and "timeout" in r["message"].lower() and r["ts"] >= cutoff]
        hits.sort(key=lambda r: r["ts"], reverse=True)
        _ = (hits[:20], len(hits))
        search_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        counts = Counter(r["service"] for r in rows if r["level"] in ("ERROR", "FATAL") and r["ts"] >= cutoff)
        _ = counts.most_common(50)
        count_ms.append((time.perf_counter() - t) * 1000)
    return search_ms, count_ms


NATIVE = """
import sys
from chdb import session
from sre_mcp.backends import logsql
s = session.Session(sys.argv[1])
for stmt in logsql.DDL:
    s.query(stmt.replace(logsql.DB, "sre"))
cols = "timestamp, service, level, host, message, trace_id, duration_ms"
s.query(f"INSERT INTO sre.logs ({cols}) SELECT {cols} FROM file('{sys.argv[2]}', JSONEachRow)")
"""


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return time.perf_counter() - t, proc


async def mcp_latencies(db: Path, audit: Path, calls: int) -> dict[str, list[float]]:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, env=dict(os.environ),
                                   args=["-m", "sre_mcp", "--logs-db", str(db), "--audit-log", str(audit), "--no-rag"])
    tools = {
        "search_logs": {"service": "payment-gateway", "level": "ERROR", "keyword": "timeout", "time_range": "24h", "limit": 20},
        "count_errors": {"group_by": "service", "time_range": "24h"},
        "count_errors(message)": {"group_by": "message", "time_range": "24h"},
    }
    out: dict[str, list[float]] = {k: [] for k in tools}
    async with Client(stdio_client(params, errlog=open(os.devnull, "w")), mode="legacy") as c:
        for label, args in tools.items():
            name = label.split("(")[0]
            for i in range(calls + 3):  # first calls warm the store's caches
                t = time.perf_counter()
                r = await c.call_tool(name, args)
                ms = (time.perf_counter() - t) * 1000
                if r.is_error:
                    raise SystemExit(f"{name} failed: {r.content[0].text}")
                if i >= 3:
                    out[label].append(ms)
            if name == "search_logs":
                out["_matches"] = [r.structured_content["total_matches"]]
    return out


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[p - 1] if len(values) > 1 else values[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--calls", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3, help="import runs (floor and ours, alternating)")
    ap.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-logs-"))
    work.mkdir(parents=True, exist_ok=True)
    jsonl, db = work / "logs.jsonl", work / "logs-db"

    t = time.perf_counter()
    rows = generate(jsonl, args.rows)
    gen_s = time.perf_counter() - t
    print(f"generated {args.rows:,} lines ({jsonl.stat().st_size / 1e6:.0f} MB) in {gen_s:.1f}s", file=sys.stderr)

    import shutil

    floors, ours = [], []
    for run in range(args.runs):
        shutil.rmtree(db, ignore_errors=True)
        shutil.rmtree(work / "floor-db", ignore_errors=True)
        floor_s, proc = timed([sys.executable, "-c", NATIVE, str(work / "floor-db"), str(jsonl)])
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        import_s, proc = timed([sys.executable, "-m", "sre_mcp", "logs-import", "--logs-db", str(db), "--progress", "never", str(jsonl)])
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        floors.append(floor_s)
        ours.append(import_s)
        print(f"run {run + 1}: chdb's own insert {floor_s:.2f}s, logs-import {import_s:.2f}s "
              f"({import_s / floor_s:.2f}x) · {proc.stderr.strip().splitlines()[-1]}", file=sys.stderr)
    shutil.rmtree(work / "floor-db", ignore_errors=True)

    lat = asyncio.run(mcp_latencies(db, work / "audit.jsonl", args.calls))
    matches = lat.pop("_matches")[0]
    base_search, base_count = baseline(rows, max(3, args.calls // 5))

    print()
    print(f"Rows: {args.rows:,}   cores: {os.cpu_count()}   python {sys.version.split()[0]}")
    ratios = [o / f for o, f in zip(ours, floors)]
    print(f"| import of {args.rows:,} lines (median of {args.runs}) | seconds | rows/s |")
    print("|---|---|---|")
    print(f"| floor: chdb's own insert (file(..., JSONEachRow)) | {statistics.median(floors):.2f} | {args.rows / statistics.median(floors):,.0f} |")
    print(f"| sre-mcp-server logs-import | {statistics.median(ours):.2f} | {args.rows / statistics.median(ours):,.0f} |")
    print(f"| ratio (per run: {', '.join(f'{r:.2f}' for r in ratios)}) | {statistics.median(ratios):.2f}x | goal ≤ 3x |")
    print()
    print(f"search_logs(payment-gateway, ERROR, 'timeout', 24h) matches: {matches:,}")
    print()
    print(f"| {'question':34} | {'chdb over MCP stdio p50':>24} | {'p95':>8} | {'list of dicts p50':>18} | goal p50 |")
    print(f"|{'-' * 36}|{'-' * 26}|{'-' * 10}|{'-' * 20}|----------|")
    for label, base, goal in (("search_logs (service+level+keyword)", base_search, 50),
                              ("count_errors (by service)", base_count, 100),
                              ("count_errors (by message shape)", None, 100)):
        key = "search_logs" if label.startswith("search") else ("count_errors" if "service" in label else "count_errors(message)")
        vals = lat[key]
        b = f"{statistics.median(base):.1f} ms" if base else "-"
        print(f"| {label:34} | {statistics.median(vals):>21.1f} ms | {pct(vals, 95):>5.1f} ms | {b:>18} | ≤ {goal} ms |")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
