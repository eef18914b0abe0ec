"""Issue 16, server side: an audit that fails closed, writes with deadlines, previews that
cannot be evicted, no secrets or live tokens on disk, a client note that cannot pose as
the server's record. Each test reproduces a defect the red-team pass found."""

from __future__ import annotations

import errno
import getpass
import json
import os
import resource
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client
from sre_mcp.config import ServerConfig
from sre_mcp.scenarios.loader import load_scenario
from sre_mcp.security.audit import AuditError, AuditLog
from sre_mcp.server import build_server

from tests.fake_k8s import ClusterData, FakeKubeAPI, write_kubeconfig

SCEN = str(Path(__file__).parent / "data" / "security-scenario")
SCALE = {"namespace": "payments", "deployment_name": "payment-gateway", "replicas": 2}


def _lines(path: Path) -> list[dict]:
    text = path.read_text(encoding="ascii")
    assert text == "" or text.endswith("\n"), "the file must end on a whole line"
    return [json.loads(line) for line in text.split("\n") if line]


async def _call(c: Client, name: str, args: dict, **kw):
    r = await c.call_tool(name, args, **kw)
    return r.is_error, (r.structured_content or {}), (r.content[0].text if r.content else "")


# --- the audit writer ----------------------------------------------------------------

def test_short_write_leaves_no_torn_line_and_raises(tmp_path, monkeypatch):
    log = AuditLog(tmp_path / "a.jsonl")
    log.write({"tool": "list_pods", "outcome": "ok"})
    real_write = os.write
    # The kernel writes part of the line and then refuses (file-size limit reached).
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, data[:17]))
    with pytest.raises(AuditError, match="short write"):
        log.write({"tool": "scale_deployment", "phase": "intent"})

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(AuditError, match="No space left"):
        log.write({"tool": "scale_deployment", "phase": "intent"}, durable=True)
    monkeypatch.setattr(os, "write", real_write)
    assert [r["tool"] for r in _lines(tmp_path / "a.jsonl")] == ["list_pods"]


