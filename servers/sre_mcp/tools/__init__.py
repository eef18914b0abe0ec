"""Tool declarations: each domain module holds a toolset class whose methods marked
with `@tool` are registered once, with their annotations, from this registry.

A method's signature is its JSON schema (Annotated + pydantic Field give
descriptions, enums and bounds) and its docstring is written for the model.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Any, Callable

from mcp_types import ToolAnnotations

from sre_mcp.backends.base import BackendError
from sre_mcp.errors import ToolFailure, error_result


@dataclass(frozen=True)
class ToolSpec:
    title: str
    read_only: bool = True
    destructive: bool = False
    idempotent: bool = True
    write: bool = False  # offered only with --allow-writes

    def annotations(self) -> ToolAnnotations:
        return ToolAnnotations(
            title=self.title,
            read_only_hint=self.read_only,
            destructive_hint=self.destructive if not self.read_only else None,
            idempotent_hint=self.idempotent,
            open_world_hint=False,
        )


def tool(title: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__tool_spec__ = ToolSpec(title=title, **kwargs)  # type: ignore[attr-defined]
        return fn

    return mark


def _guard(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """Anticipated failures become structured tool errors that echo the arguments."""

    @functools.wraps(method)
    async def guarded(**kwargs: Any) -> Any:
        try:
            return await method(**kwargs)
        except ToolFailure as exc:
            return error_result(name, exc.message, exc.hint, kwargs, **exc.details)
        except BackendError as exc:
            return error_result(name, str(exc), exc.hint, kwargs)

    guarded.__signature__ = inspect.signature(method, eval_str=True)  # type: ignore[attr-defined]
    guarded.__annotations__ = {}
    return guarded


def toolset_methods(toolset: object) -> list[tuple[str, Callable[..., Any], ToolSpec]]:
    out = []
    # Look on the class, so properties of the toolset are never evaluated here.
    for name, member in inspect.getmembers(type(toolset), predicate=inspect.isfunction):
        spec = getattr(member, "__tool_spec__", None)
        if spec is not None:
            out.append((name, _guard(name, getattr(toolset, name)), spec))
    return out
