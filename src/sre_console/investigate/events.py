"""What the investigation loop emits while it runs (the chat pane and the CLI render these)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union


@dataclass
class Started:
    """The investigation's prompt, rendered (the chat pane builds its step checklist from it)."""

    prompt_name: str | None
    text: str
    structure: dict | None = None  # the prompt's steps as data (its `_meta`), when the server gives them


@dataclass
class TextDelta:
    text: str


@dataclass
class ToolCallStarted:
    id: str
    name: str
    args: dict[str, Any]
    step: int = 0


@dataclass
class ToolCallFinished:
    id: str
    name: str
    ok: bool
    latency_ms: float
    summary: str
    result: Any
    error: str | None = None
    cached: bool = False  # answered from an identical earlier call


@dataclass
class Retry:
    attempt: int
    wait: float
    reason: str


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, other: "Usage") -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_read_tokens += other.cache_read_tokens
        self.cache_write_tokens += other.cache_write_tokens
        self.cost_usd += other.cost_usd

    def as_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "cost_usd": round(self.cost_usd, 6),
        }


@dataclass
class Approval:
    """A human's decision on a destructive call (asked, then answered)."""

    tool: str
    args: dict[str, Any]
    preview: Any
    approved: bool | None = None  # None while the question is open


@dataclass
class Notice:
    """Something the loop did on its own that the user should see (budget cut, repeat, compaction)."""

    message: str


@dataclass
class Done:
    report: Any  # report.Report


@dataclass
class Error:
    message: str


@dataclass
class Cancelled:
    reason: str = "cancelled by the user"


Event = Union[Started, TextDelta, ToolCallStarted, ToolCallFinished, Retry, Usage, Approval, Notice, Done, Error, Cancelled]
