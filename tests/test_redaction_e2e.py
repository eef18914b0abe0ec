"""End to end: every secret class of issue 16 planted in every place a tool reads (logs,
pod logs, pod env, events, deploy notes, alert summaries, slow queries), every read tool
called over MCP: zero secrets out, and the harmless look-alikes come back unchanged.
Also: redaction and serialisation run off the event loop, and a single huge string is cut
by the size cap with a marker (issue 16 items 1, 8, 11)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import yaml
from mcp import Client

from sre_mcp.config import ServerConfig
from sre_mcp.server import build_server

# (where it shows, the line around it, the secret that must not come out)
PLANTS = [
    ("quoted", 'db config password="hunter2 prod" pool=20', "hunter2 prod"),
    ("quoted-yaml", "PASSWORD: 'Tr0ub4dor&3'", "Tr0ub4dor&3"),
    ("export", 'export DB_PASSWORD="s3cr3t-Pa55"', "s3cr3t-Pa55"),
    ("flag", "exec: app --password hunter22x --verbose", "hunter22x"),
    ("mysql", "backup: mysqldump -u root -pMyS3cretPw shop", "MyS3cretPw"),
    ("ghp", "git auth ghp_1A2b3C4d5E6f7G8h9I0jK1l2M3n4O5p6Q7r8", "ghp_1A2b3C4d5E6f7G8h9I0jK1l2M3n4O5p6Q7r8"),
    ("gho", "oauth gho_16C7e42F292c6912E7710c838347Ae178B4a ok", "gho_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("github_pat", "pat github_pat_11ABCDEFG0123456789abc_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW used",
     "github_pat_11ABCDEFG0123456789abc_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW"),
    ("slack", "posting with xoxb-2048-4096-aBcDeFgHiJkLmNoPqRsTuVwX", "xoxb-2048-4096-aBcDeFgHiJkLmNoPqRsTuVwX"),
    ("slack-webhook", "notify https://hooks.slack.com/services/T0ABCDEFG/B0HIJKLMN/aBcDeFgHiJkLmNoPqRsTuVwX failed", "aBcDeFgHiJkLmNoPqRsTuVwX"),
    ("stripe", "stripe charge with sk_live_51HzqL2eZvKYlo2C0a1b2c3d4 failed", "sk_live_51HzqL2eZvKYlo2C0a1b2c3d4"),
    ("aws-secret", "creds AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("token-param", "GET /v1/export?token=abc123def456xyz&format=csv", "abc123def456xyz"),
    ("api_token-param", "callback https://api.example.com/hook?api_token=Zx9Yw8Vu7Q&id=4", "Zx9Yw8Vu7Q"),
    ("key-param", "maps https://maps.example.com/api?key=AbC123xYz987&q=berlin", "AbC123xYz987"),
    ("sas-sig", "blob https://acct.blob.core.windows.net/c/f?sv=2021-06-08&sp=r&sig=a1B2c3D4e5F6g7H8%2Bi9J0%3D", "a1B2c3D4e5F6g7H8%2Bi9J0%3D"),
    ("cookie", "Cookie: session=9a8b7c6d5e4fAAA; csrftoken=Qw3rTyUi0p", "9a8b7c6d5e4fAAA"),
    ("redis-url", "cache redis://:r3disPwZ@redis-master:6379/0 down", "r3disPwZ"),
    ("slash-url", "DATABASE_URL=postgres://app:ab/cd+ef9@db.internal:5432/pay", "ab/cd+ef9"),
    ("sql", "CREATE USER app WITH PASSWORD 'Sql!Pass1'", "Sql!Pass1"),
    ("GITHUB_TOKEN", "GITHUB_TOKEN=abcdef1234567890abcdef", "abcdef1234567890abcdef"),
    ("SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN=not-a-real-token-42", "not-a-real-token-42"),
    ("STRIPE_KEY", "STRIPE_KEY=rk_notlive_0123456789", "rk_notlive_0123456789"),
    ("SESSION_KEY", "SESSION_KEY=7c3f1a9e2b8d4c6f", "7c3f1a9e2b8d4c6f"),
    ("DB_PASS", "DB_PASS=Secr3tDbPass!", "Secr3tDbPass!"),
    ("API_TOKEN", "API_TOKEN=tok_8d7e6f5a4b3c", "tok_8d7e6f5a4b3c"),
]

# Look-alikes that must come back exactly as planted.
HARMLESS = [
    "trace tx-e2e-0001 and 550e8400-e29b-41d4-a716-446655440000",
    "rolled back to 4f2a9c1e7b3d5f6a8c0e2b4d6f8a0c2e4b6d8f0a",
    "pod payment-gw-7d9f8b6c5-x2k4p at 2026-01-15T12:30:45.123Z",
    "order 1234567890123456 settled",
    "order 4111111111111111 shipped",
    "login failed: password: mismatch for user bob",
    "mounted secret: db-credentials into /etc/creds",
    "device imei=356938035643809 roaming",
    "password reset requested for user 42",
]

ENV = {  # pod env: names that mean a secret, and ones that do not
    "GITHUB_TOKEN": "envGhTok0123456789",
    "SLACK_BOT_TOKEN": "envSlackTok0123456",
    "STRIPE_KEY": "envStripeKey012345",
    "SESSION_KEY": "envSessionKey01234",
    "DB_PASS": "envDbPass01234567",
    "API_TOKEN": "envApiTok01234567",
    "LOG_LEVEL": "info",
    "CACHE_KEY_PREFIX": "orders",
}
ENV_SECRETS = [v for k, v in ENV.items() if k not in ("LOG_LEVEL", "CACHE_KEY_PREFIX")]

POD = "payment-gw-7d9f8b6c5-x2k4p"


def _scenario(root: Path, huge_line: str | None = None) -> Path:
    d = root / "scen"
    (d / "pod_logs").mkdir(parents=True)
    lines = [p[1] for p in PLANTS] + HARMLESS
    (d / "scenario.yaml").write_text(yaml.safe_dump({
        "title": "redaction end to end", "description": "planted secrets",
        "namespaces": ["payments"],
        "services": [{"name": "payment-gateway", "namespace": "payments", "deployment": "payment-gateway", "team": "payments"}],
    }))
    (d / "pods.yaml").write_text(yaml.safe_dump([{
        "name": POD, "namespace": "payments", "service": "payment-gateway", "node": "worker-01", "created": "-3d",
        "containers": [{"name": "payment-svc", "image": "acme/payment-gw:v2.3.1", "ready": False, "restarts": 3,
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                        "last_state": {"terminated": {"reason": "Error", "exit_code": 1, "started": "-4m", "finished": "-2m"}},
                        "env": ENV}],
    }]))
    (d / "deployments.yaml").write_text(yaml.safe_dump([
        {"name": "payment-gateway", "namespace": "payments", "service": "payment-gateway", "replicas": 2, "ready": 1,
         "image": "acme/payment-gw:v2.3.1", "revision": 7}]))
    (d / "events.yaml").write_text(yaml.safe_dump([
        {"namespace": "payments", "type": "Warning", "reason": "BackOff", "object": f"pod/{POD}", "message": line, "at": f"-{i + 1}m"}
        for i, line in enumerate(lines)]))
    (d / "deploys.yaml").write_text(yaml.safe_dump([
        {"service": "payment-gateway", "version": f"v2.3.{i}", "image": f"acme/payment-gw:v2.3.{i}", "at": f"-{i + 1}h",
         "author": "j.chen", "revision": i + 1, "change": line, "status": "succeeded"} for i, line in enumerate(lines)]))
    (d / "metrics.yaml").write_text(yaml.safe_dump({"payment-gateway": {
        "error_rate": 0.2, "p99_ms": 3000, "rps": 100,
        "alerts": [{"name": f"Alert{i}", "severity": "critical", "summary": line, "since": "-10m"} for i, line in enumerate(lines)]}}))
    with open(d / "logs.jsonl", "w") as fh:
        for i, line in enumerate(lines):
            fh.write(json.dumps({"at": f"-{i + 1}m", "service": "payment-gateway", "level": "ERROR", "host": POD,
                                 "message": line, "trace_id": "tx-e2e-0001", "duration_ms": 5}) + "\n")
    with open(d / "slow_queries.jsonl", "w") as fh:
        for i, line in enumerate(lines):
            fh.write(json.dumps({"at": f"-{i + 1}m", "service": "payment-gateway", "database": "payments-db",
                                 "duration_ms": 5000 + i, "rows_examined": 1000, "query": line}) + "\n")
    log = [f"{{T-{len(lines) - i}m}} ERROR {line}" for i, line in enumerate(lines)]
    if huge_line is not None:
        log.append("{T-0m} ERROR " + huge_line)
    (d / "pod_logs" / f"{POD}.log").write_text("\n".join(log) + "\n")
    return d


CALLS = [
    ("search_logs", {"time_range": "24h", "limit": 200}),
    ("search_logs", {"keyword": "password", "time_range": "24h", "limit": 200}),
    ("count_errors", {"time_range": "24h"}),
    ("trace_transaction", {"trace_id": "tx-e2e-0001"}),
    ("get_pod_logs", {"namespace": "payments", "pod_name": POD, "lines": 500}),
    ("describe_pod", {"namespace": "payments", "pod_name": POD}),
    ("get_events", {"namespace": "payments", "limit": 200}),
    ("get_recent_deploys", {"service_name": "payment-gateway", "hours_back": 168}),
    ("check_service_health", {"service_name": "payment-gateway"}),
    ("get_slow_queries", {"limit": 100}),
    ("list_pods", {"namespace": "payments"}),
    ("list_deployments", {"namespace": "payments"}),
    ("list_services", {}),
    ("investigate_service", {"service_name": "payment-gateway"}),
]


async def test_no_planted_secret_leaves_any_read_tool_and_look_alikes_stay(tmp_path):
    server, _ = build_server(ServerConfig(scenario=str(_scenario(tmp_path)), audit_log=tmp_path / "audit.jsonl", rag=False))
    leaks: list[tuple[str, str]] = []
    seen_harmless: set[str] = set()
    async with Client(server) as c:
        for name, args in CALLS:
            r = await c.call_tool(name, args)
            assert not r.is_error, (name, r.content[0].text[:500])
            out = json.dumps(r.structured_content, ensure_ascii=False) + "\n" + "\n".join(getattr(b, "text", "") for b in r.content)
            for cls, _, secret in PLANTS:
                if secret in out:
                    leaks.append((name, cls))
            for value in ENV_SECRETS:
                if value in out:
                    leaks.append((name, f"env {value}"))
            seen_harmless |= {h for h in HARMLESS if h in out}
            if name == "investigate_service":
                # the investigation's own evidence still shows the look-alikes unchanged
                assert "order 4111111111111111 shipped" in out or "tx-e2e-0001" in out
    assert leaks == [], f"{len(leaks)} leaks: {leaks}"
    missing = [h for h in HARMLESS if h not in seen_harmless]
    assert missing == [], f"harmless strings altered or lost: {missing}"
    audit = (tmp_path / "audit.jsonl").read_text()
    assert not [cls for cls, _, s in PLANTS if s in audit]


async def test_harmless_env_values_stay_and_secret_env_values_go(tmp_path):
    server, _ = build_server(ServerConfig(scenario=str(_scenario(tmp_path)), rag=False))
    async with Client(server) as c:
        r = await c.call_tool("describe_pod", {"namespace": "payments", "pod_name": POD})
    text = json.dumps(r.structured_content)
    assert "orders" in text and "info" in text  # CACHE_KEY_PREFIX, LOG_LEVEL
    assert not [v for v in ENV_SECRETS if v in text]


async def test_a_single_huge_string_is_cut_with_a_marker(tmp_path):
    """Issue 16 item 11: one 20 MB log line went out whole (40 MB on the wire)."""
    huge = "x" * 20_000_000
    cap = 256_000
    server, _ = build_server(ServerConfig(scenario=str(_scenario(tmp_path, huge_line=huge)), rag=False, max_result_bytes=cap))
    async with Client(server) as c:
        # one line: the result holds a single 20 MB string, no list to shorten
        r = await c.call_tool("get_pod_logs", {"namespace": "payments", "pod_name": POD, "lines": 1})
    assert not r.is_error
    structured = json.dumps(r.structured_content)
    assert len(structured) < cap + 2_000
    assert len(r.content[0].text) < 2 * cap
    marker = r.structured_content["truncated"]
    assert marker["strings_cut"], marker
    (path, cut), = marker["strings_cut"].items()
    assert cut["original_chars"] > 20_000_000 and cut["kept_chars"] < cap
    assert "cut by the size cap" in structured  # the string itself says so, too


@pytest.mark.parametrize("failing", [False, True])
async def test_redaction_runs_off_the_event_loop(tmp_path, monkeypatch, failing):
    """Issue 16 item 8: 30 MB took 9.6 s of redaction on the loop; now it runs on a worker thread."""
    from sre_mcp.security import redaction

    threads: list[bool] = []
    real = redaction.RedactionFilter.__call__

    def spy(self, *a, **kw):
        import anyio

        try:
            anyio.get_current_task()  # works only on the event loop's own thread
            threads.append(True)
        except Exception:
            threads.append(False)
        if failing:
            raise RuntimeError("boom")
        return real(self, *a, **kw)

    monkeypatch.setattr(redaction.RedactionFilter, "__call__", spy)
    server, _ = build_server(ServerConfig(scenario=str(_scenario(tmp_path)), rag=False))
    async with Client(server) as c:
        r = await c.call_tool("search_logs", {"time_range": "24h"})
        assert r.is_error == failing
        # an error the server answers itself (a schema error echoing a secret) is redacted off the loop too
        e = await c.call_tool("search_logs", {"keyword": "x" * 300 + " password=hunter2-prod"})
        assert e.is_error and "hunter2-prod" not in e.content[0].text
    assert threads and not any(threads), threads
    assert threading.main_thread().is_alive()


def test_size_cap_recut_of_a_wide_string_terminates_and_fits():
    """A string cut by the looser cap (before redaction) is cut again by the exact cap: the second
    cut starts from the kept text, not the marker (emoji cost 12 bytes each as JSON escapes)."""
    from sre_mcp.middleware import PRE_CAP_SLACK, SizeCap

    cap = 256_000
    value = {"error": {"arguments": {"keyword": "🙂" * 100_000}}, "content": [{"text": "x" * 600}]}
    notes: dict = {}
    once = SizeCap(cap + PRE_CAP_SLACK)("t", {}, value, notes)
    twice = SizeCap(cap)("t", {}, once, notes)
    assert len(json.dumps(twice)) <= cap + 1_000
    (path, cut), = twice["truncated"]["strings_cut"].items()
    assert cut["original_chars"] == 100_000 and cut["kept_chars"] < 22_000
    assert twice["error"]["arguments"]["keyword"].count("cut by the size cap") == 1
