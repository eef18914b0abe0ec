"""The team server under load: many concurrent authenticated sessions over loopback.

N clients, each with its own bearer token (10 users by default, bound to viewer or
operator through groups and one per-user binding), each with its own MCP session, make M
calls each from a mix of read tools. Measured: throughput, p50/p99 latency, errors (must
be 0), the server's CPU per call, and then the audit log is read back: exactly one
`phase: call` line per call, each with the user and role of the client that made it, one
session per client and no line of one client's session carrying another user.

The floor is a bare SDK MCPServer in the same run: tools of the same names and arguments
that do no work, same streamable HTTP transport under uvicorn, no auth, driven by the
same clients. A third run sends only `list_services` (a cheap in-memory tool) to the team
server, so the team server's own cost per call (bearer auth, identity and roles, rate
limits, audit line, metrics) shows apart from the tools' work (search_logs and
count_errors query the embedded ClickHouse).

    python benchmarks/bench_team.py [--clients 50] [--calls 100] [--users 10] [--mode legacy|auto]

The per-tool and per-user rate limits are raised for the run (a config file and the
roles file's `user_rate_limits`): at their defaults they would, rightly, refuse part of
the load. They still run on every call.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_ROLES = ROOT / "servers" / "sre_mcp" / "config" / "roles.yaml"

# Tools of the same names and arguments as the team server's, doing nothing: the floor.
FLOOR = textwrap.dedent(
    """
    import sys
    import uvicorn
    from mcp.server.mcpserver import MCPServer

    mcp = MCPServer("floor")

    @mcp.tool()
    def search_logs(keyword: str | None = None, time_range: str = "1h", limit: int = 20) -> dict:
        return {"filters": {"keyword": keyword, "time_range": time_range}, "rows": [], "returned": 0, "total_matches": 0}

    @mcp.tool()
    def count_errors(group_by: str = "service", time_range: str = "1h") -> dict:
        return {"group_by": group_by, "groups": [], "total_errors": 0}

    @mcp.tool()
    def list_pods(namespace: str) -> dict:
        return {"namespace": namespace, "pods": []}

    @mcp.tool()
    def get_events(namespace: str, limit: int = 50) -> dict:
        return {"namespace": namespace, "events": []}

    @mcp.tool()
    def list_deployments(namespace: str) -> dict:
        return {"namespace": namespace, "deployments": []}

    @mcp.tool()
    def check_service_health(service_name: str) -> dict:
        return {"service": service_name, "status": "healthy"}

    @mcp.tool()
    def list_services() -> dict:
        return {"services": []}

    uvicorn.run(mcp.streamable_http_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    """
)

# search_logs first: its keyword is a per-call marker, so each client's session is found in the audit log.
MIX = ["search_logs", "list_pods", "check_service_health", "count_errors", "get_events", "list_services", "list_deployments"]


@dataclass
class User:
    name: str
    token: str
    groups: list[str]
    role: str


@dataclass
class Call:
    client: int
    user: str
    tool: str
    arguments: dict[str, Any]
    ms: float = 0.0
    error: str | None = None


@dataclass
class Run:
    label: str
    calls: list[Call]
    wall_s: float
    connect_ms: list[float]
    server_cpu_s: float
    client_cpu_s: float
    load: tuple[float, float, float]

    @property
    def errors(self) -> list[Call]:
        return [c for c in self.calls if c.error]

    @property
    def throughput(self) -> float:
        return len(self.calls) / self.wall_s if self.wall_s else 0.0


def make_users(n: int) -> list[User]:
    """Half in group `oncall` (operator), half in `dev` (viewer); from 4 users on, the last
    (a dev) is bound to operator by name (a user's own binding wins over the group's)."""
    users = []
    for i in range(n):
        group = "oncall" if i % 2 == 0 else "dev"
        users.append(User(f"eng{i:02d}", f"bench-token-{i:02d}-{os.urandom(6).hex()}", [group], "operator" if group == "oncall" else "viewer"))
    if len(users) >= 4 and users[-1].groups == ["dev"]:
        users[-1].role = "operator"
    return users


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (Linux /proc), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


class Server:
    def __init__(self, argv: list[str], port: int, ready_path: str, err: Path, env: dict[str, str]):
        self.port = port
        self.url = f"http://127.0.0.1:{port}/mcp"
        self.err = err
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(err, "w"), env={**os.environ, **env})
        deadline = time.time() + 120
        while True:
            try:
                if ready_path and httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=2).status_code == 200:
                    break
                if not ready_path:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
            except (httpx.HTTPError, OSError):
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError(f"server did not come up: {err.read_text()[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_team(tmp: Path, users: list[User], scenario: str | None) -> tuple[Server, Path]:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "tokens.yaml").write_text(yaml.safe_dump(
        [{"user": u.name, "groups": u.groups, "token_sha256": hashlib.sha256(u.token.encode()).hexdigest()} for u in users]))
    roles = yaml.safe_load(SHIPPED_ROLES.read_text())
    roles["bindings"] = {"groups": {"oncall": "operator", "dev": "viewer"},
                         "users": {u.name: u.role for u in users if u.role != ("operator" if "oncall" in u.groups else "viewer")}}
    roles["user_rate_limits"] = {"default": 1_000_000}
    (tmp / "roles.yaml").write_text(yaml.safe_dump(roles))
    (tmp / "server.yaml").write_text(yaml.safe_dump({"rate_limits": {"*": 1_000_000}}))
    audit = tmp / "audit.jsonl"
    port = free_port()
    argv = [sys.executable, "-m", "sre_mcp", "--transport", "http", "--host", "127.0.0.1", "--port", str(port),
            "--auth-tokens", str(tmp / "tokens.yaml"), "--roles-file", str(tmp / "roles.yaml"), "--config", str(tmp / "server.yaml"),
            "--no-rag", "--audit-log", str(audit)]
    if scenario:
        argv += ["--scenario", scenario]
    env = {"HF_HUB_OFFLINE": "1", "SRE_STATE_DIR": str(tmp / "state"), "SRE_CACHE_DIR": str(tmp / "cache")}
    return Server(argv, port, "/readyz", tmp / "team.err", env), audit


def start_floor(tmp: Path) -> Server:
    tmp.mkdir(parents=True, exist_ok=True)
    script = tmp / "floor_server.py"
    script.write_text(FLOOR)
    port = free_port()
    return Server([sys.executable, str(script), str(port)], port, "", tmp / "floor.err", {})


def client(url: str, token: str | None, mode: str) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = streamable_http_client(url, http_client=create_mcp_http_client(headers=headers))
    return Client(transport, mode=mode)


async def discover(url: str, token: str, mode: str) -> tuple[list[str], list[str]]:
    """Namespaces and services of the scenario (from list_services), for the call mix."""
    async with client(url, token, mode) as c:
        r = await c.call_tool("list_services", {})
    if r.is_error:
        raise RuntimeError(f"list_services failed: {r.content[0].text}")
    services = r.structured_content["services"]
    return sorted({s["namespace"] for s in services}), [s["name"] for s in services]


def plan(clients: int, calls: int, users: list[User], namespaces: list[str], services: list[str], only: str | None) -> list[list[Call]]:
    """Each client's calls: search_logs first (a unique keyword per call), then the other tools
    in an order rotated per client, with namespaces and services rotating too."""
    out = []
    for c in range(clients):
        user = users[c % len(users)]
        rest = MIX[1:]
        order = [MIX[0]] + rest[c % len(rest):] + rest[: c % len(rest)]
        mine = []
        for i in range(calls):
            tool = only or order[i % len(order)]
            ns, svc = namespaces[(c + i) % len(namespaces)], services[(c + i) % len(services)]
            args: dict[str, Any] = {
                "search_logs": {"keyword": f"bench-c{c:03d}-n{i:04d}", "time_range": "1h"},
                "list_pods": {"namespace": ns},
                "check_service_health": {"service_name": svc},
                "count_errors": {"group_by": ("service", "host")[i % 2]},
                "get_events": {"namespace": ns, "limit": 20},
                "list_services": {},
                "list_deployments": {"namespace": ns},
            }[tool]
            mine.append(Call(c, user.name, tool, args))
        out.append(mine)
    return out


async def drive(label: str, url: str, server: Server, work: list[list[Call]], tokens: dict[str, str | None], mode: str) -> Run:
    """Connect every client, then all start calling at once; each awaits its calls in turn."""
    connect_ms: list[float] = []
    go = asyncio.Event()
    connected = asyncio.Semaphore(0)
    t_start = 0.0

    async def one(calls: list[Call]) -> None:
        t = time.perf_counter()
        async with client(url, tokens[calls[0].user], mode) as c:
            connect_ms.append((time.perf_counter() - t) * 1000)
            connected.release()
            await go.wait()
            for call in calls:
                t = time.perf_counter()
                try:
                    r = await c.call_tool(call.tool, call.arguments)
                    if r.is_error:
                        call.error = r.content[0].text if r.content else "is_error"
                except Exception as exc:  # noqa: BLE001 - counted and shown, never hidden
                    call.error = f"{type(exc).__name__}: {exc}"
                call.ms = (time.perf_counter() - t) * 1000

    tasks = [asyncio.create_task(one(calls)) for calls in work if calls]
    for _ in tasks:
        await connected.acquire()
    cpu0, ccpu0 = cpu_seconds(server.proc.pid), time.process_time()
    t_start = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - t_start
    return Run(label, [c for calls in work for c in calls], wall, connect_ms, cpu_seconds(server.proc.pid) - cpu0,
               time.process_time() - ccpu0, os.getloadavg())


def _canon(args: Any) -> str:
    return json.dumps(args, sort_keys=True)


def check_audit(audit: Path, offset: int, work: list[list[Call]], users: list[User], mode: str) -> list[str]:
    """What the audit log must show for the calls in `work` (lines after byte `offset`)."""
    with open(audit, "rb") as f:
        f.seek(offset)
        lines = [json.loads(x) for x in f.read().decode().splitlines() if x.strip()]
    lines = [a for a in lines if a.get("phase") == "call"]
    calls = [c for mine in work for c in mine]
    role_of = {u.name: u.role for u in users}
    problems = []
    if len(lines) != len(calls):
        problems.append(f"{len(lines)} audit call lines for {len(calls)} calls")
    # Every call once, with its arguments and the user who made it.
    want = Counter((c.user, c.tool, _canon(c.arguments)) for c in calls)
    got = Counter(((a.get("identity") or {}).get("user"), a.get("tool"), _canon(a.get("arguments"))) for a in lines)
    if want != got:
        missing, extra = want - got, got - want
        problems.append(f"audit lines differ from the calls: {sum(missing.values())} missing (e.g. {list(missing)[:2]}), "
                        f"{sum(extra.values())} unexpected (e.g. {list(extra)[:2]})")
    for a in lines:
        ident = a.get("identity") or {}
        if ident.get("role") != role_of.get(ident.get("user")):
            problems.append(f"call {a.get('call_id')}: user {ident.get('user')!r} with role {ident.get('role')!r}, "
                            f"expected {role_of.get(ident.get('user'))!r}")
            break
    # Each per-call marker (search_logs keyword) once, by its client's user.
    markers = {c.arguments["keyword"]: c for c in calls if c.tool == "search_logs"}
    seen: Counter[str] = Counter()
    session_of: dict[int, str | None] = {}
    for a in lines:
        kw = (a.get("arguments") or {}).get("keyword")
        if a.get("tool") != "search_logs" or kw not in markers:
            continue
        seen[kw] += 1
        c, ident = markers[kw], a.get("identity") or {}
        if ident.get("user") != c.user:
            problems.append(f"marker {kw} (client {c.client}, user {c.user}) audited as user {ident.get('user')!r}")
        session_of.setdefault(c.client, ident.get("session"))
        if session_of[c.client] != ident.get("session"):
            problems.append(f"client {c.client}: calls audited under two sessions")
    bad = {k: n for k, n in seen.items() if n != 1} | {k: 0 for k in markers if k not in seen}
    if bad:
        problems.append(f"{len(bad)} markers not audited exactly once, e.g. {list(bad.items())[:3]}")
    if mode == "legacy":
        # One session per client, none shared, and a session's lines are its client's alone.
        sessions = [s for s in session_of.values()]
        if any(not s for s in sessions) or len(set(sessions)) != len(sessions):
            problems.append(f"sessions not one per client: {len(set(sessions))} distinct for {len(sessions)} clients")
        by_session: dict[str, list[dict]] = {}
        for a in lines:
            by_session.setdefault((a.get("identity") or {}).get("session"), []).append(a)
        for c, s in session_of.items():
            mine = work[c]
            theirs = by_session.get(s, [])
            users_seen = {(a.get("identity") or {}).get("user") for a in theirs}
            if users_seen != {mine[0].user}:
                problems.append(f"session of client {c} ({mine[0].user}) carries users {sorted(map(str, users_seen))}")
            if Counter((x.tool, _canon(x.arguments)) for x in mine) != Counter((a.get("tool"), _canon(a.get("arguments"))) for a in theirs):
                problems.append(f"session of client {c}: its audit lines are not its calls")
    return problems


@dataclass
class Report:
    runs: list[Run] = field(default_factory=list)
    audit_problems: list[str] = field(default_factory=list)
    audit_lines: int = 0
    args: dict[str, Any] = field(default_factory=dict)


async def bench(clients: int, calls: int, n_users: int, mode: str = "legacy", scenario: str | None = None,
                tmp: Path | None = None, floor: bool = True, cheap: bool = True) -> Report:
    tmp = Path(tmp or tempfile.mkdtemp(prefix="bench-team-"))
    users = make_users(n_users)
    tokens = {u.name: u.token for u in users}
    report = Report(args={"clients": clients, "calls": calls, "users": n_users, "mode": mode, "scenario": scenario or "payments-incident"})
    team, audit = start_team(tmp / "team", users, scenario)
    try:
        namespaces, services = await discover(team.url, users[0].token, mode)
        work = plan(clients, calls, users, namespaces, services, None)
        offset = audit.stat().st_size
        report.runs.append(await drive("team server, mixed tools", team.url, team, work, tokens, mode))
        await asyncio.sleep(0.5)  # the audit writer is synchronous, but let the last responses' lines land
        report.audit_problems = check_audit(audit, offset, work, users, mode)
        report.audit_lines = sum(len(w) for w in work)
        if cheap:
            work2 = plan(clients, calls, users, namespaces, services, "list_services")
            offset = audit.stat().st_size
            report.runs.append(await drive("team server, list_services only", team.url, team, work2, tokens, mode))
            await asyncio.sleep(0.5)
            report.audit_problems += [f"(list_services run) {p}" for p in check_audit(audit, offset, work2, users, mode)]
    finally:
        team.stop()
    if floor:
        bare = start_floor(tmp / "floor")
        try:
            for only, label in ((None, "bare MCPServer, same mix (no-op tools, no auth)"),
                                ("list_services", "bare MCPServer, list_services only")):
                if only and not cheap:
                    continue
                work3 = plan(clients, calls, users, namespaces, services, only)
                report.runs.append(await drive(label, bare.url, bare, work3, dict.fromkeys(tokens), mode))
        finally:
            bare.stop()
    return report


def markdown(report: Report, command: str) -> str:
    a = report.args
    out = [f"`{command}`", "",
           f"{a['clients']} clients x {a['calls']} calls, {a['users']} users (viewer/operator), protocol mode {a['mode']}, "
           f"scenario {a['scenario']}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
           f"load average before {report.args.get('load_before', '?')}", "",
           "| run | calls | errors | calls/s | p50 ms | p99 ms | connect p50 ms | server CPU ms/call | client CPU ms/call | load avg (1 min) after |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in report.runs:
        n = len(r.calls)
        lat = [c.ms for c in r.calls]
        out.append(f"| {r.label} | {n} | {len(r.errors)} | {r.throughput:.0f} | {pct(lat, 50):.1f} | {pct(lat, 99):.1f} | "
                   f"{statistics.median(r.connect_ms) if r.connect_ms else float('nan'):.0f} | "
                   f"{r.server_cpu_s * 1000 / n:.2f} | {r.client_cpu_s * 1000 / n:.2f} | {r.load[0]:.2f} |")
    by = {r.label: r for r in report.runs}
    out.append("")
    pairs = [("team server, mixed tools", "bare MCPServer, same mix (no-op tools, no auth)"),
             ("team server, list_services only", "bare MCPServer, list_services only")]
    for ours, base in pairs:
        if ours in by and base in by:
            o, b = by[ours], by[base]
            out.append(f"- {ours} / floor: throughput {o.throughput / b.throughput:.2f}x, "
                       f"p50 {pct([c.ms for c in o.calls], 50) / pct([c.ms for c in b.calls], 50):.2f}x, "
                       f"server CPU per call {o.server_cpu_s / max(b.server_cpu_s, 1e-9):.2f}x")
    sessions = ", one session per client, no session with another user" if a["mode"] == "legacy" else " (no sessions in this mode)"
    out.append(f"- audit: {report.audit_lines} calls of the mixed run checked (one `phase: call` line each, user, role{sessions}): "
               + ("all hold" if not report.audit_problems else "PROBLEMS: " + "; ".join(report.audit_problems[:5])))
    for r in report.runs:
        if r.errors:
            by_tool = Counter(c.tool for c in r.errors)
            first = r.errors[0].error.splitlines()[0][:160]
            out.append(f"- errors in {r.label}: {len(r.errors)} ({', '.join(f'{t} {n}' for t, n in by_tool.most_common())}), "
                       f"e.g. {first!r}")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--calls", type=int, default=100, help="calls per client")
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--mode", choices=["legacy", "auto"], default="legacy",
                    help="legacy: initialize handshake, one MCP session per client; auto: the SDK's default (sessionless when the server speaks it)")
    ap.add_argument("--scenario", help="fixture scenario (default: the server's, payments-incident)")
    a = ap.parse_args()
    if a.clients < 1 or a.calls < 1 or a.users < 1:
        ap.error("--clients, --calls and --users must be at least 1")
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    report = asyncio.run(bench(a.clients, a.calls, a.users, a.mode, a.scenario))
    report.args["load_before"] = load_before
    command = "python benchmarks/bench_team.py " + " ".join(sys.argv[1:])
    print(markdown(report, command.strip()))
    failed = report.audit_problems or any(r.errors for r in report.runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