def test_file_size_limit_in_a_real_process_leaves_whole_lines(tmp_path):
    """RLIMIT_FSIZE for real (in a child, so pytest's own files are not limited)."""
    path = tmp_path / "a.jsonl"
    code = f"""
import resource
from sre_mcp.security.audit import AuditError, AuditLog
log = AuditLog({str(path)!r})
log.write({{"tool": "first", "arguments": {{"x": "y" * 50}}}})
size = __import__("os").path.getsize({str(path)!r})
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 40, resource.RLIM_INFINITY))
try:
    log.write({{"tool": "second", "arguments": {{"x": "z" * 200}}}}, durable=True)
except AuditError as exc:
    print("refused:", exc)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "refused: audit line not written" in out.stdout, out.stderr
    assert [r["tool"] for r in _lines(path)] == ["first"]


def test_audit_file_is_0600_even_when_it_existed_0644(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text("")
    path.chmod(0o644)
    AuditLog(path).write({"tool": "x"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# --- fault injection: audit full -> writes refused ----------------------------------

def _rpc(proc: subprocess.Popen, msg: dict) -> dict | None:
    proc.stdin.write((json.dumps(msg) + "\n").encode())
    proc.stdin.flush()
    if "id" not in msg:
        return None
    while True:
        line = proc.stdout.readline()
        assert line, "server closed stdout"
        data = json.loads(line)
        if data.get("id") == msg["id"]:
            return data


def _spawn(args: list[str]) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "sre_mcp", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert "result" in _rpc(proc, {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "fault-test", "version": "0"}}})
    _rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    return proc


def _tool(proc: subprocess.Popen, i: int, name: str, args: dict) -> dict:
    return _rpc(proc, {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": name, "arguments": args}})["result"]


def test_fault_audit_full_refuses_the_write(tmp_path):
    audit = tmp_path / "audit.jsonl"
    proc = _spawn(["--scenario", SCEN, "--no-rag", "--allow-writes", "--audit-log", str(audit)])
    try:
        prev = _tool(proc, 1, "scale_deployment", SCALE)["structuredContent"]
        # From now on the server process may not grow any file past the audit log's size.
        size = audit.stat().st_size
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (size + 30, resource.RLIM_INFINITY))
        done = _tool(proc, 2, "scale_deployment", {**SCALE, "confirmation_token": prev["confirmation_token"]})
        assert done["isError"] is True
        assert "intent could not be recorded" in done["content"][0]["text"]
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        deps = _tool(proc, 3, "list_deployments", {"namespace": "payments"})["structuredContent"]
        gw = next(d for d in deps["deployments"] if d["name"] == "payment-gateway")
        assert gw["desired"] == 3, "the write must not have been applied"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    lines = _lines(audit)  # every line whole
    assert not [r for r in lines if r.get("phase") in ("intent", "outcome")]


@pytest.fixture
def tiny_filesystem(tmp_path):
    """A 64 KiB tmpfs, to fill up for real (needs the right to mount; skipped elsewhere)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_fault_full_filesystem_refuses_writes_it_cannot_record(tiny_filesystem):
    audit = tiny_filesystem / "audit.jsonl"
    proc = _spawn(["--scenario", SCEN, "--no-rag", "--allow-writes", "--audit-log", str(audit)])
    try:
        filler = tiny_filesystem / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:  # take every free block
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        replicas, refused = 3, None
        for i in range(60):  # the audit file's last page may still take a few lines; then it is full
            to = 2 if replicas == 3 else 3
            args = {**SCALE, "replicas": to}
            prev = _tool(proc, 2 * i + 1, "scale_deployment", args)
            assert not prev.get("isError"), prev
            done = _tool(proc, 2 * i + 2, "scale_deployment", {**args, "confirmation_token": prev["structuredContent"]["confirmation_token"]})
            if done.get("isError"):
                refused = done["content"][0]["text"]
                break
            replicas = to
        deps = _tool(proc, 999, "list_deployments", {"namespace": "payments"})["structuredContent"]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert refused is not None and "intent could not be recorded" in refused, refused
    assert next(d for d in deps["deployments"] if d["name"] == "payment-gateway")["desired"] == replicas
    lines = _lines(audit)  # whole lines only
    applied = [r for r in lines if r.get("phase") == "outcome" and r.get("outcome") == "applied"]
    intents = {r["call_id"] for r in lines if r.get("phase") == "intent"}
    assert all(r["call_id"] in intents for r in applied)  # no write without its intent line


# --- fault injection: killed mid-write -> the intent line is on disk ------------------

def _cluster(tmp_path: Path):
    sc = load_scenario(SCEN)
    data = ClusterData.from_scenario(sc)
    return data


def test_fault_server_killed_mid_write_leaves_an_intent_line(tmp_path):
    audit = tmp_path / "audit.jsonl"
    with FakeKubeAPI(_cluster(tmp_path)) as api:
        api.patch_delay = 30.0
        kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, namespace="payments")
        proc = _spawn(["--kubeconfig", str(kc), "--no-rag", "--allow-writes", "--call-timeout", "20", "--audit-log", str(audit)])
        try:
            prev = _tool(proc, 1, "scale_deployment", SCALE)["structuredContent"]
            msg = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                   "params": {"name": "scale_deployment", "arguments": {**SCALE, "confirmation_token": prev["confirmation_token"]}}}
            proc.stdin.write((json.dumps(msg) + "\n").encode())
            proc.stdin.flush()
            assert api.patched.wait(20), "the PATCH never arrived"
        finally:
            os.kill(proc.pid, signal.SIGKILL)  # mid-PATCH: the answer is still 30 s away
            proc.wait(10)
        assert api.data.deployments[0]["spec"]["replicas"] == 2  # the change landed
    lines = _lines(audit)
    intent = [r for r in lines if r.get("phase") == "intent"]
    assert len(intent) == 1 and intent[0]["tool"] == "scale_deployment"
    assert intent[0]["change"] == {"replicas": {"from": 3, "to": 2}} and intent[0]["token_id"] == prev["token_id"]
    assert not [r for r in lines if r.get("phase") == "outcome"]


