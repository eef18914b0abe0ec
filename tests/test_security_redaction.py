"""Redaction: each rule masks only the secret; look-alikes stay; results leaving
the server and audit lines carry no secret; the filter fails closed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client

from sre_mcp.config import ServerConfig
from sre_mcp.security.redaction import luhn_ok, redact, redact_arguments
from sre_mcp.server import build_server

SCEN = str(Path(__file__).parent / "data" / "security-scenario")
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"

# (input, expected output, kind) — one or more cases per rule.
CASES = [
    ("charge failed card 4111 1111 1111 1111 amount=12", "charge failed card 4111 **** **** 1111 amount=12", "card"),
    ("card=5555-5555-5555-4444 declined", "card=5555-****-****-4444 declined", "card"),
    ("pan 4111111111111111.", "pan 4111********1111.", "card"),
    ("amex 378282246310005 ok", "amex 3782*******0005 ok", "card"),
    ("Authorization: Bearer abcdef0123456789xyz", "Authorization: Bearer [REDACTED:bearer]", "bearer"),
    ("curl -H 'authorization: Basic dXNlcjpwYXNzd29yZA=='", "curl -H 'authorization: Basic [REDACTED:bearer]'", "bearer"),
    (f"rejected token {JWT} for user 7", "rejected token [REDACTED:jwt] for user 7", "jwt"),
    ("DB_PASSWORD=hunter2 pool=20", "DB_PASSWORD=[REDACTED:password] pool=20", "password"),
    ("password: s3cr3t! (from vault)", "password: [REDACTED:password] (from vault)", "password"),
    ('cfg {"user": "app", "db_password": "s3 cr3t"}', 'cfg {"user": "app", "db_password": "[REDACTED:password]"}', "password"),
    ('escaped {\\"api_key\\": \\"abc123\\"}', 'escaped {\\"api_key\\": \\"[REDACTED:password]\\"}', "password"),
    ("client_secret=xyz&grant=code", "client_secret=[REDACTED:password]&grant=code", "password"),
    ("dsn postgres://app:pa55w0rd@db:5432/pay", "dsn postgres://app:[REDACTED:password]@db:5432/pay", "password"),
    ("aws key AKIAIOSFODNN7EXAMPLE used", "aws key [REDACTED:aws_access_key] used", "aws_access_key"),
    ("gcp AIzaSyA1234567890abcdefghijklmnopqrstuv end", "gcp [REDACTED:gcp_api_key] end", "gcp_api_key"),
    ("k -----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc==\n-----END RSA PRIVATE KEY-----\nnext line", "k [REDACTED:private_key]\nnext line", "private_key"),
    ("-----BEGIN PRIVATE KEY-----\nMIIEv (truncated", "[REDACTED:private_key]", "private_key"),
]

# Things that look like secrets and are not: they must pass untouched.
KEEP = [
    "order 4111111111111112 shipped",            # 16 digits, fails Luhn
    "order 1234567890123456 settled",           # no card-network prefix
    "trace tx-abc123 and tx-9f8e7d6c5b4a",
    "at 2026-01-15T12:30:45.123Z / 2026-01-15 12:30:45 / epoch 1700000000000",
    "request 550e8400-e29b-41d4-a716-446655440000 and 12345678-1234-1234-1234-123456789012",
    "pod payment-gw-7d9f8b6c5-x2k4p on node ip-10-42-1-17",
    "from 10.42.1.17:8080 and 2001:db8::1",
    "password reset requested for user 42",
    "token expired; re-login",
    "sha 4f2a9c1e7b3d5f6a8c0e2b4d6f8a0c2e4b6d8f0a",
    "phone +1 415 555 2671, amount 1234.56, build 4111",
]


@pytest.mark.parametrize("text,expected,kind", CASES, ids=[f"{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_each_rule_masks_only_the_secret(text, expected, kind):
    out, counts = redact(text)
    assert out == expected
    assert counts == {kind: 1}


@pytest.mark.parametrize("text", KEEP)
def test_false_positives_stay(text):
    out, counts = redact(text)
    assert out == text and not counts


def test_luhn():
    assert luhn_ok("4111 1111 1111 1111") and luhn_ok("378282246310005")
    assert not luhn_ok("4111111111111112") and not luhn_ok("4111")


def test_structured_values_by_key_and_kubernetes_env():
    out, counts = redact({"env": [{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "LOG_LEVEL", "value": "info"}],
                          "apiKey": "k-123", "password": "", "note": ["Bearer abcdefghijklmnop"], "n": 4111111111111111})
    assert out["env"] == [{"name": "DB_PASSWORD", "value": "[REDACTED:password]"}, {"name": "LOG_LEVEL", "value": "info"}]
    assert out["apiKey"] == "[REDACTED:password]" and out["password"] == ""
    assert out["note"] == ["Bearer [REDACTED:bearer]"]
    assert counts == {"password": 2, "bearer": 1}


def test_argument_filter_for_the_audit_line():
    args, n = redact_arguments({"keyword": "password=hunter2", "namespace": "payments"})
    assert args == {"keyword": "password=[REDACTED:password]", "namespace": "payments"} and n == 1
    assert redact_arguments({"namespace": "payments"}) == ({"namespace": "payments"}, 0)


def _server(tmp_path):
    return build_server(ServerConfig(scenario=SCEN, audit_log=tmp_path / "audit.jsonl", rag=False))


SECRETS = ["hunter2-prod", "sk_live_51HzqL2eZvKYlo2C0a1b2c3d4", "4111 1111 1111 1111", "5555-5555-5555-4444", JWT, "s3cr3t!", "AKIAIOSFODNN7EXAMPLE"]


async def test_results_and_audit_carry_no_secret(tmp_path):
    server, _ = _server(tmp_path)
    async with Client(server) as c:
        seen = []
        for name, args in [
            ("get_pod_logs", {"namespace": "payments", "pod_name": "payment-gw-def34"}),
            ("describe_pod", {"namespace": "payments", "pod_name": "payment-gw-def34"}),
            ("search_logs", {"time_range": "1h", "limit": 50}),
            ("search_logs", {"keyword": "password=hunter2-prod", "time_range": "1h"}),
        ]:
            r = await c.call_tool(name, args)
            assert not r.is_error, r.content[0].text
            seen.append(json.dumps(r.structured_content) + r.content[0].text)
        text = "\n".join(seen)
        for s in SECRETS:
            assert s not in text, s
        # The rest of the line stays useful.
        assert "charge failed for card 4111 **** **** 1111 order 4111111111111112 trace tx-abc123" in text
        assert "upstream call Authorization: Bearer [REDACTED:bearer] ok" in text
        assert "550e8400-e29b-41d4-a716-446655440000 from 10.42.1.17" in text
        assert "order 1234567890123456 settled at" in text
    audit_text = (tmp_path / "audit.jsonl").read_text()
    for s in SECRETS:
        assert s not in audit_text
    audit = [json.loads(line) for line in audit_text.splitlines()]
    logs_line = audit[0]
    assert logs_line["redactions"]["count"] >= 3
    assert set(logs_line["redactions"]["kinds"]) >= {"password", "bearer", "card"}
    assert audit[1]["redactions"]["kinds"] == {"password": 1}  # the DB_PASSWORD env value in describe_pod
    assert audit[3]["arguments"]["keyword"] == "password=[REDACTED:password]"


async def test_redaction_fails_closed(tmp_path, monkeypatch):
    from sre_mcp.security import redaction

    def broken(self, value, counts=None):
        raise RuntimeError("rule engine broke")

    server, _ = _server(tmp_path)
    monkeypatch.setattr(redaction.Redactor, "value", broken)
    async with Client(server) as c:
        r = await c.call_tool("get_pod_logs", {"namespace": "payments", "pod_name": "payment-gw-def34"})
        assert r.is_error and "withheld" in r.content[0].text
        assert "hunter2" not in r.content[0].text
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert audit[-1]["arguments"] == {"namespace": "[REDACTED:unavailable]", "pod_name": "[REDACTED:unavailable]"}
    assert audit[-1]["outcome"] == "error"


@pytest.mark.parametrize("hostile", ["tx-" * 100_000, "eyJ-" * 50_000, "a.a" * 50_000, '"a' * 100_000, "a:" * 100_000, "ab:cd@" * 30_000, "4-" * 100_000,
                                     "--password " * 20_000, "mysql " + "-u x " * 30_000, "password=" * 20_000, "aws " + "A" * 100_000,
                                     "Cookie: " + "a=b; " * 40_000, "redis://:" + "a" * 100_000, "?key=" * 40_000, "secret " * 30_000,
                                     "x://" + ":" * 100_000 + "@", "password '" * 20_000, "redis-cli " + "-a " * 40_000])
def test_rules_stay_linear_on_hostile_input(hostile):
    """Every argument passes the redactor (audit line): a quadratic rule would let one call pin a CPU."""
    import time

    t0 = time.perf_counter()
    redact(hostile)
    assert time.perf_counter() - t0 < 1.0
