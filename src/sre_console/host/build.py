"""The one place that builds a host: our server with the user's options, plus any extra
servers from a Claude Desktop `mcpServers` file. The TUI, the headless commands, `eval`
and the benchmarks all start their servers through `build_host`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sre_console.host.config import BUILTIN, builtin_server, load_servers
from sre_console.host.host import McpHost


def build_host(server_args: list[str], *, servers_config: str | Path | None = None, prespawned: Any = None,
               watchdog: bool = True) -> McpHost:
    """Raises ConfigError (a sentence for the user) when the servers file is wrong.

    `prespawned`: our server already started by the CLI with these same arguments
    (host/prespawn.py); adopted for the first connection only. `watchdog=False` stops
    the liveness ping (deterministic snapshots)."""
    extra = load_servers(Path(servers_config)) if servers_config else []
    host = McpHost([builtin_server(server_args), *extra])
    if prespawned is not None and prespawned.spec.args == host.servers[BUILTIN].spec.args:
        host.servers[BUILTIN].prespawned = prespawned
    if not watchdog:
        for conn in host.servers.values():
            conn.PING_EVERY = 3600
    return host