# --- writes with deadlines -------------------------------------------------------------

async def test_write_answered_after_the_deadline_is_outcome_unknown_with_current_state(tmp_path):
    with FakeKubeAPI(_cluster(tmp_path)) as api:
        api.patch_delay = 20.0  # the API applies the change and answers long after the call's deadline
        kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, namespace="payments")
        server, rt = build_server(ServerConfig(kubeconfig=kc, audit_log=tmp_path / "a.jsonl", rag=False,
                                               allow_writes=True, call_timeout=6))
        async with Client(server) as c:
            await _call(c, "list_deployments", {"namespace": "payments"})  # the client library is imported
            err, prev, text = await _call(c, "scale_deployment", SCALE)
            assert not err, text
            err, out, text = await _call(c, "scale_deployment", {**SCALE, "confirmation_token": prev["confirmation_token"]})
    assert err and "outcome unknown" in text and "retry later" not in text
    e = out["error"]
    # The tool's own request deadline ended the wait (the call timeout's error has no re-read state).
    assert e["outcome"] == "unknown" and e["current_state"]["replicas"] == 2  # re-read: it was applied
    phases = [(r.get("phase"), r.get("outcome")) for r in _lines(tmp_path / "a.jsonl") if r.get("tool") == "scale_deployment"]
    assert ("intent", None) in phases and ("outcome", "unknown") in phases and ("call", "unknown") in phases


# --- previews per tool, with expiry ------------------------------------------------------

async def test_approval_cannot_be_evicted_by_other_previews(tmp_path):
    server, rt = build_server(ServerConfig(scenario=SCEN, audit_log=tmp_path / "a.jsonl", rag=False, allow_writes=True,
                                           rate_limits={"*": 100000}))
    actions = rt.extra["actions"]
    async with Client(server) as c:
        err, prev, text = await _call(c, "scale_deployment", SCALE)  # approve 3 -> 2
        assert not err, text
        actions.writes.scale("payments", "payment-gateway", 9)  # someone else scales to 9
        for i in range(1001):  # the old shared dict kept 1,000 previews
            await _call(c, "create_pagerduty_incident", {"service": "payment-gateway", "severity": "info", "title": f"t{i}"})
        err, _, text = await _call(c, "scale_deployment", {**SCALE, "confirmation_token": prev["confirmation_token"]})
    assert err and "changed since the preview" in text
    assert actions.writes.read_deployment("payments", "payment-gateway")["spec"]["replicas"] == 9


def test_previews_expire_with_their_token():
    from sre_mcp.tools.actions import PreviewStore

    now = [1000.0]
    store = PreviewStore(clock=lambda: now[0])
    store.put("create_pagerduty_incident", "a", None, expires_at=1300)
    store.put("scale_deployment", "b", 3, expires_at=1300)
    now[0] = 1301
    assert len(store) == 2  # not yet looked at
    assert store.take("scale_deployment", "b") == (False, None)
    store.put("create_pagerduty_incident", "c", None, expires_at=1600)
    assert len(store) == 1  # PagerDuty previews go too


# --- no secrets or live tokens on disk; the client's note is only a claim --------------

async def test_audit_file_holds_no_secret_values_names_or_live_tokens(tmp_path):
    audit = tmp_path / "a.jsonl"
    server, rt = build_server(ServerConfig(scenario=SCEN, audit_log=audit, rag=False, allow_writes=True))
    async with Client(server) as c:
        await _call(c, "no_such_tool", {"password": "hunter2", "token": "ghp_" + "a" * 36})
        await _call(c, "search_logs", {"keyword": "password=hunter2" * 20})  # schema error echoing the value
        await _call(c, "list_pods", {"namespace": "payments", "hunter2secretname": 1})  # unknown argument name
        pd = {"service": "payment-gateway", "severity": "info", "title": "db password=hunter2 leaked"}
        err, prev, text = await _call(c, "create_pagerduty_incident", pd)
        assert not err, text
        token = prev["confirmation_token"]
        err, done, text = await _call(c, "create_pagerduty_incident", {**pd, "confirmation_token": token})
        assert not err, text
    raw = audit.read_text()
    for secret in ("hunter2", "ghp_" + "a" * 36, token, token.rsplit(".", 1)[1]):
        assert secret not in raw, secret
    lines = _lines(audit)
    unknown = next(r for r in lines if r.get("tool") == "no_such_tool")
    assert "password" not in json.dumps(unknown["arguments"])
    confirmed = next(r for r in lines if r.get("phase") == "call" and (r.get("confirmation") or {}).get("state") == "confirmed")
    assert confirmed["arguments"]["confirmation_token"].startswith("tok:")
    assert stat.S_IMODE(audit.stat().st_mode) == 0o600


