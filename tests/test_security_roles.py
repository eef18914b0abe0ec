"""Roles: tools a role cannot use are not offered; calls outside the role (tool or
namespace) are refused with an error naming the role; the audit line has the role."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client

from sre_mcp.config import ServerConfig
from sre_mcp.security.roles import RolesError, load_roles
from sre_mcp.server import build_server

SCEN = str(Path(__file__).parent / "data" / "security-scenario")
WRITE_TOOLS = {"scale_deployment", "restart_pod", "rollback_deployment", "create_pagerduty_incident"}


def _server(tmp_path: Path, role: str | None, **kw):
    return build_server(ServerConfig(scenario=SCEN, audit_log=tmp_path / "audit.jsonl", rag=False, allow_writes=True, role=role, **kw))


async def _names(c: Client) -> set[str]:
    return {t.name for t in (await c.list_tools()).tools}


async def test_no_role_offers_everything_the_config_allows(tmp_path):
    server, _ = _server(tmp_path, None)
    async with Client(server) as c:
        names = await _names(c)
        assert WRITE_TOOLS <= names and "list_pods" in names
        r = await c.call_tool("list_pods", {"namespace": "kube-system"})
        assert not r.is_error


async def test_viewer_sees_no_write_tool_and_no_kube_system(tmp_path):
    server, _ = _server(tmp_path, "viewer")
    async with Client(server) as c:
        names = await _names(c)
        assert not names & WRITE_TOOLS and {"list_pods", "search_logs", "check_service_health"} <= names
        r = await c.call_tool("list_pods", {"namespace": "payments"})
        assert not r.is_error
        r = await c.call_tool("list_pods", {"namespace": "kube-system"})
        assert r.is_error and "role 'viewer' may not use namespace 'kube-system'" in r.content[0].text
        # Every tool with a `namespace` argument is covered, not a list of them.
        r = await c.call_tool("get_events", {"namespace": "kube-system"})
        assert r.is_error and "role 'viewer'" in r.content[0].text
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [a["role"] for a in audit] == ["viewer"] * 3
    assert [a["outcome"] for a in audit] == ["ok", "error", "error"]


async def test_operator_scales_but_cannot_roll_back(tmp_path):
    server, rt = _server(tmp_path, "operator")
    async with Client(server) as c:
        names = await _names(c)
        assert {"scale_deployment", "restart_pod", "create_pagerduty_incident"} <= names
        assert "rollback_deployment" not in names
        r = await c.call_tool("scale_deployment", {"namespace": "payments", "deployment_name": "payment-gateway", "replicas": 2})
        assert not r.is_error and r.structured_content["confirmation_required"]
        r = await c.call_tool("scale_deployment", {"namespace": "kube-system", "deployment_name": "coredns", "replicas": 1})
        assert r.is_error and "role 'operator' may not use namespace 'kube-system'" in r.content[0].text
    # A call that reaches the policy anyway (e.g. a host with a stale tool list) names the role.
    policy = next(p for p in _policies(rt) if type(p).__name__ == "RolePolicy")
    from sre_mcp.middleware import Refusal

    with pytest.raises(Refusal, match="role 'operator' may not call rollback_deployment"):
        policy.check("rollback_deployment", {"namespace": "payments"})


def _policies(rt):
    from sre_mcp.security import setup

    return setup.configure(rt, [])["policies"]


async def test_admin_gets_everything(tmp_path):
    server, _ = _server(tmp_path, "admin")
    async with Client(server) as c:
        assert WRITE_TOOLS <= await _names(c)
        r = await c.call_tool("list_pods", {"namespace": "kube-system"})
        assert not r.is_error


async def test_writes_stay_off_without_allow_writes_whatever_the_role(tmp_path):
    server, _ = build_server(ServerConfig(scenario=SCEN, audit_log=tmp_path / "a.jsonl", rag=False, role="admin"))
    async with Client(server) as c:
        assert not await _names(c) & WRITE_TOOLS


def test_unknown_role_or_bad_file_refuses_to_start(tmp_path):
    with pytest.raises(RolesError, match="unknown role 'root'.*admin, operator, viewer"):
        _server(tmp_path, "root")
    bad = tmp_path / "roles.yaml"
    bad.write_text("roles: [1, 2]\n")
    with pytest.raises(RolesError, match="expected `roles:`"):
        _server(tmp_path, "viewer", roles_file=bad)


async def test_custom_roles_file_with_patterns(tmp_path):
    f = tmp_path / "roles.yaml"
    f.write_text("roles:\n  logs-only:\n    tools: ['search_*', count_errors]\n    namespaces: [payments]\n")
    assert set(load_roles(f)) == {"logs-only"}
    server, _ = _server(tmp_path, "logs-only", roles_file=f)
    async with Client(server) as c:
        assert await _names(c) == {"search_logs", "search_runbooks", "count_errors"}
