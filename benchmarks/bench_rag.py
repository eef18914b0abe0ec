"""Runbook RAG figures: index build, reopen, search latency, memory, retrieval quality.

    python benchmarks/bench_rag.py              # the figures quoted in docs/rag.md
    python benchmarks/bench_rag.py --ablation   # hit@1/hit@3/MRR per search configuration
    python benchmarks/bench_rag.py --signals    # what each signal query attaches, and relevance spread
    python benchmarks/bench_rag.py --server-rss # the real server process's RSS with the model loaded
    python benchmarks/bench_rag.py --server-rss --rev 8339160   # ...of an earlier commit (git worktree)

Every run builds into a fresh temporary chroma directory, so numbers do not
depend on what an earlier run left behind.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "servers"))

from sre_mcp.rag.augment import Augmenter  # noqa: E402
from sre_mcp.rag.index import RunbookIndex, SearchConfig  # noqa: E402
from sre_mcp.rag.signals import SIGNALS, query_for  # noqa: E402

RUNBOOKS = ROOT / "servers" / "sre_mcp" / "runbooks"
QUERIES = ROOT / "tests" / "rag_eval_queries.yaml"

# queries an on-call engineer might type that no runbook covers: their top
# relevance shows where "unrelated" sits on the relevance scale
OFF_TOPIC = [
    "the coffee machine on floor 3 is broken",
    "how do I book annual leave",
    "update the team lunch order",
    "what is the wifi password for guests",
    "quarterly planning slides for the offsite",
    "renew my laptop warranty",
]


def load_queries() -> list[dict]:
    import yaml

    return yaml.safe_load(QUERIES.read_text())


def metrics(ranks: list[int | None]) -> dict:
    n = len(ranks) or 1
    return {
        "n": len(ranks),
        "hit@1": sum(r == 1 for r in ranks if r) / n,
        "hit@3": sum(r <= 3 for r in ranks if r) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
    }


def evaluate(index: RunbookIndex, queries: list[dict]) -> dict:
    """Overall metrics plus one block per query kind (literal = pasted errors and
    symptoms, paraphrase = little vocabulary shared with the runbook)."""
    ranks = []
    for item in queries:
        ids = [h["runbook_id"] for h in index.search(item["q"], n_results=10)]
        ranks.append(ids.index(item["expect"]) + 1 if item["expect"] in ids else None)
    out = metrics(ranks)
    kinds = sorted({q.get("kind", "literal") for q in queries})
    out["by_kind"] = {k: metrics([r for q, r in zip(queries, ranks) if q.get("kind", "literal") == k]) for k in kinds}
    out["misses"] = [(q["q"], q["expect"], r) for q, r in zip(queries, ranks) if r != 1]
    return out


def fmt(m: dict) -> str:
    return f"{m['hit@1']:.3f}  {m['hit@3']:.3f}  {m['mrr']:.3f}"


def rss_mb() -> float:
    try:  # current RSS; ru_maxrss is the peak, kept as a fallback
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh_process_reopen(persist: Path) -> dict:
    """What a server restart with unchanged runbooks costs: a new interpreter that
    imports torch, loads the model and finds nothing to embed."""
    import json
    import subprocess

    code = (
        "import json, sys, time; t0 = time.perf_counter();"
        "from pathlib import Path; from sre_mcp.rag.index import RunbookIndex;"
        f"ix = RunbookIndex([Path({str(RUNBOOKS)!r})], persist_dir=Path({str(persist)!r})); ix.warm();"
        "print(json.dumps({**ix.last_sync, **ix.timings, 'wall_s': time.perf_counter() - t0}))"
    )
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT / "servers")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main_figures(args: argparse.Namespace) -> None:
    queries = load_queries()
    with tempfile.TemporaryDirectory() as tmp:
        rss0 = rss_mb()
        ix = RunbookIndex([RUNBOOKS], persist_dir=Path(tmp))
        t0 = time.perf_counter()
        ix.warm()
        build = time.perf_counter() - t0
        rss_model = rss_mb()
        print(f"runbooks / chunks            {ix.last_sync['runbooks']} / {ix.last_sync['chunks']}")
        print(f"cold warm-up (model+build)   {build:.2f} s  (model load {ix.timings['model_s']:.2f} s, "
              f"embed+store {ix.last_sync['seconds']:.2f} s)")

        t0 = time.perf_counter()
        ix2 = RunbookIndex([RUNBOOKS], persist_dir=Path(tmp))
        ix2.warm()  # model already in the process: this is the chroma reopen + hash check
        reopen = time.perf_counter() - t0
        print(f"reopen unchanged, in-process {reopen * 1000:.0f} ms  (embedded {ix2.last_sync['embedded']}; model already loaded)")
        fresh = fresh_process_reopen(Path(tmp))
        print(f"reopen unchanged, new process {fresh['wall_s']:.2f} s wall incl. imports (model load {fresh['model_s']:.2f} s, "
              f"sync {fresh['sync_s'] * 1000:.0f} ms, embedded {fresh['embedded']})")

        texts = [q["q"] for q in queries]
        for q in texts[:5]:
            ix.search(q)  # first calls pay one-off allocations
        lat = []
        for _ in range(args.rounds):
            for q in texts:
                t = time.perf_counter()
                ix.search(q, n_results=3)
                lat.append((time.perf_counter() - t) * 1000)
        print(f"search warm, n={len(lat):4d}       p50 {statistics.median(lat):.1f} ms   p95 {pct(lat, 95):.1f} ms")
        print(f"process RSS                  {rss0:.0f} MB at start, {rss_model:.0f} MB after model load + build, "
              f"{rss_mb():.0f} MB now")
        m = evaluate(ix, queries)
        print(f"eval ({m['n']} queries)           hit@1 {m['hit@1']:.3f}   hit@3 {m['hit@3']:.3f}   MRR {m['mrr']:.3f}")
        for k, km in m["by_kind"].items():
            print(f"  {k:12s} ({km['n']:2d})             hit@1 {km['hit@1']:.3f}   hit@3 {km['hit@3']:.3f}   MRR {km['mrr']:.3f}")
        if args.verbose:
            for q, exp, r in m["misses"]:
                print(f"   rank {r}: {q!r} -> {exp}")


ABLATIONS: list[tuple[str, SearchConfig]] = [
    ("vector, section text only", SearchConfig(embed_header=False, bm25_weight=0.0)),
    ("vector, + title/section/tags header", SearchConfig(embed_header=True, bm25_weight=0.0)),
    ("vector, header, code stripped", SearchConfig(embed_header=True, strip_code=True, bm25_weight=0.0)),
    ("vector, header, 120-word windows", SearchConfig(embed_header=True, window_words=120, bm25_weight=0.0)),
    ("BM25 only", SearchConfig(bm25_weight=1.0)),
    ("hybrid w=0.2", SearchConfig(bm25_weight=0.2)),
    ("hybrid w=0.35", SearchConfig(bm25_weight=0.35)),
    ("hybrid w=0.5 (default)", SearchConfig()),
    ("hybrid w=0.7", SearchConfig(bm25_weight=0.7)),
    ("hybrid w=0.5, no header", SearchConfig(embed_header=False)),
    ("hybrid w=0.5, code stripped", SearchConfig(strip_code=True)),
    ("hybrid w=0.5, 120-word windows", SearchConfig(window_words=120)),
]


def main_ablation(args: argparse.Namespace) -> None:
    queries = load_queries()
    built: dict[str, RunbookIndex] = {}
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'configuration':38s} {'all: hit@1 hit@3 MRR':22s} {'literal':20s} {'paraphrase':20s}")
        for label, cfg in ABLATIONS:
            fp = cfg.fingerprint()
            if fp not in built:
                built[fp] = RunbookIndex([RUNBOOKS], persist_dir=Path(tmp), config=cfg)
                built[fp].warm()
            ix = built[fp]
            ix.config = cfg  # search-time knobs only; the vectors match the fingerprint
            m = evaluate(ix, queries)
            bk = m["by_kind"]
            print(f"{label:38s} {fmt(m):22s} {fmt(bk['literal']):20s} {fmt(bk['paraphrase']):20s}")
            if args.verbose:
                for q, exp, r in m["misses"]:
                    print(f"      rank {r}: {q!r} -> {exp}")


def main_signals(args: argparse.Namespace) -> None:
    queries = load_queries()
    with tempfile.TemporaryDirectory() as tmp:
        ix = RunbookIndex([RUNBOOKS], persist_dir=Path(tmp))
        ix.warm()
        right, wrong = [], []
        for item in queries:
            for rank, h in enumerate(ix.search(item["q"], n_results=3)):
                (right if h["runbook_id"] == item["expect"] else wrong).append(h["relevance"])
        off = [ix.search(q, n_results=1)[0]["relevance"] for q in OFF_TOPIC]
        print("relevance of the expected runbook: min %.3f p10 %.3f median %.3f" % (min(right), pct(right, 10), statistics.median(right)))
        print("relevance of other runbooks in top 3: median %.3f p90 %.3f max %.3f" % (statistics.median(wrong), pct(wrong, 90), max(wrong)))
        print("top relevance for off-topic queries: " + " ".join(f"{x:.3f}" for x in off))
        print()
        aug = Augmenter(ix)
        print(f"attached with threshold {aug.threshold} and margin {aug.margin} (hits below the floor in brackets):")
        for s in SIGNALS:
            hits = ix.search(query_for([s.name]), n_results=3)
            attached = {r["runbook_id"] for r in aug.related([s.name])}
            print(f"  {s.name:24s} " + "  ".join(
                f"{h['runbook_id']}={h['relevance']:.2f}" if h["runbook_id"] in attached else f"[{h['runbook_id']}={h['relevance']:.2f}]"
                for h in hits))


# ------------------------------------------------------------------ server RSS


def proc_memory(pid: int) -> dict[str, float]:
    """VmRSS (and its anonymous / file-backed split, and the peak) of a process, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, val = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            out[key] = int(val.split()[0]) / 1024
    return out


