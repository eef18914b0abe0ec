"""Investigation benchmarks: CLI end to end, the loop's overhead per tool call, parallel tool calls.

    python benchmarks/bench_investigate.py [--runs 3]

1. `sre-console investigate payment-gateway --offline` as a fresh process (start-up, server,
   ten tool calls, report), with and without the RAG embedder (`--no-rag`).
2. The loop's own cost per tool call: time between ToolCallStarted and ToolCallFinished
   minus the host's measured call latency (summary, budget, transcript, events).
3. Five calls in one model turn against a tiny MCP server whose `sleep_ms` tool sleeps
   100..500 ms: the turn should take about as long as the slowest call, not the sum.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sre_console.host import McpHost, build_host
from sre_console.host.config import ServerSpec
from sre_console.investigate import Investigation
from sre_console.investigate.events import ToolCallFinished, ToolCallStarted, Usage
from sre_console.investigate.models import ModelTurn
from sre_console.investigate.offline import OfflineInvestigator

SLEEPY = Path(__file__).resolve().parents[1] / "tests" / "sleepy_server.py"


def bench_cli(runs: int, extra: list[str]) -> list[float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "sre_console.cli", "investigate", "payment-gateway", "--offline", *extra],
                              capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if proc.returncode != 0:
            raise SystemExit(f"CLI failed: {proc.stderr[-500:]}")
    return times


async def bench_overhead(runs: int) -> tuple[list[float], int, float]:
    host = build_host(["--scenario", "payments-incident", "--no-rag"])
    await host.start()
    overheads: list[float] = []
    totals = []
    try:
        for _ in range(runs):
            started: dict[str, float] = {}

            def on(ev, started=started):
                if isinstance(ev, ToolCallStarted):
                    started[ev.id] = time.perf_counter()
                elif isinstance(ev, ToolCallFinished):
                    overheads.append((time.perf_counter() - started[ev.id]) * 1000 - ev.latency_ms)

            t = time.perf_counter()
            await Investigation(host, OfflineInvestigator(), on_event=on).run("investigate-service", {"service": "payment-gateway"})
            totals.append((time.perf_counter() - t) * 1000)
    finally:
        await host.stop()
    return overheads, len(overheads) // runs, statistics.median(totals)


class FiveAtOnce:
    """A scripted model: one turn asking for five sleep_ms calls, then an answer."""

    name = "scripted"

    def __init__(self, delays: list[int]):
        self.delays = delays

    async def turn(self, system, messages, tools, emit, *, tool_choice=None):
        if len(messages) == 1:
            uses = [{"type": "tool_use", "id": f"t{i}", "name": "sleep_ms", "input": {"ms": ms}} for i, ms in enumerate(self.delays)]
            return ModelTurn(uses, "tool_use", Usage())
        return ModelTurn([{"type": "text", "text": "ROOT CAUSE: none"}], "end_turn", Usage())


async def bench_parallel(runs: int) -> tuple[list[float], int, int]:
    delays = [100, 200, 300, 400, 500]
    host = McpHost([ServerSpec(name="sleepy", command=sys.executable, args=[str(SLEEPY)])])
    await host.start()
    try:
        turns = []
        for _ in range(runs):
            t = time.perf_counter()
            r = await Investigation(host, FiveAtOnce(delays)).run(None, {}, "go")
            assert r.ok and all(c.ok for c in r.tool_calls), r.error
            turns.append((time.perf_counter() - t) * 1000)
    finally:
        await host.stop()
    return turns, max(delays), sum(delays)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for label, extra in (("CLI investigate --offline --no-rag (fresh process)", ["--no-rag"]),
                         ("CLI investigate --offline (with RAG)", [])):
        t = bench_cli(args.runs, extra)
        rows.append((label, f"median {statistics.median(t):.2f} s (min {min(t):.2f}, max {max(t):.2f})", "goal ≤ 5 s"))
    overheads, calls, total = asyncio.run(bench_overhead(args.runs))
    rows.append((f"loop overhead per tool call ({calls} calls/run)",
                 f"median {statistics.median(overheads):.2f} ms, p95 {sorted(overheads)[int(len(overheads) * 0.95) - 1]:.2f} ms",
                 f"whole investigation {total:.0f} ms"))
    turns, slowest, summed = asyncio.run(bench_parallel(args.runs))
    rows.append(("5 parallel sleep_ms calls in one turn", f"median {statistics.median(turns):.0f} ms",
                 f"slowest call {slowest} ms, sum {summed} ms"))
    width = max(len(r[0]) for r in rows)
    print(f"{'measurement':{width}}  result  (reference)")
    for label, result, ref in rows:
        print(f"{label:{width}}  {result}  ({ref})")


if __name__ == "__main__":
    main()
