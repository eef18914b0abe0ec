"""One approval path for write calls, shared by the TUI, the headless commands and eval.

A request names the tool, its arguments, the server's preview and *where it came
from* (which investigation, on whose behalf). `decide()` consults the session's one
"always" memory, asks the human through a plain callback when it must, and returns a
`Decision` whose `audit_note` rides on the confirmed call as `_meta["sre/audit_note"]`,
so the server's own audit writer records who approved what (the console never writes
the audit file itself).

"Always" is narrow on purpose: a prompt injected into a tool result must not ride an
earlier approval. It covers the exact arguments, or the tool, *within one
investigation*; a new investigation asks again. Destructive changes (scale to 0, a
rollback, a delete) always ask. Headless: no Textual here.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from sre_console.server_facts import ALWAYS_ASK_TOOLS

# The answers a human can give (the modal's buttons, the headless policy).
YES, ALWAYS_ARGS, ALWAYS_INVESTIGATION, NO = "yes", "always-args", "always-investigation", "no"
ANSWERS = (YES, ALWAYS_ARGS, ALWAYS_INVESTIGATION, NO)


@dataclass(frozen=True)
class ApprovalRequest:
    tool: str
    arguments: dict[str, Any]  # never a confirmation token
    preview: Any = None
    source: str = ""  # shown to the human: who asks, in which investigation
    investigation: str | None = None  # the scope of an "always"
    description: str = ""

    @property
    def always_asks(self) -> str | None:
        """Why this request can never be covered by an "always" (None when it can)."""
        return always_ask_reason(self.tool, self.arguments, self.preview)


@dataclass(frozen=True)
class Decision:
    approved: bool
    answer: str  # one of ANSWERS, or "remembered" / "no approver"
    scope: str  # "once" | "arguments" | "investigation"
    source: str = ""
    by: str = ""

    @property
    def how(self) -> str:
        return self.answer

    @property
    def audit_note(self) -> dict[str, Any]:
        """What the server records as the client's assertion on the call's audit lines."""
        return {"approved_by": self.by, "decision": "approved" if self.approved else "denied", "scope": self.scope,
                "answer": self.answer, "source": self.source[:200]}

    @property
    def meta(self) -> dict[str, Any]:
        return {"sre/audit_note": self.audit_note}


def always_ask_reason(tool: str, arguments: dict[str, Any], preview: Any = None) -> str | None:
    """Scale to 0, rollback, delete: a human answers each one."""
    name = tool.lower()
    if tool in ALWAYS_ASK_TOOLS or any(word in name for word in ("delete", "rollback", "drain", "evict")):
        return f"{tool} always asks"
    to = arguments.get("replicas")
    changes = (preview or {}).get("changes") if isinstance(preview, dict) else None
    if isinstance(changes, dict) and isinstance(changes.get("replicas"), dict):
        to = changes["replicas"].get("to", to)
    if "scale" in name and to is not None and str(to).strip() in ("0", "0.0"):
        return "scaling to 0 stops the service: always asks"
    return None


def _args_key(tool: str, arguments: dict[str, Any]) -> str:
    return tool + json.dumps(arguments, sort_keys=True, default=str)


@dataclass
class ApprovalMemory:
    """The session's one "always" memory, kept per investigation (never across them)."""

    _by_investigation: dict[str, dict[str, set[str]]] = field(default_factory=dict)

    def covers(self, request: ApprovalRequest) -> str | None:
        """The scope that covers this request ("arguments" | "investigation"), or None: ask."""
        if request.investigation is None or request.always_asks:
            return None
        remembered = self._by_investigation.get(request.investigation, {})
        if request.tool in remembered.get("tools", set()):
            return "investigation"
        if _args_key(request.tool, request.arguments) in remembered.get("exact", set()):
            return "arguments"
        return None

    def remember(self, request: ApprovalRequest, answer: str) -> None:
        if request.investigation is None or request.always_asks:
            return
        slot = self._by_investigation.setdefault(request.investigation, {"tools": set(), "exact": set()})
        if answer == ALWAYS_INVESTIGATION:
            slot["tools"].add(request.tool)
        elif answer == ALWAYS_ARGS:
            slot["exact"].add(_args_key(request.tool, request.arguments))

    def forget(self, investigation: str) -> None:
        """An investigation ended: whatever it was allowed ends with it."""
        self._by_investigation.pop(investigation, None)


Ask = Callable[[ApprovalRequest], Awaitable[str]]


def operator() -> str:
    try:
        return os.environ.get("SRE_OPERATOR") or getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "unknown"


async def decide(request: ApprovalRequest, memory: ApprovalMemory | None, ask: Ask | None) -> Decision:
    """The one decision path: memory first (when it may), else the human; the answer is remembered."""
    by = operator()
    scope = memory.covers(request) if memory is not None else None
    if scope is not None:
        return Decision(True, "remembered", scope, request.source, by)
    if ask is None:
        return Decision(False, "no approver", "once", request.source, by)
    answer = await ask(request)
    answer = answer if answer in ANSWERS else (YES if answer is True else NO)
    if request.always_asks and answer in (ALWAYS_ARGS, ALWAYS_INVESTIGATION):
        answer = YES  # a destructive change is approved once, whatever was pressed
    if memory is not None:
        memory.remember(request, answer)
    scope = {ALWAYS_ARGS: "arguments", ALWAYS_INVESTIGATION: "investigation"}.get(answer, "once")
    return Decision(answer != NO, answer, scope, request.source, by)


def approver(memory: ApprovalMemory | None, ask: Ask | None, *, source: str, investigation: str | None,
             host: Any = None) -> Callable[[str, dict[str, Any], Any], Awaitable[Decision]]:
    """The callback an Investigation calls for each write: builds the request and decides.

    A denial never reaches the tool, so it is recorded through the server's audit
    writer by repeating the preview (which changes nothing) with the decision attached."""

    async def approve(tool: str, arguments: dict[str, Any], preview: Any) -> Decision:
        request = ApprovalRequest(tool, dict(arguments), preview, source, investigation)
        decision = await decide(request, memory, ask)
        if not decision.approved and host is not None:
            await record_denial(host, tool, arguments, decision)
        return decision

    return approve


async def record_denial(host: Any, tool: str, arguments: dict[str, Any], decision: Decision) -> None:
    info = host.tool(tool) if hasattr(host, "tool") else None
    # Only a tool with the two-step protocol answers a call without a token with a preview;
    # any other write tool would act, so it is never called again.
    if info is None or "confirmation_token" not in ((info.input_schema or {}).get("properties") or {}):
        return
    await host.call_tool(tool, {k: v for k, v in arguments.items() if k != "confirmation_token"}, meta=decision.meta)
