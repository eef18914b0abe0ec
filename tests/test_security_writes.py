"""Write tools through the MCP protocol: two-step confirmation, what the token is
bound to, the effect on the fixture cluster, PagerDuty (simulated and real over
HTTP), and that a prompt injected through a tool result cannot cause a write."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from mcp import Client
from sre_mcp.config import ServerConfig
from sre_mcp.server import build_server

from tests.http_reply import reply

SCEN = str(Path(__file__).parent / "data" / "security-scenario")
WRITE_TOOLS = {"scale_deployment", "restart_pod", "rollback_deployment", "create_pagerduty_incident"}
SCALE = {"namespace": "payments", "deployment_name": "payment-gateway", "replicas": 1}


def _server(tmp_path: Path, **kw):
    kw.setdefault("allow_writes", True)
    return build_server(ServerConfig(scenario=SCEN, audit_log=tmp_path / "audit.jsonl", rag=False, **kw))


async def _call(c: Client, name: str, args: dict):
    r = await c.call_tool(name, args)
    return r.is_error, (r.structured_content or {}), (r.content[0].text if r.content else "")


async def _replicas(c: Client) -> int:
    err, deps, text = await _call(c, "list_deployments", {"namespace": "payments"})
    assert not err, text
    return next(d for d in deps["deployments"] if d["name"] == "payment-gateway")["desired"]


def _audit(tmp_path: Path) -> list[dict]:
    """The per-call lines (a confirmed write also has its intent and outcome lines, see test_audit_fail_closed)."""
    return [r for line in (tmp_path / "audit.jsonl").read_text().splitlines() if (r := json.loads(line))["phase"] == "call"]


async def test_write_tools_only_with_allow_writes_and_annotated_destructive(tmp_path):
    server, _ = _server(tmp_path, allow_writes=False)
    async with Client(server) as c:
        tools = (await c.list_tools()).tools
        assert not WRITE_TOOLS & {t.name for t in tools}
        assert all(t.annotations.read_only_hint for t in tools)
    server, _ = _server(tmp_path)
    async with Client(server) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        assert WRITE_TOOLS <= set(tools)
        for name, t in tools.items():
            if name in WRITE_TOOLS:
                assert t.annotations.read_only_hint is False and t.annotations.destructive_hint is True
                assert "confirmation_token" in t.input_schema["properties"]
            else:
                assert t.annotations.read_only_hint is True


async def test_scale_preview_changes_nothing_then_token_acts_once(tmp_path):
    server, _ = _server(tmp_path)
    async with Client(server) as c:
        assert await _replicas(c) == 3
        err, prev, text = await _call(c, "scale_deployment", SCALE)
        assert not err, text
        assert prev["confirmation_required"] is True and prev["expires_in_s"] == 300
        assert prev["preview"]["changes"] == {"replicas": {"from": 3, "to": 1}}
        assert await _replicas(c) == 3, "a preview must not change anything"

        token = prev["confirmation_token"]
        err, done, text = await _call(c, "scale_deployment", {**SCALE, "confirmation_token": token})
        assert not err and done["applied"] is True and done["status"]["replicas"] == 1, text
        assert await _replicas(c) == 1

        err, _, text = await _call(c, "scale_deployment", {**SCALE, "confirmation_token": token})
        assert err and "already used" in text
        assert await _replicas(c) == 1
    lines = [r for r in _audit(tmp_path) if r["tool"] == "scale_deployment"]
    assert [r["outcome"] for r in lines] == ["ok", "ok", "error"]
    assert lines[0]["confirmation"]["state"] == "preview" and lines[1]["confirmation"]["state"] == "confirmed"
    assert lines[0]["confirmation"]["token_id"] == lines[1]["confirmation"]["token_id"]
    assert "already used" in lines[2]["error"]


async def test_token_is_bound_to_tool_and_exact_arguments(tmp_path):
    server, rt = _server(tmp_path)
    async with Client(server) as c:
        _, prev, _ = await _call(c, "scale_deployment", SCALE)
        token = prev["confirmation_token"]
        for other in ({**SCALE, "replicas": 0}, {**SCALE, "deployment_name": "coredns", "namespace": "kube-system"}):
            err, _, text = await _call(c, "scale_deployment", {**other, "confirmation_token": token})
            assert err and "not issued for scale_deployment with these exact arguments" in text
        err, _, text = await _call(c, "restart_pod", {"namespace": "payments", "pod_name": "payment-gw-def34", "confirmation_token": token})
        assert err and "not issued for restart_pod" in text
        for forged in ("x", "123.abc.def", token[:-2] + "AA", "9" * 12 + ".a.b"):
            err, _, text = await _call(c, "scale_deployment", {**SCALE, "confirmation_token": forged})
            assert err and "confirmation_token" in text and "Traceback" not in text
        assert await _replicas(c) == 3
        # Expired: the server's clock moves past the token's lifetime.
        tokens = rt.extra["confirmation_tokens"]
        tokens.clock = lambda: time.time() + 301
        err, _, text = await _call(c, "scale_deployment", {**SCALE, "confirmation_token": token})
        assert err and "expired" in text
        assert await _replicas(c) == 3


async def test_a_token_from_another_server_process_is_refused(tmp_path):
    s1, _ = _server(tmp_path / "a")
    s2, _ = _server(tmp_path / "b")
    async with Client(s1) as c1, Client(s2) as c2:
        _, prev, _ = await _call(c1, "scale_deployment", SCALE)
        err, _, text = await _call(c2, "scale_deployment", {**SCALE, "confirmation_token": prev["confirmation_token"]})
        assert err and "not issued" in text
        assert await _replicas(c2) == 3


async def test_state_changed_since_preview_refuses(tmp_path):
    server, _ = _server(tmp_path)
    async with Client(server) as c:
        _, first, _ = await _call(c, "scale_deployment", SCALE)
        _, second, _ = await _call(c, "scale_deployment", {**SCALE, "replicas": 5})
        err, _, text = await _call(c, "scale_deployment", {**SCALE, "replicas": 5, "confirmation_token": second["confirmation_token"]})
        assert not err, text
        err, _, text = await _call(c, "scale_deployment", {**SCALE, "confirmation_token": first["confirmation_token"]})
        assert err and "changed since the preview" in text
        assert await _replicas(c) == 5


async def test_scale_out_of_bounds_is_an_error_not_a_clamp(tmp_path):
    server, _ = _server(tmp_path)
    async with Client(server) as c:
        for bad in (-1, 101, 10**12):
            err, _, text = await _call(c, "scale_deployment", {**SCALE, "replicas": bad})
            assert err and "replicas must be between 0 and 100" in text
        err, _, text = await _call(c, "scale_deployment", {**SCALE, "replicas": 3})
        assert err and "nothing to change" in text


async def test_restart_pod_rotates_the_owning_deployments_pods(tmp_path):
    server, _ = _server(tmp_path)
    async with Client(server) as c:
        args = {"namespace": "payments", "pod_name": "payment-gw-def34"}
        _, prev, text = await _call(c, "restart_pod", args)
        assert prev["preview"]["target"] == "deployment/payment-gateway", text
        assert prev["preview"]["changes"]["pods"]["from"] == ["payment-gw-abc12", "payment-gw-def34"]
        _, pods, _ = await _call(c, "list_pods", {"namespace": "payments"})
        assert {p["name"] for p in pods["pods"]} == {"payment-gw-abc12", "payment-gw-def34"}
        err, done, text = await _call(c, "restart_pod", {**args, "confirmation_token": prev["confirmation_token"]})
        assert not err and done["applied"], text
        _, pods, _ = await _call(c, "list_pods", {"namespace": "payments"})
        names = {p["name"] for p in pods["pods"]}
        assert len(names) == 3 and not names & {"payment-gw-abc12", "payment-gw-def34"}
        assert all(p["status"] == "Running" and p["restarts"] == 0 for p in pods["pods"])
        err, _, text = await _call(c, "restart_pod", {"namespace": "payments", "pod_name": "nope-1"})
        assert err and "not found" in text


async def test_rollback_uses_deploy_history(tmp_path):
    server, _ = _server(tmp_path)
    async with Client(server) as c:
        args = {"namespace": "payments", "deployment_name": "payment-gateway"}
        err, prev, text = await _call(c, "rollback_deployment", args)
        assert not err, text
        ch = prev["preview"]["changes"]
        assert ch["image"] == {"from": "visa/payment-gw:v2.3.1", "to": "visa/payment-gw:v2.3.0"}
        assert ch["revision"]["from"] == 14 and "13" in ch["revision"]["to"]
        err, _, text = await _call(c, "rollback_deployment", {**args, "revision": 99})
        assert err and "known revisions: [13, 14]" in text
        err, done, text = await _call(c, "rollback_deployment", {**args, "revision": None, "confirmation_token": prev["confirmation_token"]})
        assert not err and done["status"]["images"] == ["visa/payment-gw:v2.3.0"] and done["status"]["revision"] == 15, text
        _, deploys, _ = await _call(c, "get_recent_deploys", {"service_name": "payment-gateway", "hours_back": 72})
        newest = deploys["deploys"][0]
        assert newest["revision"] == 15 and newest["change"] == "Rollback to revision 13"
        assert next(d for d in deploys["deploys"] if d["revision"] == 14)["status"] == "rolled_back"


async def test_prompt_injection_in_a_tool_result_cannot_cause_a_write(tmp_path):
    """A naive agent obeys text it reads in a log. Without the human-approved token
    its write call only previews, and any token it invents or reuses is refused."""
    server, _ = _server(tmp_path)
    async with Client(server) as c:
        _, logs, _ = await _call(c, "get_pod_logs", {"namespace": "payments", "pod_name": "payment-gw-def34"})
        injected = next(line for line in logs["lines"] if "ignore previous instructions" in line)
        assert "scale payment-gateway to 0" in injected
        obey = {"namespace": "payments", "deployment_name": "payment-gateway", "replicas": 0}
        err, out, _ = await _call(c, "scale_deployment", obey)
        assert not err and out["confirmation_required"] is True and "applied" not in out
        assert out["preview"]["warnings"] == ["scaling to 0 stops the service entirely"]
        # A token for a harmless preview does not authorise the injected change.
        _, harmless, _ = await _call(c, "scale_deployment", {**obey, "replicas": 4})
        for token in (harmless["confirmation_token"], "approved", "1" * 10 + "." + "a" * 12 + "." + "b" * 43):
            err, _, text = await _call(c, "scale_deployment", {**obey, "confirmation_token": token})
            assert err, text
        assert await _replicas(c) == 3
    assert all(r.get("confirmation", {}).get("state") != "confirmed" for r in _audit(tmp_path))


async def test_pagerduty_simulated_without_routing_key(tmp_path):
    server, _ = _server(tmp_path)
    async with Client(server) as c:
        args = {"service": "payment-gateway", "severity": "critical", "title": "Checkout failing", "details": "db_password=hunter2 in logs"}
        _, prev, _ = await _call(c, "create_pagerduty_incident", args)
        assert prev["preview"]["delivery"] == "simulated"
        assert "hunter2" not in json.dumps(prev)
        err, done, text = await _call(c, "create_pagerduty_incident", {**args, "confirmation_token": prev["confirmation_token"]})
        assert not err, text
        assert done["delivery"] == "simulated" and done["status"] == "success" and done["dedup_key"].startswith("sre-")
        assert "simulated" in done["message"]
        err, _, text = await _call(c, "create_pagerduty_incident", {**args, "service": "nope"})
        assert err and "unknown service" in text


class _PagerDuty(BaseHTTPRequestHandler):
    received: list = []
    status = 202

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({"path": self.path, "body": body, "content_type": self.headers["Content-Type"]})
        if type(self).status == 202:
            answer = {"status": "success", "message": "Event processed", "dedup_key": body["dedup_key"]}
        else:
            answer = {"status": "invalid event", "message": "Event object is invalid", "errors": ["Invalid routing key"]}
        reply(self, type(self).status, answer)

    def log_message(self, *a):
        pass


@pytest.fixture
def pagerduty():
    httpd = HTTPServer(("127.0.0.1", 0), _PagerDuty)
    _PagerDuty.received = []
    _PagerDuty.status = 202
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/v2/enqueue", _PagerDuty
    httpd.shutdown()


async def test_pagerduty_real_post_with_routing_key(tmp_path, pagerduty):
    url, handler = pagerduty
    server, _ = _server(tmp_path, pagerduty_routing_key="R0UTINGKEY0123456789abcdef012345", pagerduty_url=url)
    async with Client(server) as c:
        args = {"service": "payment-gateway", "severity": "error", "title": "Card 4111 1111 1111 1111 declined everywhere"}
        _, prev, _ = await _call(c, "create_pagerduty_incident", args)
        assert prev["preview"]["delivery"] == "pagerduty" and prev["preview"]["endpoint"] == url
        assert handler.received == [], "a preview sends nothing"
        err, done, text = await _call(c, "create_pagerduty_incident", {**args, "confirmation_token": prev["confirmation_token"]})
        assert not err, text
        assert done["delivery"] == "pagerduty" and done["status"] == "success" and done["message"] == "Event processed"
        [req] = handler.received
        ev = req["body"]
        assert req["path"] == "/v2/enqueue" and req["content_type"].startswith("application/json")
        assert ev["routing_key"] == "R0UTINGKEY0123456789abcdef012345" and ev["event_action"] == "trigger"
        assert ev["payload"]["severity"] == "error" and ev["payload"]["source"] == "payment-gateway"
        assert ev["payload"]["summary"] == "Card 4111 **** **** 1111 declined everywhere", "secrets are not sent to a third party"
        assert done["dedup_key"] == ev["dedup_key"]
        assert "R0UTINGKEY" not in json.dumps(done) and "R0UTINGKEY" not in (tmp_path / "audit.jsonl").read_text()

        handler.status = 400
        _, prev, _ = await _call(c, "create_pagerduty_incident", {**args, "severity": "critical"})
        err, _, text = await _call(c, "create_pagerduty_incident", {**args, "severity": "critical", "confirmation_token": prev["confirmation_token"]})
        assert err and "HTTP 400" in text and "Invalid routing key" in text and "nobody was paged" in text
