"""The steps the offline investigator follows, as data.

They come from the prompt result's `_meta` (servers/sre_mcp/prompts.py declares them:
tools, the subject of each call, fan-outs, argument hints, a condition). Nothing here
reads the prompt's prose. A question with no prompt has no steps: the planner sweeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

META_KEY = "sre/steps"  # the key our server uses in a prompt result's _meta


@dataclass(frozen=True)
class PlannedCall:
    tool: str
    args: dict[str, Any] = field(default_factory=dict)  # literal values and "@..." dynamic ones
    on: str | None = None  # what the call is about: target, worst_pod, error_trace, ...
    for_each: str | None = None  # fan out over: service, unhealthy_service, ...


@dataclass(frozen=True)
class Step:
    number: int
    text: str
    calls: tuple[PlannedCall, ...]
    when: str | None = None

    @property
    def tools(self) -> list[str]:
        return [c.tool for c in self.calls]


@dataclass(frozen=True)
class Procedure:
    """One prompt as the planner sees it."""

    prompt: str | None
    arguments: dict[str, str]
    steps: tuple[Step, ...]
    sections: tuple[str, ...]


def procedure_from_meta(meta: dict[str, Any] | None) -> Procedure | None:
    """The structure our server attaches to a prompt result; None when there is none (a third-party prompt)."""
    data = (meta or {}).get(META_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        return None
    steps = []
    for s in data["steps"]:
        calls = tuple(PlannedCall(c["tool"], dict(c.get("args") or {}), c.get("on"), c.get("for_each")) for c in s.get("calls") or [])
        steps.append(Step(int(s["number"]), str(s.get("text", "")), calls, s.get("when")))
    return Procedure(data.get("prompt"), dict(data.get("arguments") or {}), tuple(steps), tuple(data.get("sections") or ()))