def _child_pids() -> list[int]:
    import os

    me, out = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                out.append(int(entry))
    return out


async def _server_rss_once(server: list[str], env: dict[str, str], scenario: str, runbook_queries: list[str]) -> dict:
    """Spawn the server over stdio, wait for the RAG warm-up, make the console's usual
    calls, and read the server's /proc/<pid>/status."""
    import asyncio

    from mcp import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    before = set(_child_pids())
    params = StdioServerParameters(command=server[0], args=[*server[1:], "--scenario", scenario], env=env, cwd=env["HOME"])
    out: dict = {}
    async with Client(stdio_client(params, errlog=open("/dev/null", "w")), mode="legacy") as c:
        (pid,) = set(_child_pids()) - before
        out["pid"] = pid
        out["initialized"] = proc_memory(pid)
        t0 = time.perf_counter()
        while True:  # RAG ready: a semantic answer (no "search_mode" fallback marker)
            r = await c.call_tool("search_runbooks", {"query": "pods restarting"})
            hits = (r.structured_content or {}).get("results") or []
            if not r.is_error and hits and "search_mode" not in hits[0]:
                break
            if time.perf_counter() - t0 > 180:
                raise RuntimeError("RAG did not warm up within 180 s")
            await asyncio.sleep(0.2)
        out["rag_ready_s"] = time.perf_counter() - t0
        out["rag_ready"] = proc_memory(pid)
        # what the console does on start and on a first look at the incident
        services = (await c.call_tool("list_services", {})).structured_content["services"]
        namespaces = sorted({s["namespace"] for s in services})
        pods = {}
        for ns in namespaces:
            pods[ns] = (await c.call_tool("list_pods", {"namespace": ns})).structured_content.get("pods") or []
        for s in services:
            await c.call_tool("check_service_health", {"service_name": s["name"]})
        for ns in namespaces:
            if pods[ns]:
                await c.call_tool("get_pod_logs", {"namespace": ns, "pod_name": pods[ns][0]["name"]})
        for level in ("ERROR", "WARN"):
            r = await c.call_tool("search_logs", {"level": level})
            assert not r.is_error, r.content
        lat = []
        for q in runbook_queries:
            t = time.perf_counter()
            r = await c.call_tool("search_runbooks", {"query": q})
            lat.append((time.perf_counter() - t) * 1000)
            assert not r.is_error, r.content
        await asyncio.sleep(1.0)
        out["after_calls"] = proc_memory(pid)
        out["search_p50_ms"] = statistics.median(lat)
    return out


