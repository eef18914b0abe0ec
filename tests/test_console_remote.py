"""The console against a team server: `--server-url URL --token-file F`, and `mcpServers`
entries with `url` and headers as Claude Code writes them. Same tools, same headless
investigation; the token never appears on a command line or in output."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.test_team_server import TOKENS, Team

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    t = Team(tmp_path_factory.mktemp("remote"))
    yield t
    t.stop()


def console(*args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sre_console", *args], capture_output=True, text=True, timeout=timeout)


def test_tools_and_investigation_through_the_team_server(team, tmp_path):
    token = tmp_path / "alice.token"
    token.write_text(TOKENS["alice"][0] + "\n")
    r = console("tools", "--server-url", team.url, "--token-file", str(token))
    assert r.returncode == 0, r.stderr
    assert "list_pods" in r.stdout and "[sre]" in r.stdout and "scale_deployment" in r.stdout
    r = console("investigate", "payment-gateway", "--offline", "--format", "json", "--server-url", team.url, "--token-file", str(token))
    assert r.returncode == 0, r.stderr[-2000:]
    report = json.loads(r.stdout)
    assert "payment-gateway" in json.dumps(report)
    # The calls were made as alice, on the team server's audit.
    users = {a["identity"].get("user") for a in team.audit_lines() if a.get("phase") == "call" and a.get("tool") == "check_service_health"}
    assert "alice" in users
    assert TOKENS["alice"][0] not in r.stdout + r.stderr


def test_a_bad_or_missing_token_is_a_clear_error(team, tmp_path):
    bad = tmp_path / "bad.token"
    bad.write_text("nope\n")
    r = console("tools", "--server-url", team.url, "--token-file", str(bad), timeout=60)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "401" in r.stderr or "Unauthorized" in r.stderr or "unauthor" in r.stderr.lower()
    r = console("tools", "--server-url", team.url, "--token-file", str(tmp_path / "missing.token"), timeout=60)
    assert r.returncode == 2 and "--token-file" in r.stderr and "Traceback" not in r.stderr


def test_mcp_servers_url_entry(team, tmp_path, monkeypatch):
    servers = tmp_path / "servers.json"
    servers.write_text(json.dumps({"mcpServers": {"team": {"type": "http", "url": team.url,
                                                           "headers": {"Authorization": "Bearer ${TEAM_TOKEN}"}}}}))
    monkeypatch.setenv("TEAM_TOKEN", TOKENS["bob"][0])
    r = console("tools", "--scenario", "payments-incident", "--no-rag", "--servers", str(servers))
    assert r.returncode == 0, r.stderr
    # The remote server's tools are offered beside ours under its own prefix: never shadowing ours.
    assert "team__list_pods" in r.stdout and "[team]" in r.stdout
