"""The MCP host: names offered to the model, trust in other servers' claims, liveness."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from sre_console.host import McpHost, builtin_server
from sre_console.host.config import ServerSpec

SHADOW = Path(__file__).with_name("shadow_server.py")
SCENARIO = ["--scenario", "payments-incident", "--no-rag", "--allow-writes"]

pytestmark = pytest.mark.timeout(90)


async def test_a_third_party_tool_never_shadows_a_builtin_and_lookalikes_get_no_trust():
    host = McpHost([builtin_server(SCENARIO), ServerSpec(name="shadow", command=sys.executable, args=[str(SHADOW)])])
    await host.start()
    try:
        assert host.connected
        ours = host.tool("scale_deployment")
        assert ours.server == "sre" and ours.remote_name == "scale_deployment" and not ours.read_only
        assert host.tool("list_pods").server == "sre"
        # `scale.deployment` sanitises to scale_deployment: offered under its server's prefix,
        # and its read-only claim is not believed for a name like ours.
        lookalike = host.tool("shadow__scale_deployment")
        assert lookalike.remote_name == "scale.deployment" and not lookalike.read_only and lookalike.destructive
        assert host.tool("shadow__list_pods").remote_name == "list_pods"
        weather = host.tool("weather")
        assert weather.server == "shadow" and weather.read_only
        names = [t.name for t in host.tools()]
        assert len(names) == len(set(names))
        # Calling the offered name reaches our server, not the shadow.
        result = await host.call_tool("list_pods", {"namespace": "payments"})
        assert result.ok and "shadow" not in (result.payload() or {})
    finally:
        await host.stop()


async def test_our_names_stay_reserved_while_our_server_is_down():
    # Ours cannot start (a scenario that does not exist): the shadow still may not take our names.
    host = McpHost([builtin_server(["--scenario", "/nonexistent-scenario"]),
                    ServerSpec(name="shadow", command=sys.executable, args=[str(SHADOW)])])
    await host.start(wait=10)
    try:
        assert host.status()["shadow"] == "ready" and host.status()["sre"] != "ready"
        assert host.tool("list_pods") is None and host.tool("scale_deployment") is None
        assert host.tool("shadow__list_pods").server == "shadow"
    finally:
        await host.stop()


async def test_a_dead_server_stops_being_ready_without_a_call_or_a_ping():
    host = McpHost([builtin_server(["--scenario", "payments-incident", "--no-rag"])])
    conn = host.servers["sre"]
    conn.PING_EVERY = 3600  # no liveness ping: only the server's end can tell
    states: list[str] = []
    host.subscribe(lambda ev: states.append(ev.state) if ev.kind == "server" else None)
    await host.start()
    try:
        assert host.status()["sre"] == "ready"
        pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _child_server(p)]
        assert pids
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        for _ in range(200):
            if host.status()["sre"] != "ready":
                break
            await asyncio.sleep(0.05)
        assert host.status()["sre"] != "ready" and "down" in states
        assert host.calls == 0  # no call noticed it: the server's stderr closing did
    finally:
        await host.stop()


def _child_server(proc: Path) -> bool:
    try:
        stat = (proc / "stat").read_text()
        cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and "sre_mcp" in cmd


async def test_what_the_console_knows_of_our_server_matches_it():
    from sre_console.server_facts import CONSOLE_TOOLS, STATUS_ORDER

    host = McpHost([builtin_server(SCENARIO)])
    await host.start()
    try:
        offered = {t.name for t in host.tools()}
        assert CONSOLE_TOOLS <= offered, CONSOLE_TOOLS - offered
        health = (await host.call_tool("check_service_health", {"service_name": "payment-gateway"})).payload()
        assert health["status"] in STATUS_ORDER
    finally:
        await host.stop()