async def test_client_note_is_recorded_as_an_assertion_beside_the_known_identity(tmp_path):
    audit = tmp_path / "a.jsonl"
    server, rt = build_server(ServerConfig(scenario=SCEN, audit_log=audit, rag=False, allow_writes=True, role="operator"))
    note = {"approved_by": "mallory", "decision": "approved", "x" * 100: "y" * 1000}
    async with Client(server) as c:
        err, prev, _ = await _call(c, "scale_deployment", SCALE)
        err, done, text = await _call(c, "scale_deployment", {**SCALE, "confirmation_token": prev["confirmation_token"]},
                                      meta={"sre/audit_note": note})
        assert not err, text
    lines = _lines(audit)
    call = next(r for r in lines if r.get("phase") == "call" and (r.get("confirmation") or {}).get("state") == "confirmed")
    assert "approved_by" not in call and "host_note" not in call
    assert call["client_assertion"]["approved_by"] == "mallory"
    assert all(len(k) <= 40 and len(str(v)) <= 200 for k, v in call["client_assertion"].items())
    assert call["identity"]["server_user"] == getpass.getuser() and call["identity"]["role"] == "operator"
    intent = next(r for r in lines if r.get("phase") == "intent")
    assert intent["call_id"] == call["call_id"] and intent["client_assertion"]["approved_by"] == "mallory"
    outcome = next(r for r in lines if r.get("phase") == "outcome")
    assert outcome["outcome"] == "applied" and outcome["call_id"] == call["call_id"]


# --- namespace policy on every tool that can reach a namespace ---------------------------

async def test_viewer_exclusion_holds_for_service_keyed_tools_logs_and_the_meta_tool(tmp_path):
    from datetime import datetime, timedelta, timezone

    from sre_mcp.logs_import import COLUMNS

    server, rt = build_server(ServerConfig(scenario=SCEN, audit_log=tmp_path / "a.jsonl", rag=False, role="viewer"))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = [{"timestamp": (now - timedelta(minutes=m)).isoformat(sep=" ", timespec="milliseconds"), "service": "coredns",
             "level": "ERROR", "host": "coredns-1", "message": f"kube-system secret CLUSTER_TOKEN=abc{m}", "trace_id": "tx-abc123",
             "duration_ms": 1.0, "source": "test"} for m in (1, 2, 3)]
    await rt.run(lambda: rt.logs.insert_rows("logs", COLUMNS, rows))
    async with Client(server) as c:
        for name, args in [("check_service_health", {"service_name": "coredns"}),
                           ("investigate_service", {"service_name": "coredns"}),
                           ("get_recent_deploys", {"service_name": "coredns"}),
                           ("search_logs", {"service": "coredns"}),
                           ("get_slow_queries", {"service": "coredns"})]:
            err, _, text = await _call(c, name, args)
            assert err and "role 'viewer' may not use namespace 'kube-system'" in text, (name, text)
        err, out, text = await _call(c, "list_services", {})
        assert [s["name"] for s in out["services"]] == ["payment-gateway"]
        err, out, text = await _call(c, "search_logs", {"time_range": "1h", "limit": 200})
        assert not err and out["rows"] and "coredns" not in text
        for group_by in ("service", "host", "message"):
            err, out, text = await _call(c, "count_errors", {"group_by": group_by})
            assert not err and "coredns" not in text and "CLUSTER_TOKEN" not in text, group_by
        err, out, text = await _call(c, "trace_transaction", {"trace_id": "tx-abc123"})
        assert not err and out["services"] == ["payment-gateway"] and "coredns" not in text
        # The same store without a role shows the rows: the filter, not the data, hid them.
        err, out, text = await _call(c, "investigate_service", {"service_name": "payment-gateway"})
        assert not err, text
    admin, art = build_server(ServerConfig(scenario=SCEN, audit_log=tmp_path / "b.jsonl", rag=False, role="admin"))
    art._logs_proxy = rt._logs_proxy
    async with Client(admin) as c:
        err, out, text = await _call(c, "trace_transaction", {"trace_id": "tx-abc123"})
        assert "coredns" in out["services"]


