"""MCP server definitions: ours, plus any in Claude Desktop's `mcpServers` shape.

```json
{"mcpServers": {"github": {"command": "npx", "args": ["-y", "@x/server"], "env": {"TOKEN": "${GITHUB_TOKEN}"}},
                "team-sre": {"type": "http", "url": "https://sre-mcp.example/mcp",
                             "headers": {"Authorization": "Bearer ${SRE_TOKEN}"}}}}
```
A `url` entry (Claude Code's shape) is reached over streamable HTTP with its headers.
Our own server is a local process, or a team server (`--server-url URL --token-file F`).
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
    command: str = ""
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    builtin: bool = False
    url: str | None = None                  # a remote server over streamable HTTP
    headers: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never a bearer token in a log line or a traceback
        return f"ServerSpec(name={self.name!r}, {'url=' + repr(self.url) if self.url else 'command=' + repr(self.command)})"


REMOTE_FLAGS = ("--server-url", "--token-file")


def remote_target(server_args: list[str]) -> tuple[str | None, str | None]:
    """(URL, token file) when the server arguments name a team server instead of a local one."""
    url = token_file = None
    for i, a in enumerate(server_args[:-1]):
        if a == "--server-url":
            url = server_args[i + 1]
        elif a == "--token-file":
            token_file = server_args[i + 1]
    return url, token_file


def read_token(path: str) -> str:
    try:
        token = Path(path).expanduser().read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"--token-file {path}: {exc.strerror or exc}") from None
    if not token or "\n" in token:
        raise ConfigError(f"--token-file {path}: expected one token on one line")
    return token


def expand(value: str, where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        var = m.group(1)
        if var not in os.environ:
            raise ConfigError(f"{where}: environment variable {var} is not set")
        return os.environ[var]

    return _VAR.sub(sub, value)


def builtin_server(server_args: list[str]) -> ServerSpec:
    """Our server, with the console's own Python, so it runs from the same install; or a team
    server over HTTP when the arguments say `--server-url` (the token read from `--token-file`,
    never taken from the command line)."""
    url, token_file = remote_target(server_args)
    if url:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"--server-url {url}: expected http(s)://host:port/mcp")
        headers = {"Authorization": f"Bearer {read_token(token_file)}"} if token_file else {}
        return ServerSpec(name=BUILTIN, url=url, headers=headers, builtin=True)
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
        if name == BUILTIN:
            raise ConfigError(f"{where}: the name {BUILTIN!r} is reserved for the built-in server")
        if isinstance(spec, dict) and spec.get("url"):
            url = expand(str(spec["url"]), where)
            if not url.startswith(("http://", "https://")):
                raise ConfigError(f"{where}: url must be http(s)://...")
            headers = spec.get("headers") or {}
            if not isinstance(headers, dict):
                raise ConfigError(f"{where}: headers must be a mapping")
            out.append(ServerSpec(name=str(name), url=url, headers={str(k): expand(str(v), where) for k, v in headers.items()}))
            continue
        if not isinstance(spec, dict) or not spec.get("command"):
            raise ConfigError(f"{where}: needs a command (a local server) or a url (a remote one)")
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
