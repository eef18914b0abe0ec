"""The team server over real HTTP: every auth outcome, roles per user, audit identity,
tokens bound to user and session, Host checks beyond loopback, the probes and /metrics.

One server process (bound to 0.0.0.0, so the SDK's own loopback-only Host check is off
and ours must hold) with static tokens and OIDC (keys generated here) both on."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.conftest import MINI

pytestmark = pytest.mark.timeout(180)
SHIPPED_ROLES = Path(__file__).resolve().parents[1] / "servers" / "sre_mcp" / "config" / "roles.yaml"
ISSUER, AUDIENCE = "https://idp.example.test/realms/sre", "sre-mcp"
TOKENS = {"alice": ("tok-alice-6b1f", ["sre"]), "bob": ("tok-bob-93aa", ["dev"]), "carol": ("tok-carol-22c0", []),
          "flood": ("tok-flood-77d1", ["dev"])}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Team:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.audit = tmp / "audit.jsonl"
        self.tokens_file = tmp / "tokens.yaml"
        self.tokens_file.write_text(yaml.safe_dump([{"user": u, "groups": g, "token_sha256": _sha(t)} for u, (t, g) in TOKENS.items()]))
        roles = yaml.safe_load(SHIPPED_ROLES.read_text())
        roles["bindings"] = {"users": {"alice": "admin"}, "groups": {"sre": "operator", "dev": "viewer"}}
        roles["user_rate_limits"] = {"users": {"flood": 5}}
        self.roles_file = tmp / "roles.yaml"
        self.roles_file.write_text(yaml.safe_dump(roles))
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwks = tmp / "jwks.json"
        jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sre_mcp", "--scenario", str(MINI), "--no-rag", "--allow-writes", "--transport", "http",
             "--host", "0.0.0.0", "--port", str(self.port), "--audit-log", str(self.audit),
             "--auth-tokens", str(self.tokens_file), "--roles-file", str(self.roles_file),
             "--oidc-issuer", ISSUER, "--oidc-audience", AUDIENCE, "--oidc-jwks", str(jwks)],
            stdout=subprocess.DEVNULL, stderr=open(tmp / "server.err", "w"),
        )
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError((tmp / "server.err").read_text())
            time.sleep(0.1)

    def jwt(self, sub: str, groups: list[str], exp_in: int = 300, aud: str = AUDIENCE, key=None) -> str:
        now = int(time.time())
        return jwt.encode({"iss": ISSUER, "aud": aud, "sub": f"id-{sub}", "preferred_username": sub, "groups": groups,
                           "iat": now, "exp": now + exp_in}, key or self.key, algorithm="RS256", headers={"kid": "k1"})

    def client(self, token: str, mode: str = "auto") -> Client:
        transport = streamable_http_client(self.url, http_client=create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}))
        return Client(transport) if mode == "auto" else Client(transport, mode=mode)

    def audit_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.audit.read_text().splitlines() if line.strip()]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    t = Team(tmp_path_factory.mktemp("team"))
    yield t
    t.stop()


INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "curl", "version": "1"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def test_no_bad_or_expired_token_is_401_with_www_authenticate(team):
    def post(token: str | None):
        h = dict(HEADERS, **({"Authorization": f"Bearer {token}"} if token else {}))
        return httpx.post(team.url, json=INIT, headers=h, timeout=10)

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for token in (None, "not-a-token", team.jwt("dave", ["sre"], exp_in=-120), team.jwt("dave", ["sre"], aud="someone-else"),
                  team.jwt("dave", ["sre"], key=other_key)):
        r = post(token)
        assert r.status_code == 401, (token, r.status_code, r.text)
        assert r.headers["www-authenticate"].startswith("Bearer"), r.headers
        assert "resource_metadata=" in r.headers["www-authenticate"]
    assert post(TOKENS["alice"][0]).status_code == 200
    assert post(team.jwt("dave", ["sre"])).status_code == 200


async def test_roles_per_user_and_audit_identity(team):
    async with team.client(TOKENS["bob"][0]) as bob:  # group dev -> viewer
        r = await bob.call_tool("list_pods", {"namespace": "payments"})
        assert not r.is_error, r.content[0].text
        r = await bob.call_tool("scale_deployment", {"namespace": "payments", "deployment_name": "payment-gateway", "replicas": 3})
        assert r.is_error and "role 'viewer' (user 'bob') may not call scale_deployment" in r.content[0].text
    async with team.client(TOKENS["carol"][0]) as carol:  # bound to nothing
        r = await carol.call_tool("list_pods", {"namespace": "payments"})
        assert r.is_error and "user 'carol' has no role on this server" in r.content[0].text
    async with team.client(team.jwt("dave", ["sre"])) as dave:  # OIDC, group sre -> operator
        r = await dave.call_tool("scale_deployment", {"namespace": "payments", "deployment_name": "payment-gateway", "replicas": 3})
        assert not r.is_error and r.structured_content.get("confirmation_required"), r.content[0].text
        r = await dave.call_tool("list_pods", {"namespace": "kube-system"})
        assert r.is_error and "role 'operator' (user 'dave') may not use namespace 'kube-system'" in r.content[0].text
    calls = [a for a in team.audit_lines() if a.get("phase") == "call"]
    by_user = {}
    for a in calls:
        by_user.setdefault(a["identity"].get("user"), []).append(a)
    assert {"bob", "carol", "dave"} <= set(by_user)
    assert {a["identity"]["role"] for a in by_user["bob"]} == {"viewer"}
    assert by_user["dave"][0]["identity"]["via"] == "oidc" and by_user["dave"][0]["identity"]["groups"] == ["sre"]
    assert by_user["bob"][0]["identity"]["via"] == "static-token"
    assert not any(TOKENS["bob"][0] in json.dumps(a) for a in calls)  # never the token itself


async def test_a_confirmation_token_is_bound_to_user_and_session(team):
    """Sessions exist in the session-based protocol (mode legacy); the 2026-07-28 protocol is
    sessionless, and there the token is bound to the user."""
    args = {"namespace": "payments", "deployment_name": "payment-gateway", "replicas": 4}
    async with team.client(TOKENS["alice"][0], mode="legacy") as first:
        preview = await first.call_tool("scale_deployment", args)
        token = preview.structured_content["confirmation_token"]
        async with team.client(TOKENS["alice"][0], mode="legacy") as second:  # same user, another session
            r = await second.call_tool("scale_deployment", {**args, "confirmation_token": token})
            assert r.is_error and "another session" in r.content[0].text
        async with team.client(team.jwt("dave", ["sre"])) as dave:  # another user
            r = await dave.call_tool("scale_deployment", {**args, "confirmation_token": token})
            assert r.is_error and "another user" in r.content[0].text
        r = await first.call_tool("scale_deployment", {**args, "confirmation_token": token})
        assert not r.is_error and r.structured_content.get("applied"), r.content[0].text


async def test_per_user_rate_limit(team):
    async with team.client(TOKENS["flood"][0]) as flood:
        results = [await flood.call_tool("list_services", {}) for _ in range(7)]
    refused = [r for r in results if r.is_error]
    assert len(refused) == 2 and "rate limit exceeded for user 'flood'" in refused[0].content[0].text
    async with team.client(TOKENS["bob"][0]) as bob:  # another user is not held up
        assert not (await bob.call_tool("list_services", {})).is_error


def test_host_check_stays_on_beyond_loopback(team):
    h = dict(HEADERS, Authorization=f"Bearer {TOKENS['alice'][0]}")
    r = httpx.post(team.url, json=INIT, headers={**h, "Host": "attacker.example"}, timeout=10)
    assert r.status_code == 421
    r = httpx.post(team.url, json=INIT, headers={**h, "Host": f"localhost:{team.port}", "Origin": "http://evil.example"}, timeout=10)
    assert r.status_code == 403


async def test_probes_and_metrics(team):
    assert httpx.get(f"http://127.0.0.1:{team.port}/healthz", timeout=5).json() == {"status": "ok"}
    deadline = time.time() + 30
    while True:
        r = httpx.get(f"http://127.0.0.1:{team.port}/readyz", timeout=5)
        if r.status_code == 200 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert r.status_code == 200 and r.json() == {"ready": True, "log_store": "ready", "embedder": "off (keyword search)"}
    async with team.client(TOKENS["alice"][0], mode="legacy") as alice:
        for _ in range(3):
            await alice.call_tool("list_pods", {"namespace": "payments"})
        httpx.post(team.url, json=INIT, headers=HEADERS, timeout=10)  # no token
        text = httpx.get(f"http://127.0.0.1:{team.port}/metrics", timeout=5).text
        open_sessions = float(next(x for x in text.splitlines() if x.startswith("sre_mcp_active_sessions ")).split()[1])
        assert open_sessions >= 1  # this client's session, at least
    lines = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line and not line.startswith("#")}
    assert lines['sre_mcp_tool_calls_total{outcome="ok",tool="list_pods"}'] >= 3
    assert lines['sre_mcp_tool_call_seconds_count{tool="list_pods"}'] >= 3
    assert lines['sre_mcp_auth_refusals_total{reason="missing"}'] >= 1
    assert lines.get('sre_mcp_auth_refusals_total{reason="expired"}', 0) >= 0
    assert "sre_mcp_rate_limited_total" in text


async def test_tokens_file_is_reread_when_it_changes(team):
    new = "tok-erin-5e5e"
    entries = yaml.safe_load(team.tokens_file.read_text()) + [{"user": "erin", "groups": ["sre"], "token_sha256": _sha(new)}]
    time.sleep(0.05)
    team.tokens_file.write_text(yaml.safe_dump(entries))
    async with team.client(new) as erin:
        r = await erin.call_tool("list_pods", {"namespace": "payments"})
        assert not r.is_error


def test_beyond_loopback_without_auth_is_refused(tmp_path):
    r = subprocess.run([sys.executable, "-m", "sre_mcp", "--scenario", str(MINI), "--no-rag", "--transport", "http",
                        "--host", "0.0.0.0", "--port", str(_free_port()), "--audit-log", str(tmp_path / "a.jsonl")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "without authentication" in r.stderr and "--insecure-no-auth" in r.stderr
