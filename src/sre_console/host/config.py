"""MCP server definitions: ours, plus any in Claude Desktop's `mcpServers` shape.

```json
{"mcpServers": {"github": {"command": "npx", "args": ["-y", "@x/server"], "env": {"TOKEN": "${GITHUB_TOKEN}"}}}}
```
`${VAR}` is expanded from the environment (an unset variable is an error naming
it, so a server does not start with a silently empty secret).
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

BUILTIN = "sre"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# What our own server needs from the console's environment, passed explicitly
# because a stdio child gets only an allow-listed environment.
_PASS_ENV = ("HOME", "PATH", "LANG", "TZ", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "KUBECONFIG", "ANTHROPIC_API_KEY")


class ConfigError(ValueError):
    pass


@dataclass
class ServerSpec:
    name: str
    command: str
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    builtin: bool = False


def expand(value: str, where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        var = m.group(1)
        if var not in os.environ:
            raise ConfigError(f"{where}: environment variable {var} is not set")
        return os.environ[var]

    return _VAR.sub(sub, value)


def builtin_server(server_args: list[str]) -> ServerSpec:
    """Our server, with the console's own Python, so it runs from the same install."""
    env = {k: os.environ[k] for k in _PASS_ENV if k in os.environ}
    env.update({k: v for k, v in os.environ.items() if k.startswith("SRE_")})
    env["HF_HUB_OFFLINE"] = "1"
    env["TOKENIZERS_PARALLELISM"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    return ServerSpec(name=BUILTIN, command=sys.executable, args=["-m", "sre_mcp", *server_args], env=env, builtin=True)


def load_servers(path: Path | None) -> list[ServerSpec]:
    """Extra servers from a JSON or YAML file with an `mcpServers` mapping."""
    if path is None or not Path(path).is_file():
        return []
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot parse: {exc}") from None
    servers = (data or {}).get("mcpServers") or {}
    if not isinstance(servers, dict):
        raise ConfigError(f"{path}: mcpServers must be a mapping of name → server")
    out = []
    for name, spec in servers.items():
        where = f"{path}: mcpServers.{name}"
        if not isinstance(spec, dict) or not spec.get("command"):
            raise ConfigError(f"{where}: needs a command")
        if name == BUILTIN:
            raise ConfigError(f"{where}: the name {BUILTIN!r} is reserved for the built-in server")
        out.append(
            ServerSpec(
                name=str(name),
                command=expand(str(spec["command"]), where),
                args=[expand(str(a), where) for a in spec.get("args") or []],
                env={str(k): expand(str(v), where) for k, v in (spec.get("env") or {}).items()},
                cwd=spec.get("cwd"),
            )
        )
    return out