def test_unknown_tool_names_share_one_rate_limit_bucket():
    from sre_mcp.security.ratelimit import RateLimitPolicy

    policy = RateLimitPolicy({"*": 10**9}, known={"list_pods"}.__contains__)
    for i in range(5000):
        policy.check(f"invented_{i}", {})
    policy.check("list_pods", {})
    assert len(policy._buckets) == 2


# --- no stalled server: log store start off the loop, retried; per-backend gates ----------

def test_failed_log_store_start_is_retried_after_a_back_off():
    import threading as th

    from sre_mcp.backends.base import BackendError
    from sre_mcp.runtime import Lazy

    now = [0.0]
    attempts = []

    def build():
        attempts.append(now[0])
        if len(attempts) == 1:
            raise ConnectionError("ClickHouse refused the connection")
        return "store"

    lazy = Lazy("log store", build, clock=lambda: now[0])
    with pytest.raises(BackendError, match="refused"):
        lazy.get(timeout=10)
    with pytest.raises(BackendError, match="unavailable"):  # within the back-off: not rebuilt yet
        lazy.get(timeout=10)
    assert len(attempts) == 1
    now[0] = Lazy.RETRY_FIRST_S + 0.1
    assert lazy.get(timeout=10) == "store" and len(attempts) == 2
    assert not [t for t in th.enumerate() if t.name == "warm-log store"]


async def test_hung_log_store_start_holds_only_the_log_call(tmp_path):
    import threading as th

    import anyio
    from sre_mcp.runtime import Lazy, LazyProxy

    server, rt = build_server(ServerConfig(scenario=SCEN, audit_log=tmp_path / "a.jsonl", rag=False, call_timeout=3))
    release = th.Event()
    rt._logs = Lazy("log store", lambda: release.wait(60) and None)  # a ClickHouse that never finishes connecting
    rt._logs_proxy = LazyProxy(rt._logs, timeout=60)
    order: list[str] = []
    try:
        async with Client(server) as c:
            async def logs_call():
                err, _, text = await _call(c, "search_logs", {"keyword": "x"})
                order.append("search_logs " + ("timed out" if err and "timed out" in text else text[:80]))

            async with anyio.create_task_group() as tg:
                tg.start_soon(logs_call)
                await anyio.sleep(0.2)
                for _ in range(5):
                    err, out, _ = await _call(c, "list_pods", {"namespace": "payments"})
                    order.append("list_pods" if not err else "list_pods failed")
                    await _call(c, "list_services", {})
    finally:
        release.set()
    # Counting, not timing: every list_pods answered while the log call was still waiting,
    # and the log call itself ended at its deadline.
    assert order == ["list_pods"] * 5 + ["search_logs timed out"], order


