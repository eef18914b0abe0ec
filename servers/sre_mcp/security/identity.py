"""Who is calling: the identity behind each request, and the role it has.

Over stdio the caller is the process (its `--role`, if any). Over authenticated HTTP
each request carries a bearer token; the token verifier (security/auth.py) names the
user and groups, the roles file's `bindings` give the role, and `IdentityMiddleware`
puts the identity in a context variable for the whole call, so the role checks, the
namespace policy, the rate limits, the confirmation tokens and the audit line all see
the same caller without being handed it.

Roles file (config/roles.yaml) bindings:
    bindings:
      users:  {alice: admin}          # a user's own binding wins
      groups: {sre: operator, dev: viewer}   # else the first listed group the user is in
      default: viewer                 # else this; omit it to refuse unbound users
    user_rate_limits:                 # calls per minute per user, all tools together
      default: 300
      users: {ci-bot: 1200}
"""

from __future__ import annotations

import contextvars
import hashlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from sre_mcp.errors import Refusal
from sre_mcp.security.ratelimit import TokenBucket
from sre_mcp.security.roles import SHIPPED_ROLES, Role, RolesError, load_roles


@dataclass(frozen=True)
class Identity:
    user: str
    groups: tuple[str, ...] = ()
    via: str = "process"          # process | static-token | oidc
    role: Role | None = None      # None on an authenticated server: the user has no role here
    session: str = ""             # the MCP session (HTTP), so a preview binds to it

    def record(self) -> dict[str, Any]:
        """What the audit line says of the caller (never the token)."""
        out: dict[str, Any] = {"user": self.user, "via": self.via, "role": self.role.name if self.role else None}
        if self.groups:
            out["groups"] = list(self.groups)[:20]
        if self.session:
            out["session"] = hashlib.sha256(self.session.encode()).hexdigest()[:12]
        return out


CURRENT: contextvars.ContextVar[Identity | None] = contextvars.ContextVar("sre_identity", default=None)


def current() -> Identity | None:
    return CURRENT.get()


def principal() -> str:
    """The caller a confirmation token is bound to: user and session ('' over stdio)."""
    ident = CURRENT.get()
    return "" if ident is None or ident.via == "process" else f"{ident.user}\0{ident.session}"


@dataclass
class Bindings:
    users: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)   # insertion order is precedence
    default: str | None = None
    roles: dict[str, Role] = field(default_factory=dict)
    user_limits: dict[str, float] = field(default_factory=dict)
    default_limit: float | None = None

    def role_for(self, user: str, groups: tuple[str, ...]) -> Role | None:
        name = self.users.get(user)
        if name is None:
            name = next((role for group, role in self.groups.items() if group in groups), None)
        if name is None:
            name = self.default
        return self.roles.get(name) if name else None

    def limit_for(self, user: str) -> float | None:
        return self.user_limits.get(user, self.default_limit)


def load_bindings(path: Path | None, default_role: str | None = None) -> Bindings:
    """The roles file's `bindings` and `user_rate_limits`; `--role` becomes the default binding
    when the file names none. Unknown roles in a binding stop the server."""
    path = Path(path) if path else SHIPPED_ROLES
    roles = load_roles(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    raw = data.get("bindings") or {}
    if not isinstance(raw, dict):
        raise RolesError(f"roles file {path}: `bindings` must be a mapping (users, groups, default)")
    b = Bindings(
        users={str(k): str(v) for k, v in (raw.get("users") or {}).items()},
        groups={str(k): str(v) for k, v in (raw.get("groups") or {}).items()},
        default=str(raw["default"]) if raw.get("default") else default_role,
        roles=roles,
    )
    for where, name in [*(("users", v) for v in b.users.values()), *(("groups", v) for v in b.groups.values()), ("default", b.default)]:
        if name is not None and name not in roles:
            raise RolesError(f"roles file {path}: binding {where} -> unknown role {name!r}; roles: {', '.join(sorted(roles))}")
    limits = data.get("user_rate_limits") or {}
    if limits:
        b.default_limit = float(limits["default"]) if limits.get("default") is not None else None
        b.user_limits = {str(k): float(v) for k, v in (limits.get("users") or {}).items()}
    return b


class IdentityMiddleware:
    """Outermost: resolves the caller of each request and holds it for the whole call."""

    def __init__(self, bindings: Bindings | None, process_role: Role | None, process_user: str):
        self.bindings = bindings
        self.process = Identity(user=process_user, role=process_role)

    def resolve(self, ctx: Any) -> Identity:
        request = getattr(ctx, "request", None)
        user = None
        if request is not None:
            try:
                user = request.scope.get("user")
            except AttributeError:
                user = None
        token = getattr(user, "access_token", None)
        if token is None:
            return self.process
        claims = token.claims or {}
        groups = tuple(str(g) for g in claims.get("groups") or ())
        name = str(token.client_id)
        role = self.bindings.role_for(name, groups) if self.bindings is not None else self.process.role
        session = ""
        try:
            session = request.headers.get("mcp-session-id") or ""
        except AttributeError:
            pass
        return Identity(user=name, groups=groups, via=str(claims.get("sre/via", "token")), role=role, session=session)

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        reset = CURRENT.set(self.resolve(ctx))
        try:
            return await call_next(ctx)
        finally:
            CURRENT.reset(reset)


class IdentityRolePolicy:
    """The caller's role decides, per call: tools, and every `namespace` argument."""

    def __init__(self, write_tools: set[str]):
        self.write_tools = write_tools

    def check(self, tool: str, arguments: dict[str, Any]) -> None:
        ident = CURRENT.get()
        if ident is None or ident.via == "process":
            return
        if ident.role is None:
            raise Refusal(f"user {ident.user!r} has no role on this server",
                          hint="ask an admin to bind the user or one of their groups to a role in the roles file")
        role = ident.role
        notes = {"notes": {"role": role.name}}
        if not role.allows_tool(tool, tool in self.write_tools):
            raise Refusal(f"role {role.name!r} (user {ident.user!r}) may not call {tool}", hint="ask someone with a role that allows it", **notes)
        ns = arguments.get("namespace")
        # "*" (every namespace) is narrowed to the role's namespaces by the tool (Runtime.readable_namespaces).
        if isinstance(ns, str) and ns != "*" and not role.allows_namespace(ns):
            raise Refusal(f"role {role.name!r} (user {ident.user!r}) may not use namespace {ns!r}",
                          hint="namespaces of this role: " + ", ".join(role.namespaces), **notes)


class UserRateLimitPolicy:
    """One bucket per authenticated user for all tools together (a runaway client of one
    user cannot use up the server for everyone); limits from `user_rate_limits`."""

    def __init__(self, bindings: Bindings, clock: Callable[[], float] = time.monotonic):
        self.bindings = bindings
        self.clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def check(self, tool: str, arguments: dict[str, Any]) -> None:
        ident = CURRENT.get()
        if ident is None or ident.via == "process":
            return
        limit = self.bindings.limit_for(ident.user)
        if limit is None:
            return
        with self._lock:
            bucket = self._buckets.get(ident.user)
            if bucket is None:
                bucket = self._buckets[ident.user] = TokenBucket(limit, self.clock)
            wait = bucket.take()
        if wait:
            raise Refusal(f"rate limit exceeded for user {ident.user!r}: at most {limit:g} calls per minute",
                          hint=f"retry in {wait:.1f}s", notes={"rate_limited": True})
