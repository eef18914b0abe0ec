"""The model protocol: one turn of a conversation in the Messages API's shape.

Both Claude and the offline investigator implement it, so the loop cannot tell them
apart. Messages and content blocks are plain dicts exactly as the Messages API has
them (`{"type": "tool_use", "id", "name", "input"}`, `{"type": "tool_result", ...}`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Protocol

from sre_console.investigate.events import Event, Usage

Emit = Callable[[Event], Awaitable[None]]


class ModelError(Exception):
    """A model failure the user should read (no traceback): auth, overload after retries, bad request."""


@dataclass
class ModelTurn:
    content: list[dict[str, Any]]  # text and tool_use blocks
    stop_reason: str  # end_turn | tool_use | max_tokens | stop_sequence
    usage: Usage = field(default_factory=Usage)

    @property
    def tool_uses(self) -> list[dict[str, Any]]:
        return [b for b in self.content if b.get("type") == "tool_use"]

    @property
    def text(self) -> str:
        return "".join(b.get("text", "") for b in self.content if b.get("type") == "text")


class Model(Protocol):
    name: str

    async def turn(
        self,
        system: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        emit: Emit,
        *,
        tool_choice: dict[str, Any] | None = None,
    ) -> ModelTurn:
        """Run one assistant turn; stream text as TextDelta and retries as Retry through `emit`."""
        ...