async def test_hung_prometheus_cannot_starve_other_tools(tmp_path):
    import anyio

    from tests.fake_k8s import HangingServer

    hang = HangingServer()
    # A deadline far beyond what list_pods needs even on a loaded machine: the hung calls are
    # released by closing the hanging server once list_pods has answered (no race on timing).
    server, rt = build_server(ServerConfig(scenario=SCEN, audit_log=tmp_path / "a.jsonl", rag=False, call_timeout=60,
                                           prometheus_url=hang.url, rate_limits={"*": 10000}))
    done: list[str] = []
    try:
        async with Client(server) as c:
            async def health():
                await _call(c, "check_service_health", {"service_name": "payment-gateway"})
                done.append("health")

            async with anyio.create_task_group() as tg:
                for _ in range(45):
                    tg.start_soon(health)
                await anyio.sleep(0.5)  # all 45 are waiting on Prometheus
                for _ in range(5):
                    err, _, text = await _call(c, "list_pods", {"namespace": "payments"})
                    assert not err, text
                    done.append("list_pods")
                hang.close()  # Prometheus "recovers": the 45 calls end
        gate = rt.gate(rt.metrics.service_metrics)
    finally:
        hang.close()
    assert done[:5] == ["list_pods"] * 5, done[:8]
    assert done.count("health") == 45
    assert gate.peak <= gate.limit  # threads on the hung backend stayed bounded


# --- logs-import: a bad timestamp is one bad line; --replace is atomic; write errors exit 1 ---

def _import(db: Path, lines: list[dict], *flags: str, fsize: int | None = None) -> subprocess.CompletedProcess:
    """logs-import in its own process (chdb binds a process to one store; the limit must not hit pytest)."""
    src = db.parent / f"in-{len(list(db.parent.glob('in-*')))}.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in lines))

    def limit():
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, resource.RLIM_INFINITY))

    return subprocess.run([sys.executable, "-m", "sre_mcp", "logs-import", "--logs-db", str(db), "--progress", "never", *flags, str(src)],
                          capture_output=True, text=True, timeout=300, preexec_fn=limit)


def _counts(db: Path) -> dict[str, int]:
    code = (f"from sre_mcp.backends.clickhouse import ChdbLogs\n"
            f"s = ChdbLogs({str(db)!r})\n"
            f"print(dict((r['source'], int(r['c'])) for r in s.query('SELECT source, count() AS c FROM sre.logs GROUP BY source', {{}})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return eval(out.stdout.strip().splitlines()[-1])  # noqa: S307 - our own printed dict


def _rows(n: int, tag: str = "x") -> list[dict]:
    import hashlib

    # Hashes in the text: rows that do not compress away, so a size limit is reached for real.
    return [{"timestamp": f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z", "service": "svc", "level": "INFO",
             "message": f"{tag} line {i} " + hashlib.sha256(f"{tag}{i}".encode()).hexdigest()} for i in range(n)]


def test_epoch_nanoseconds_and_out_of_range_numbers_are_bad_lines_not_an_abort(tmp_path):
    db = tmp_path / "db"
    bad = [{"timestamp": t, "service": "s", "level": "INFO", "message": "m"} for t in (1e20, -1e20, 10**30)]
    nanos = {"timestamp": 1_700_000_000_123_456_789, "service": "otel", "level": "INFO", "message": "m"}  # OpenTelemetry
    out = _import(db, _rows(99) + bad + [nanos])
    assert out.returncode == 0, out.stderr
    assert _counts(db) == {f"import:{sorted(tmp_path.glob('in-*'))[-1].name}": 100}
    assert "rejected 3" in out.stderr.replace(",", ""), out.stderr


def test_replace_that_cannot_be_stored_deletes_nothing_and_exits_nonzero(tmp_path):
    db = tmp_path / "db"
    first = _import(db, _rows(1000, "old"), "--source", "S")
    assert first.returncode == 0, first.stderr
    # Under a per-file size limit the store cannot write 10,000 new rows.
    failed = _import(db, _rows(10_000, "new"), "--source", "S", "--replace", fsize=100_000)
    assert failed.returncode == 1, failed.stderr
    assert "imported 10,000" not in failed.stderr and "nothing was imported" in failed.stderr
    assert _counts(db) == {"S": 1000}
    again = _import(db, _rows(10, "new"), "--source", "S", "--replace")
    assert again.returncode == 0 and _counts(db) == {"S": 10}, again.stderr


def test_write_error_without_replace_is_a_nonzero_exit(tmp_path):
    db = tmp_path / "db"
    out = _import(db, _rows(10_000), fsize=100_000)
    assert out.returncode == 1 and "imported 10,000" not in out.stderr, out.stderr
    assert _counts(db) == {}
