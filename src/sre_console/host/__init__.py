"""The MCP host. Names load lazily, so `sre_console.host.config` and `prespawn` can be
used before the MCP SDK is imported (the console spawns its server first)."""

from __future__ import annotations

from typing import Any

_FROM_CONFIG = {"BUILTIN", "ConfigError", "ServerSpec", "builtin_server", "load_servers"}
_FROM_BUILD = {"build_host"}
_FROM_HOST = {"CallResult", "HostEvent", "McpHost", "PromptInfo", "ServerDown", "ToolInfo"}

__all__ = sorted(_FROM_CONFIG | _FROM_HOST | _FROM_BUILD)


def __getattr__(name: str) -> Any:
    if name in _FROM_CONFIG:
        from sre_console.host import config

        return getattr(config, name)
    if name in _FROM_BUILD:
        from sre_console.host import build

        return getattr(build, name)
    if name in _FROM_HOST:
        from sre_console.host import host

        return getattr(host, name)
    raise AttributeError(f"module 'sre_console.host' has no attribute {name!r}")
