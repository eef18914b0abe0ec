"""Roles from a YAML file: which tools a role may call, and in which namespaces.

Tools a role cannot use are not offered at all (so a model never sees them); a
call that gets through anyway, or names a namespace outside the role, is refused
with an error naming the role. The namespace rule applies to every argument
called `namespace`, so new tools are covered without listing them.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sre_mcp.errors import Refusal

SHIPPED_ROLES = Path(__file__).resolve().parents[1] / "config" / "roles.yaml"


class RolesError(ValueError):
    """The roles file or the chosen role is unusable; the server must not start."""


@dataclass
class Role:
    name: str
    tools: list[str]
    namespaces: list[str] = field(default_factory=lambda: ["*"])
    description: str = ""

    def allows_tool(self, tool: str, write: bool) -> bool:
        for pattern in self.tools:
            if pattern == "@read" and not write:
                return True
            if pattern == "@write" and write:
                return True
            if not pattern.startswith("@") and fnmatch.fnmatchcase(tool, pattern):
                return True
        return False

    def allows_namespace(self, namespace: str) -> bool:
        allowed = False
        for pattern in self.namespaces:
            if pattern.startswith("!"):
                if fnmatch.fnmatchcase(namespace, pattern[1:]):
                    return False  # an exclusion wins wherever it is listed
            elif fnmatch.fnmatchcase(namespace, pattern):
                allowed = True
        return allowed


def load_roles(path: Path | None = None) -> dict[str, Role]:
    path = Path(path) if path else SHIPPED_ROLES
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RolesError(f"roles file {path}: {exc}") from None
    roles = data.get("roles") if isinstance(data, dict) else None
    if not isinstance(roles, dict) or not roles:
        raise RolesError(f"roles file {path}: expected `roles:` mapping role names to {{tools, namespaces}}")
    out = {}
    for name, spec in roles.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("tools"), list):
            raise RolesError(f"roles file {path}: role {name!r} needs a `tools` list")
        namespaces = spec.get("namespaces", ["*"])
        if not isinstance(namespaces, list):
            raise RolesError(f"roles file {path}: role {name!r}: `namespaces` must be a list")
        out[str(name)] = Role(str(name), [str(t) for t in spec["tools"]], [str(n) for n in namespaces], str(spec.get("description", "")))
    return out


def pick_role(name: str, path: Path | None = None) -> Role:
    roles = load_roles(path)
    if name not in roles:
        raise RolesError(f"unknown role {name!r}; roles in {path or SHIPPED_ROLES}: {', '.join(sorted(roles))}")
    return roles[name]


class RolePolicy:
    def __init__(self, role: Role, write_tools: set[str]):
        self.role = role
        self.write_tools = write_tools

    def check(self, tool: str, arguments: dict[str, Any]) -> None:
        notes = {"notes": {"role": self.role.name}}
        if not self.role.allows_tool(tool, tool in self.write_tools):
            raise Refusal(f"role {self.role.name!r} may not call {tool}", hint="ask someone with a role that allows it", **notes)
        ns = arguments.get("namespace")
        # "*" (every namespace) is narrowed to the role's namespaces by the tool (Runtime.readable_namespaces).
        if isinstance(ns, str) and ns != "*" and not self.role.allows_namespace(ns):
            raise Refusal(
                f"role {self.role.name!r} may not use namespace {ns!r}",
                hint="namespaces of this role: " + ", ".join(self.role.namespaces),
                **notes,
            )


class RoleNote:
    """Result filter that puts the role on every successful call's audit line."""

    def __init__(self, role: Role):
        self.role = role

    def __call__(self, tool: str, arguments: dict[str, Any], result: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
        notes["role"] = self.role.name
        return result
