"""The safety layer, wired into the server by `server.build_server` through `configure`.

Order of the checks on a call (see middleware.py for where each runs):
role (tool, namespace) → rate limit → argument validation → tool (writes: preview
or token) → result filters: confirmation note, role note, redaction → size cap.
The redaction filter fails closed: if it breaks, the result is withheld.
"""

from __future__ import annotations

from typing import Any

from sre_mcp.runtime import Runtime
from sre_mcp.security.confirm import ConfirmationTokens
from sre_mcp.security.ratelimit import RateLimitPolicy
from sre_mcp.security.redaction import RedactionFilter, redact_arguments
from sre_mcp.security.roles import RoleNote, RolePolicy, pick_role
from sre_mcp.tools import toolset_methods
from sre_mcp.tools.actions import ActionTools


class ConfirmationNote:
    """Puts the two-step state of a write on its audit line: preview issued, or confirmed and done."""

    def __call__(self, tool: str, arguments: dict[str, Any], result: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
        if result.get("confirmation_required"):
            notes["confirmation"] = {"state": "preview", "token_id": result.get("token_id")}
        elif result.get("applied"):
            notes["confirmation"] = {"state": "confirmed", "token_id": result.get("token_id")}
        return result


def configure(rt: Runtime, toolsets: list[object]) -> dict[str, Any]:
    config = rt.config
    tokens = ConfirmationTokens()
    actions = ActionTools(rt, tokens)
    rt.extra["confirmation_tokens"] = tokens
    rt.extra["actions"] = actions

    policies: list[Any] = []
    filters: list[Any] = [ConfirmationNote()]
    write_tools = {name for name, _, spec in toolset_methods(actions) if spec.write}
    if config.auth:
        # An authenticated server: each caller's role comes from the roles file's bindings
        # (security/identity.py); every tool is listed, and every call is checked per caller.
        from sre_mcp.security.identity import IdentityRolePolicy, UserRateLimitPolicy, load_bindings

        bindings = load_bindings(config.roles_file, default_role=config.role)
        rt.extra["bindings"] = bindings
        policies += [IdentityRolePolicy(write_tools), UserRateLimitPolicy(bindings)]
    elif config.role:
        role = pick_role(config.role, config.roles_file)  # unknown role: the server refuses to start
        policies.append(RolePolicy(role, write_tools))
        filters.append(RoleNote(role))
        offered = set()
        for toolset in [*toolsets, actions]:
            for name, _, spec in toolset_methods(toolset):
                if spec.write and not config.allow_writes:
                    continue
                if role.allows_tool(name, spec.write):
                    offered.add(name)
        rt.extra["offered_tools"] = offered
        rt.extra["role"] = role
        rt.role = role  # service-keyed tools, log rows and the meta-tool are bound by it too
    known_tools = {name for toolset in [*toolsets, actions] for name, _, _ in toolset_methods(toolset)}
    policies.append(RateLimitPolicy(config.rate_limits, known=known_tools.__contains__))
    # Redaction last before the size cap, so it also covers attached runbook text.
    filters.append(RedactionFilter())
    return {"toolsets": [actions], "policies": policies, "filters": filters, "argument_filter": redact_arguments}
