"""Server configuration: flags, then environment (SRE_*), then a YAML config file.

Switching a backend is configuration, never code: `--kubeconfig` swaps the fixture
cluster for a real one, `--clickhouse-url` the embedded log store for a server,
`--prometheus-url` the fixture metrics for PromQL.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs
import yaml

APP = "sre-console"


def state_dir() -> Path:
    return Path(os.environ.get("SRE_STATE_DIR") or platformdirs.user_state_dir(APP))


def cache_dir() -> Path:
    return Path(os.environ.get("SRE_CACHE_DIR") or platformdirs.user_cache_dir(APP))


def config_dir() -> Path:
    return Path(os.environ.get("SRE_CONFIG_DIR") or platformdirs.user_config_dir(APP))


@dataclass
class ServerConfig:
    scenario: str | None = None          # name or path; None with no real backend → the reference incident
    namespaces: list[str] = field(default_factory=list)  # extra allowed namespaces
    audit_log: Path | None = None
    runbooks: list[Path] = field(default_factory=list)   # user runbook folders, added to the shipped ones
    rag: bool = True
    rag_delay: float = 1.5  # seconds after start before the embedder warms up
    logs_delay: float = 1.0  # seconds after start before the embedded log store (chdb) loads
    rag_wait: float = 1.5  # how long a search waits for warm-up before answering by keywords
    chroma_dir: Path | None = None
    chroma_url: str | None = None
    logs_db: Path | None = None
    clickhouse_url: str | None = None
    kubeconfig: Path | None = None
    context: str | None = None
    in_cluster: bool = False
    prometheus_url: str | None = None
    prometheus_queries: dict[str, str] = field(default_factory=dict)
    services: list[dict[str, Any]] = field(default_factory=list)  # service catalogue for a real cluster
    allow_writes: bool = False
    role: str | None = None
    roles_file: Path | None = None
    rate_limits: dict[str, float] = field(default_factory=dict)  # calls per minute, per tool ("*" default)
    call_timeout: float = 10.0
    max_result_bytes: int = 256_000
    pagerduty_routing_key: str | None = None
    pagerduty_url: str | None = None
    # Named PostgreSQL databases: {name: URL or {url, password_env, statement_timeout_ms}}.
    # Credentials come from the environment, never from a URL on the command line.
    databases: dict[str, Any] = field(default_factory=dict)
    # The team server (streamable HTTP): who may call, from where.
    auth_tokens: Path | None = None       # YAML list of {user, groups, token_sha256}
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks: str | None = None          # a JWKS URL or file
    oidc_user_claim: str | None = None
    oidc_groups_claim: str | None = None
    allowed_hosts: list[str] = field(default_factory=list)  # Host headers accepted beyond loopback
    public_url: str | None = None         # how clients reach /mcp (the resource in WWW-Authenticate)
    insecure_no_auth: bool = False

    @property
    def auth(self) -> bool:
        return bool(self.auth_tokens or self.oidc_issuer or self.oidc_jwks)

    @property
    def demo(self) -> bool:
        """The cluster is a scenario when no real one is configured."""
        return not (self.kubeconfig or self.in_cluster)

    @property
    def logs_store(self) -> bool:
        """A log store was named (`--logs-db`, `--clickhouse-url`): the log tools read it."""
        return bool(self.logs_db or self.clickhouse_url)

    @property
    def logs_only(self) -> bool:
        """A log store and nothing else: no demo cluster is made up beside real logs."""
        return self.demo and self.logs_store and not self.scenario


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("backends")
    g.add_argument("--scenario", help="fixture scenario: a shipped name or a folder path (default: payments-incident)")
    g.add_argument("--kubeconfig", type=Path, help="use a real cluster through this kubeconfig (read-only)")
    g.add_argument("--context", help="kubeconfig context")
    g.add_argument("--in-cluster", action="store_true", help="use the pod's service account")
    g.add_argument("--namespaces", help="comma-separated namespaces to allow in addition to the defaults")
    g.add_argument("--logs-db", type=Path, help="embedded ClickHouse (chdb) data directory")
    g.add_argument("--clickhouse-url", help="ClickHouse server, e.g. http://user:pass@host:8123/default")
    g.add_argument("--prometheus-url", help="Prometheus base URL for health metrics and alerts")
    g.add_argument(
        "--postgres-url", action="append", metavar="[NAME=]URL",
        help="a PostgreSQL database for the read-only database tools (repeatable); no password in the URL: "
        "use PGPASSWORD or `databases:` with password_env in the config file",
    )
    g.add_argument("--runbooks", type=Path, action="append", help="extra runbook folder (repeatable)")
    g.add_argument("--no-rag", action="store_true", help="keyword runbook search only (no embedding model)")
    g.add_argument("--chroma-dir", type=Path, help="persistent vector index directory")
    g.add_argument("--chroma-url", help="a Chroma server instead of the embedded index")
    g.add_argument("--rag-wait", type=float, help="seconds a runbook search waits for the embedder to warm up before answering by keywords (default 1.5)")
    s = p.add_argument_group("safety")
    s.add_argument("--audit-log", type=Path, help="JSON-lines audit log (default: under the user state dir)")
    s.add_argument("--allow-writes", action="store_true", help="offer write tools (scale, restart, rollback, page)")
    s.add_argument("--role", help="role from the roles file (viewer, operator, admin)")
    s.add_argument("--roles-file", type=Path, help="YAML roles file")
    s.add_argument("--call-timeout", type=float, help="seconds before a tool call fails (default 10)")
    t = p.add_argument_group("team server (streamable HTTP)")
    t.add_argument("--auth-tokens", type=Path, help="YAML list of {user, groups, token_sha256}; re-read when it changes")
    t.add_argument("--oidc-issuer", help="accept JWT access tokens from this OpenID Connect issuer")
    t.add_argument("--oidc-audience", help="the audience (aud) the tokens must carry")
    t.add_argument("--oidc-jwks", help="the issuer's signing keys: a JWKS URL or file")
    t.add_argument("--oidc-user-claim", help="claim naming the user (default: preferred_username, email, sub)")
    t.add_argument("--oidc-groups-claim", help="claim listing the user's groups (default: groups)")
    t.add_argument("--allowed-hosts", help="comma-separated Host names clients use (DNS-rebinding protection stays on beyond loopback)")
    t.add_argument("--public-url", help="the URL clients reach /mcp at (default http://HOST:PORT/mcp)")
    t.add_argument("--insecure-no-auth", action="store_true", help="serve beyond loopback with no authentication (refused otherwise)")
    p.add_argument("--config", type=Path, help="YAML config file (default: <config dir>/server.yaml)")


def _env(name: str) -> str | None:
    value = os.environ.get(f"SRE_{name.upper()}")
    return value if value else None


def from_args(args: argparse.Namespace) -> ServerConfig:
    """Flags win over environment, environment over the config file."""
    cfg_path = args.config or (config_dir() / "server.yaml")
    file_cfg: dict[str, Any] = {}
    if cfg_path and Path(cfg_path).is_file():
        loaded = yaml.safe_load(Path(cfg_path).read_text()) or {}
        if not isinstance(loaded, dict):
            raise SystemExit(f"{cfg_path}: expected a mapping of settings")
        file_cfg = {k.replace("-", "_"): v for k, v in loaded.items()}
    known = {f.name for f in fields(ServerConfig)}
    unknown = set(file_cfg) - known
    if unknown:
        raise SystemExit(f"{cfg_path}: unknown settings {', '.join(sorted(unknown))}")
    cfg = ServerConfig(**{k: v for k, v in file_cfg.items()})
    for name in ("scenario", "context", "clickhouse_url", "prometheus_url", "chroma_url", "role", "pagerduty_routing_key", "pagerduty_url",
                 "oidc_issuer", "oidc_audience", "oidc_jwks", "oidc_user_claim", "oidc_groups_claim", "public_url"):
        value = getattr(args, name, None) or _env(name)
        if value:
            setattr(cfg, name, value)
    hosts = getattr(args, "allowed_hosts", None) or _env("allowed_hosts")
    if hosts:
        cfg.allowed_hosts = [h.strip() for h in hosts.split(",") if h.strip()]
    if getattr(args, "insecure_no_auth", False):
        cfg.insecure_no_auth = True
    for name in ("kubeconfig", "logs_db", "audit_log", "chroma_dir", "roles_file", "auth_tokens"):
        value = getattr(args, name, None) or _env(name)
        if value:
            setattr(cfg, name, Path(value).expanduser())
    ns = getattr(args, "namespaces", None) or _env("namespaces")
    if ns:
        cfg.namespaces = [n.strip() for n in ns.split(",") if n.strip()]
    pg_urls = list(getattr(args, "postgres_url", None) or [])
    if not pg_urls and _env("postgres_url"):
        pg_urls = [u for u in _env("postgres_url").split(",") if u.strip()]
    for value in pg_urls:
        from sre_mcp.backends.postgres import check_url, database_name

        name, sep, url = value.partition("=")
        if not sep or "://" in name:
            name, url = database_name(value), value
        try:
            check_url(url.strip(), f"--postgres-url {name.strip()}")
        except ValueError as exc:
            raise SystemExit(f"sre-mcp-server: {exc}") from None
        cfg.databases = {**cfg.databases, name.strip(): url.strip()}
    if getattr(args, "runbooks", None):
        cfg.runbooks = [Path(p) for p in args.runbooks]
    elif _env("runbooks"):
        cfg.runbooks = [Path(p) for p in _env("runbooks").split(os.pathsep)]
    cfg.runbooks = [Path(p).expanduser() for p in cfg.runbooks]
    if getattr(args, "no_rag", False) or os.environ.get("SRE_NO_RAG") == "1":
        cfg.rag = False
    if getattr(args, "allow_writes", False) or os.environ.get("SRE_ALLOW_WRITES") == "1":
        cfg.allow_writes = True
    if getattr(args, "in_cluster", False):
        cfg.in_cluster = True
    if getattr(args, "rag_wait", None) is not None:
        cfg.rag_wait = float(args.rag_wait)
    if getattr(args, "call_timeout", None):
        cfg.call_timeout = float(args.call_timeout)
    if isinstance(cfg.audit_log, str):
        cfg.audit_log = Path(cfg.audit_log)
    # Absolute from here on: nothing later may depend on the working directory.
    for name in ("kubeconfig", "logs_db", "audit_log", "chroma_dir", "roles_file", "auth_tokens"):
        value = getattr(cfg, name)
        if value is not None:
            setattr(cfg, name, Path(value).expanduser().absolute())
    cfg.runbooks = [Path(p).absolute() for p in cfg.runbooks]
    if cfg.scenario and Path(cfg.scenario).expanduser().is_dir():
        cfg.scenario = str(Path(cfg.scenario).expanduser().absolute())
    if cfg.audit_log is None:
        cfg.audit_log = state_dir() / "audit.jsonl"
    return cfg
