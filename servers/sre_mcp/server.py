"""Builds the composite SRE MCP server: tools, prompts, resources and middleware."""

from __future__ import annotations

import logging
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.prompts.base import Prompt, PromptArgument, UserMessage
from mcp.server.mcpserver.resources import FunctionResource

from sre_mcp import __version__, changes, prompts
from sre_mcp.config import ServerConfig
from sre_mcp.middleware import AuditMiddleware, GuardMiddleware, SizeCap, keep_string_arguments
from sre_mcp.runtime import Runtime
from sre_mcp.security.audit import AuditLog
from sre_mcp.tools import toolset_methods
from sre_mcp.tools.cluster import ClusterObjectTools
from sre_mcp.tools.database import DatabaseTools
from sre_mcp.tools.deploys import DeployTools
from sre_mcp.tools.health import HealthTools
from sre_mcp.tools.metrics import MetricsTools
from sre_mcp.tools.investigate import InvestigateTools
from sre_mcp.tools.k8s import ClusterTools
from sre_mcp.tools.logs import LogTools
from sre_mcp.tools.runbooks import RunbookTools

log = logging.getLogger("sre_mcp")

INSTRUCTIONS = """\
SRE tools for one environment: Kubernetes (pods, logs, describe, deployments, events, workloads
and rollout history, nodes, services/endpoints, volumes, configmaps, HPAs, any object as YAML),
application logs in ClickHouse (search, error counts, slow queries, transaction traces),
service health (error rate, p99, alerts, readiness), deploy history, and the team's runbooks.
Start with list_services / check_service_health, or investigate_service for a first pass.
When a result shows known trouble (OOMKilled, timeouts, ...), it carries `related_runbooks`.
Prompts: investigate-service, trace-transaction, pre-deploy-check, daily-health-report."""


