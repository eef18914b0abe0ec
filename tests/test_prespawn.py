"""The console's pre-spawned server: adopted by the host, then supervised like any other."""

from __future__ import annotations

import os
import signal
import sys

from sre_console.host import McpHost, builtin_server
from sre_console.host.prespawn import Prespawned
from tests.conftest import MINI


def _no_sdk_import(stmt: str) -> bool:
    import json
    import subprocess

    out = subprocess.run([sys.executable, "-c", f"import sys, json; {stmt}; print(json.dumps('mcp' in sys.modules))"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return not json.loads(out)


def test_prespawn_and_app_import_do_not_load_the_sdk():
    # The point of pre-spawning: the server starts while the console imports, so the
    # console must not import the MCP SDK before it has spawned the server.
    assert _no_sdk_import("import sre_console.host.prespawn, sre_console.host.config, sre_console.app")


async def test_host_adopts_the_prespawned_server_and_restarts_it_normally(tmp_path):
    args = ["--scenario", str(MINI), "--no-rag", "--audit-log", str(tmp_path / "a.jsonl")]
    host = McpHost([builtin_server(args)])
    pre = Prespawned(builtin_server(args))
    host.servers["sre"].prespawned = pre
    await host.start()
    try:
        assert host.status() == {"sre": "ready"}
        r = await host.call_tool("list_pods", {"namespace": "payments"})
        assert r.ok and r.payload()["total"] == 2
        assert host.servers["sre"].prespawned is None  # adopted
        os.kill(pre.proc.pid, signal.SIGKILL)  # the adopted process dies: the host spawns a new one
        await host.call_tool("list_pods", {"namespace": "payments"})
        import asyncio

        for _ in range(300):  # the supervisor notices, backs off, spawns anew
            if host.servers["sre"].restarts >= 1 and host.connected:
                break
            await asyncio.sleep(0.1)
        r = await host.call_tool("list_pods", {"namespace": "payments"})
        assert r.ok and host.servers["sre"].restarts >= 1
    finally:
        await host.stop()
    assert pre.proc.poll() is not None