def _server_command(rev: str | None, work: Path) -> tuple[list[str], dict[str, str]]:
    """The server to run: this checkout's `sre-mcp-server`, or `python -m sre_mcp` from a
    git worktree of ``rev`` (PYTHONPATH wins over the editable install)."""
    import subprocess

    if rev is None:
        exe = Path(sys.executable).with_name("sre-mcp-server")
        return ([str(exe)] if exe.exists() else [sys.executable, "-m", "sre_mcp"]), {}
    tree = work / f"rev-{rev}"
    if not tree.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev], check=True, capture_output=True)
    return [sys.executable, "-m", "sre_mcp"], {"PYTHONPATH": str(tree / "servers")}


def main_server_rss(args: argparse.Namespace) -> None:
    import asyncio
    import os
    import shutil
    import subprocess

    queries = [q["q"] for q in load_queries()][:40]
    work = Path(tempfile.mkdtemp(prefix="bench-rss-"))
    try:
        server, extra_env = _server_command(args.rev, work)
        label = f"commit {args.rev}" if args.rev else "this checkout"
        if args.env:
            extra_env.update(kv.split("=", 1) for kv in args.env)
        print(f"server: {' '.join(server)} --scenario {args.scenario}  ({label}{', ' + ' '.join(args.env) if args.env else ''})")
        print(f"{'run':22s} {'ready s':>8s} {'VmRSS':>7s} {'anon':>6s} {'file':>6s} {'peak':>6s}  search p50")
        for cold in (True, False):
            for i in range(args.repeat):
                cache = work / ("cache-cold-%d" % i if cold else "cache-warm")
                env = {
                    **{k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL")},
                    "HOME": str(work), "HF_HUB_OFFLINE": "1",
                    "SRE_CACHE_DIR": str(cache), "SRE_STATE_DIR": str(work / "state"),
                    **extra_env,
                }
                if not cold and i == 0:  # the chroma store as a previous start left it
                    asyncio.run(_server_rss_once(server, env, args.scenario, queries[:1]))
                res = asyncio.run(_server_rss_once(server, env, args.scenario, queries))
                m = res["after_calls"]
                name = ("first start (embeds)" if cold else "restart (store kept)") + f" #{i + 1}"
                print(f"{name:22s} {res['rag_ready_s']:8.1f} {m['VmRSS']:7.0f} {m['RssAnon']:6.0f} {m['RssFile']:6.0f} "
                      f"{m['VmHWM']:6.0f}  {res['search_p50_ms']:.1f} ms")
        print("MB, read from /proc/<server pid>/status after RAG warm-up and the console's calls "
              "(list_services, list_pods per namespace, check_service_health per service, get_pod_logs, "
              "search_logs, 40 search_runbooks); peak = VmHWM. Goal: VmRSS ≤ 700 MB.")
    finally:
        if args.rev:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / f"rev-{args.rev}")], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ablation", action="store_true")
    ap.add_argument("--signals", action="store_true")
    ap.add_argument("--rounds", type=int, default=5, help="passes over the eval queries for latency")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the queries that missed rank 1")
    ap.add_argument("--server-rss", action="store_true", help="RSS of the real server process (spawned over stdio)")
    ap.add_argument("--rev", help="--server-rss: measure this git revision instead (checked out in a temporary worktree)")
    ap.add_argument("--repeat", type=int, default=2, help="--server-rss: runs per case")
    ap.add_argument("--scenario", default="payments-incident")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="--server-rss: extra server environment")
    a = ap.parse_args()
    if a.server_rss:
        main_server_rss(a)
    elif a.ablation:
        main_ablation(a)
    elif a.signals:
        main_signals(a)
    else:
        main_figures(a)