class AugmentFilter:
    """Attach the relevant runbook sections to results that show known trouble.
    Never waits for the embedder: until it is warm, results go out as they are."""

    def __init__(self, rt: Runtime):
        self.rt = rt
        self._augmenter = None

    def __call__(self, tool: str, arguments: dict[str, Any], result: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
        from sre_mcp.rag.augment import Augmenter

        if self._augmenter is None:
            self._augmenter = Augmenter(self.rt.runbooks.index)
        if tool not in self._augmenter.applies_to or "error" in result or not self.rt.runbooks.ready:
            return result
        out = self._augmenter.augment(tool, result)
        if "related_runbooks" in out:
            notes["augmented"] = [r["runbook_id"] for r in out["related_runbooks"].get("runbooks", [])]
        return out


def build_server(config: ServerConfig, start_background: bool = True) -> tuple[MCPServer, Runtime]:
    rt = Runtime(config)
    audit = AuditLog(config.audit_log)
    rt.audit = audit

    health = HealthTools(rt)
    deploys = DeployTools(rt)
    toolsets: list[object] = [
        health,
        ClusterTools(rt),
        ClusterObjectTools(rt),
        LogTools(rt),
        deploys,
        MetricsTools(rt),
        RunbookTools(rt),
        InvestigateTools(rt, health, deploys),
    ]
    if rt.databases is not None:
        toolsets.append(DatabaseTools(rt))
    policies: list[Any] = []
    filters: list[Any] = [AugmentFilter(rt)]
    argument_filter = None
    # Safety layer (issue 7): roles, rate limits, confirmation tokens, redaction, write tools.
    try:
        from sre_mcp.security import setup as security_setup
    except ImportError:
        security_setup = None
    if security_setup is not None:
        extra = security_setup.configure(rt, toolsets)
        toolsets += extra.get("toolsets", [])
        policies += extra.get("policies", [])
        filters += extra.get("filters", [])
        argument_filter = extra.get("argument_filter")
    filters.append(SizeCap(config.max_result_bytes))

    auth_kwargs: dict[str, Any] = {}
    if config.auth:
        from mcp.server.auth.settings import AuthSettings

        from sre_mcp.security.auth import build_verifier

        verifier, refusals = build_verifier(config)
        rt.extra["auth_refusals"] = refusals
        public_url = config.public_url or "http://127.0.0.1:8765/mcp"
        auth_kwargs = {
            "token_verifier": verifier,
            # Resource-server only: the issuer is the OIDC provider (or, with static tokens
            # alone, this server); the verifier itself checks a JWT's audience.
            "auth": AuthSettings(issuer_url=config.oidc_issuer or public_url, resource_server_url=public_url,
                                 validate_token_resource=False),
        }
    mcp: MCPServer[Any] = MCPServer(
        "sre-mcp-server",
        title="SRE MCP server",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
        middleware=[],
        **auth_kwargs,
    )
    offered: set[str] | None = rt.extra.get("offered_tools")
    for toolset in toolsets:
        for name, fn, spec in toolset_methods(toolset):
            if spec.write and not config.allow_writes:
                continue
            if offered is not None and name not in offered:
                continue  # the role cannot use it: not offered at all
            mcp.add_tool(fn, name=name, title=spec.title, annotations=spec.annotations(), structured_output=True)
    keep_string_arguments(mcp._tool_manager.list_tools())  # keyword="null" stays the string "null"

    def schema_for(name: str) -> dict[str, Any] | None:
        tool = mcp._tool_manager.get_tool(name)
        return None if tool is None else tool.parameters

    def argument_names(name: str) -> set[str] | None:
        schema = schema_for(name)
        return None if schema is None else set(schema.get("properties") or {})

    role = rt.extra.get("role")
    identity = {"server_user": _os_user(), **({"role": role.name} if role is not None else {})}
    from sre_mcp.security.identity import IdentityMiddleware

    # Outermost: who is calling, for the audit line, the role checks and the tokens below.
    mcp.middleware.append(IdentityMiddleware(rt.extra.get("bindings"), role, identity["server_user"]))
    mcp.middleware.append(AuditMiddleware(audit, on_call=_hooks(rt),
                                          known_arguments=argument_names, identity=identity))
    mcp.middleware.append(GuardMiddleware(schema_for, config.call_timeout, policies, filters, argument_filter))
    # Watch-cache changes reach clients as subscriptions/listen events (changes.py).
    changes.register(mcp, rt)

    for spec in prompts.PROMPTS:
        mcp.add_prompt(
            Prompt(
                name=spec.name,
                title=spec.title,
                description=spec.description,
                arguments=[PromptArgument(name=a.name, description=a.description, required=a.required) for a in spec.arguments],
                fn=_prompt_fn(spec),
            )
        )

    _with_step_meta(mcp)

    for rb in rt.runbooks.runbooks():
        rid = rb["id"]
        mcp.add_resource(
            FunctionResource(
                uri=f"runbook://{rid}",
                name=f"{rb['title']} ({rid})",
                title=rb["title"],
                description=f"Runbook · team {rb['team']} · tags: {', '.join(rb.get('tags') or [])}",
                mime_type="text/markdown",
                fn=(lambda rid=rid: rt.runbooks.get(rid) or ""),
            )
        )

    @mcp.resource("runbook://{runbook_id}", name="runbook", title="Runbook by id", mime_type="text/markdown")
    def runbook_template(runbook_id: str) -> str:
        """A runbook's Markdown by id (ids: see resources/list or search_runbooks)."""
        from mcp.server.mcpserver.exceptions import ResourceNotFoundError

        text = rt.runbooks.get(runbook_id)
        if text is None:
            raise ResourceNotFoundError(f"no runbook {runbook_id!r}")
        return text

    if start_background:
        rt.start_background()
    return mcp, rt


def _os_user() -> str:
    """Who runs this server process: the identity the server itself can vouch for over stdio."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in a container
        import os

        return f"uid {os.getuid()}"


def _hooks(rt: Runtime) -> Any:
    """Per-call hooks looked up at call time: a host's `on_call`, the HTTP server's metrics."""

    def call(record: dict[str, Any]) -> None:
        for key in ("on_call", "metrics"):
            hook = rt.extra.get(key)
            if hook is not None:
                hook(record)

    return call


def _prompt_fn(spec: prompts.PromptSpec):
    def render(**kwargs: Any) -> list[UserMessage]:
        return [UserMessage(spec.render(kwargs))]

    return render


def _with_step_meta(mcp: Any) -> None:
    """Prompt results carry their steps as data in `_meta` (prompts.META_KEY), so hosts never parse the prose."""
    render = mcp.get_prompt

    async def get_prompt(name: str, arguments: dict[str, Any] | None = None, context: Any = None) -> Any:
        result = await render(name, arguments, context)
        spec = prompts.get(name)
        if spec is not None and hasattr(result, "messages"):
            result = result.model_copy(update={"meta": {**(result.meta or {}), prompts.META_KEY: spec.structure(arguments or {})}})
        return result

    mcp.get_prompt = get_prompt

