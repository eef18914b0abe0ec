"""Tool errors the caller can act on: a message, a hint, and the arguments echoed.

A model reading `isError: true` with the arguments it sent and what exists instead
can correct itself; a human sees one clear line instead of a traceback.
"""

from __future__ import annotations

import json
from typing import Any

from mcp_types import CallToolResult, TextContent


class Refusal(Exception):
    """A policy check refused the call (role, rate limit, confirmation)."""

    def __init__(self, message: str, hint: str | None = None, **details: Any):
        super().__init__(message)
        self.hint = hint
        self.details = details


class ToolFailure(Exception):
    def __init__(self, message: str, hint: str | None = None, **details: Any):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details


def error_result(tool: str, message: str, hint: str | None, arguments: dict[str, Any] | None, **details: Any) -> CallToolResult:
    text = f"{tool} failed: {message}"
    if hint:
        text += f"\nHint: {hint}"
    if arguments is not None:
        text += f"\nArguments: {json.dumps(arguments, default=str, ensure_ascii=False)[:500]}"
    error: dict[str, Any] = {"tool": tool, "message": message}
    if hint:
        error["hint"] = hint
    if arguments is not None:
        error["arguments"] = arguments
    error.update(details)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content={"error": error}, is_error=True)


def error_dict(tool: str, message: str, hint: str | None = None, arguments: dict[str, Any] | None = None, **details: Any) -> dict[str, Any]:
    """The same error as a wire-form result dict, for middleware that answers before the tool runs."""
    return error_result(tool, message, hint, arguments, **details).model_dump(mode="json", by_alias=True, exclude_none=True)
