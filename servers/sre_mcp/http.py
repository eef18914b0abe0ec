"""The team server: streamable HTTP with authentication, probes and metrics on one port.

- `/mcp`: the MCP endpoint. With `--auth-tokens` / `--oidc-*` every request needs a bearer
  token (the SDK's bearer middleware answers 401 with `WWW-Authenticate`); the caller's
  identity and role follow each call (security/identity.py).
- `/healthz`: the process answers (liveness). `/readyz`: the log store is up and the
  embedder is warm (or switched off); 503 with what is missing otherwise. Neither needs auth.
- `/metrics`: Prometheus text format from the official client library: tool calls,
  errors and latency per tool, rate-limit and auth refusals, active MCP sessions.

Binding beyond loopback without authentication is refused unless `--insecure-no-auth`,
and DNS-rebinding protection (Host and Origin checks) stays on whatever the bind
address: the SDK switches it off beyond loopback, so we pass the allowed hosts ourselves.
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class HttpConfigError(Exception):
    pass


def check_bind(host: str, config: Any) -> None:
    if host not in LOOPBACK and not config.auth and not config.insecure_no_auth:
        raise HttpConfigError(
            f"refusing to serve on {host} without authentication: anyone who can reach the port could call every tool. "
            "Use --auth-tokens FILE or --oidc-issuer/--oidc-audience/--oidc-jwks, or --insecure-no-auth if you mean it"
        )


def allowed_hosts(host: str, port: int, config: Any) -> tuple[list[str], list[str]]:
    """Host headers (and Origins) accepted: loopback, the bind address, the public URL's host,
    and `--allowed-hosts`; each with any port."""
    names = {"127.0.0.1", "localhost", "[::1]"}
    if host not in ("0.0.0.0", "::", ""):
        names.add(f"[{host}]" if ":" in host and not host.startswith("[") else host)
    if config.public_url:
        netloc = urlsplit(config.public_url).hostname
        if netloc:
            names.add(netloc)
    names.update(h.split(":")[0] if h.count(":") == 1 else h for h in config.allowed_hosts)
    hosts = sorted({f"{n}:*" for n in names} | names)
    origins = sorted({f"{scheme}://{n}:*" for n in names for scheme in ("http", "https")} | {f"{s}://{n}" for n in names for s in ("http", "https")})
    return hosts, origins


class Metrics:
    """The server's Prometheus metrics, in a registry of its own."""

    def __init__(self, rt: Any, mcp: Any):
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.calls = Counter("sre_mcp_tool_calls_total", "Tool calls by tool and outcome", ["tool", "outcome"], registry=self.registry)
        self.errors = Counter("sre_mcp_tool_errors_total", "Tool calls that did not succeed, by tool", ["tool"], registry=self.registry)
        self.latency = Histogram("sre_mcp_tool_call_seconds", "Tool call latency by tool", ["tool"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.rate_limited = Counter("sre_mcp_rate_limited_total", "Calls refused by a rate limit", registry=self.registry)
        self.auth_refused = Counter("sre_mcp_auth_refusals_total", "Requests refused at authentication (401), by reason",
                                    ["reason"], registry=self.registry)
        sessions = Gauge("sre_mcp_active_sessions", "Open MCP sessions on this server", registry=self.registry)
        sessions.set_function(lambda: _session_count(mcp))
        self._auth_seen: dict[str, float] = {}
        self.rt = rt

    def __call__(self, record: dict[str, Any]) -> None:
        tool = record.get("tool")
        if not isinstance(tool, str) or record.get("phase") != "call":
            return
        known = self.rt.extra.get("known_tools")
        label = tool if known is None or tool in known else "<unknown>"  # bounded label values
        outcome = str(record.get("outcome") or "ok")
        self.calls.labels(label, outcome).inc()
        if outcome != "ok":
            self.errors.labels(label).inc()
        if record.get("latency_ms") is not None:
            self.latency.labels(label).observe(float(record["latency_ms"]) / 1000)
        if record.get("rate_limited") or str(record.get("error", "")).startswith("rate limit exceeded"):
            self.rate_limited.inc()

    def sync_auth(self) -> None:
        """Carry the verifier's refusal counts (by reason) over to the counter."""
        refusals = self.rt.extra.get("auth_refusals")
        if refusals is None:
            return
        for reason, n in list(refusals.counts.items()):
            seen = self._auth_seen.get(reason, 0)
            if n > seen:
                self.auth_refused.labels(reason).inc(n - seen)
                self._auth_seen[reason] = n


def _session_count(mcp: Any) -> int:
    try:
        return len(mcp.session_manager._server_instances)
    except Exception:  # noqa: BLE001 - before the app exists, or an SDK without the field
        return 0


class MissingTokenCounter:
    """ASGI wrapper: a 401 from /mcp with no Authorization header is a 'missing' refusal."""

    def __init__(self, app: Any, rt: Any):
        self.app = app
        self.rt = rt

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or not scope.get("path", "").startswith("/mcp"):
            return await self.app(scope, receive, send)
        has_auth = any(k.lower() == b"authorization" for k, _ in scope.get("headers") or [])

        async def watch(message: Any) -> None:
            if message.get("type") == "http.response.start" and message.get("status") == 401 and not has_auth:
                refusals = self.rt.extra.get("auth_refusals")
                if refusals is not None:
                    refusals.add("missing")
            await send(message)

        await self.app(scope, receive, watch)


def build_app(mcp: Any, rt: Any, host: str, port: int) -> Any:
    """The Starlette app: /mcp with auth and Host checks, /healthz, /readyz, /metrics."""
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response

    config = rt.config
    check_bind(host, config)
    metrics = Metrics(rt, mcp)
    rt.extra["metrics"] = metrics
    rt.extra["known_tools"] = {t.name for t in mcp._tool_manager.list_tools()}

    @mcp.custom_route("/healthz", methods=["GET"], include_in_schema=False)
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @mcp.custom_route("/readyz", methods=["GET"], include_in_schema=False)
    async def readyz(request: Request) -> Response:
        state = readiness(rt)
        return JSONResponse(state, status_code=200 if state["ready"] else 503)

    @mcp.custom_route("/metrics", methods=["GET"], include_in_schema=False)
    async def prometheus(request: Request) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        metrics.sync_auth()
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    hosts, origins = allowed_hosts(host, port, config)
    security = TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)
    app = mcp.streamable_http_app(transport_security=security, host=host)
    return MissingTokenCounter(app, rt)


def readiness(rt: Any) -> dict[str, Any]:
    logs = rt._logs
    if logs.ready:
        log_state = "ready"
    elif logs._done.is_set():
        log_state = f"failed: {str(logs._error)[:200]}"
    else:
        logs.start()
        log_state = "starting"
    if not rt.config.rag:
        embedder = "off (keyword search)"
    elif rt.runbooks.ready:
        embedder = "ready"
    else:
        embedder = "warming up"
    ready = log_state == "ready" and embedder in ("ready", "off (keyword search)")
    return {"ready": ready, "log_store": log_state, "embedder": embedder}


def serve(mcp: Any, rt: Any, host: str, port: int) -> int:
    import uvicorn

    try:
        app = build_app(mcp, rt, host, port)
    except HttpConfigError as exc:
        print(f"sre-mcp-server: {exc}", file=sys.stderr)
        return 2
    if host not in LOOPBACK and not rt.config.auth:
        print(f"sre-mcp-server: serving on {host} WITHOUT authentication (--insecure-no-auth)", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
    return 0
