"""Cross-cutting concerns of every tool call, as SDK middleware (not in each tool).

Order, outermost first: timing + audit (sees every call, even refused ones), then
the guard: policy checks (role, rate limit), argument validation, the per-call
timeout, and the result filters (runbook augmentation, redaction, size cap).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from typing import Any, Callable, Protocol

import anyio
from pydantic import BaseModel

from sre_mcp.errors import error_dict
from sre_mcp.security.audit import AuditLog
from sre_mcp.security.validation import ArgumentError, check_arguments

log = logging.getLogger("sre_mcp")


class Refusal(Exception):
    """A policy check refused the call (role, rate limit, confirmation)."""

    def __init__(self, message: str, hint: str | None = None, **details: Any):
        super().__init__(message)
        self.hint = hint
        self.details = details


class CallPolicy(Protocol):
    def check(self, tool: str, arguments: dict[str, Any]) -> None:
        """Raise Refusal to refuse the call."""


class ResultFilter(Protocol):
    def __call__(self, tool: str, arguments: dict[str, Any], result: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
        """Return the (possibly new) structured result; record what it did in `notes`."""


def _as_dict(result: Any) -> dict[str, Any]:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json", by_alias=True, exclude_none=True)
    return result if isinstance(result, dict) else {}


def _render(structured: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "text", "text": json.dumps(structured, indent=2, ensure_ascii=False, default=str)}]


class AuditMiddleware:
    """Times every tool call and writes its audit line."""

    def __init__(self, audit: AuditLog, on_call: Callable[[dict[str, Any]], None] | None = None):
        self.audit = audit
        self.on_call = on_call

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if ctx.method != "tools/call":
            return await call_next(ctx)
        params = ctx.params or {}
        tool = params.get("name")
        arguments = params.get("arguments")
        start = time.perf_counter()
        if isinstance(arguments, dict) and "confirmation_token" in arguments:
            # The line links preview and confirmation by token_id; the token itself stays out.
            arguments = {**arguments, "confirmation_token": "<token>"}
        record: dict[str, Any] = {"tool": tool, "arguments": arguments}
        # A host may say who approved a write (`_meta["sre/audit_note"]`); it goes on the line.
        note = (params.get("_meta") or {}).get("sre/audit_note") if isinstance(params.get("_meta"), dict) else None
        if isinstance(note, dict):
            record["host_note"] = {str(k)[:40]: str(v)[:200] for k, v in list(note.items())[:10]}
        try:
            result = await call_next(ctx)
        except BaseException as exc:
            record.update(outcome="exception", error=type(exc).__name__, latency_ms=round((time.perf_counter() - start) * 1000, 2))
            self._write(record, ctx)
            raise
        data = _as_dict(result)
        notes = ((data.get("_meta") or {}).get("sre/notes")) or {}
        record["latency_ms"] = round((time.perf_counter() - start) * 1000, 2)
        if data.get("isError"):
            record["outcome"] = "error"
            err = (data.get("structuredContent") or {}).get("error") or {}
            record["error"] = err.get("message") or "".join(c.get("text", "") for c in data.get("content") or [])[:300]
        else:
            record["outcome"] = "ok"
        record.update({k: v for k, v in notes.items() if k in ("redactions", "clamped", "augmented", "truncated", "confirmation", "role", "audit_arguments")})
        if "audit_arguments" in record:
            record["arguments"] = record.pop("audit_arguments")
        self._write(record, ctx)
        return result

    def _write(self, record: dict[str, Any], ctx: Any) -> None:
        try:
            self.audit.write(record)
        except Exception:  # the audit must not take the call down with it, but must be seen
            log.exception("audit write failed")
        if self.on_call:
            self.on_call(record)


class GuardMiddleware:
    def __init__(
        self,
        schema_for: Callable[[str], dict[str, Any] | None],
        timeout: float,
        policies: list[CallPolicy],
        filters: list[ResultFilter],
        argument_filter: Callable[[dict[str, Any]], tuple[dict[str, Any], int]] | None = None,
    ):
        self.schema_for = schema_for
        self.timeout = timeout
        self.policies = policies
        self.filters = filters
        self.argument_filter = argument_filter  # redacts arguments for the audit line

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if ctx.method != "tools/call":
            return await call_next(ctx)
        params = dict(ctx.params or {})
        tool = params.get("name")
        arguments = params.get("arguments")
        notes: dict[str, Any] = {}
        if self.argument_filter is not None and isinstance(arguments, dict):
            safe_args, n = self.argument_filter(arguments)
            if n:
                notes["audit_arguments"] = safe_args
        if not isinstance(tool, str):
            return self._with_notes(error_dict(str(tool), "missing tool name"), notes)
        schema = self.schema_for(tool)
        if schema is None:
            # Not offered (unknown, or hidden from this role): a policy may say why,
            # otherwise the SDK answers "unknown tool" itself.
            refused = self._refuse(tool, arguments if isinstance(arguments, dict) else {}, notes)
            return refused if refused is not None else await call_next(ctx)
        try:
            arguments, clamped = check_arguments(schema, arguments)
        except ArgumentError as exc:
            return self._with_notes(error_dict(tool, str(exc), exc.hint, arguments if isinstance(arguments, dict) else None), notes)
        if clamped:
            notes["clamped"] = clamped
        refused = self._refuse(tool, arguments, notes)
        if refused is not None:
            return refused
        params["arguments"] = arguments
        ctx = dataclasses.replace(ctx, params=params)
        try:
            with anyio.fail_after(self.timeout):
                result = await call_next(ctx)
        except TimeoutError:
            notes["timeout"] = self.timeout
            return self._with_notes(
                error_dict(tool, f"timed out after {self.timeout:g}s", "the backend is slow or unreachable; other tools keep working, retry later or narrow the query", arguments),
                notes,
            )
        data = _as_dict(result)
        structured = data.get("structuredContent")
        if data.get("isError"):
            return self._with_notes(self._filter_error(tool, arguments, data, notes), notes)
        if isinstance(structured, dict):
            for f in self.filters:
                try:
                    structured = f(tool, arguments, structured, notes)
                except Exception:  # a filter bug must not eat the result; it is logged
                    log.exception("result filter %r failed on %s", f, tool)
                    if getattr(f, "required", False):  # e.g. redaction: fail closed
                        return self._with_notes(error_dict(tool, "result withheld: a safety filter failed"), notes)
            if clamped:
                structured = {**structured, "adjusted_arguments": {k: {"asked": a, "used": u} for k, (a, u) in clamped.items()}}
            data = {**data, "structuredContent": structured, "content": _render(structured)}
        return self._with_notes(data, notes)

    def _refuse(self, tool: str, arguments: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any] | None:
        try:
            for policy in self.policies:
                policy.check(tool, arguments)
        except Refusal as exc:
            notes.update(exc.details.get("notes", {}))
            return self._with_notes(error_dict(tool, str(exc), exc.hint, arguments), notes)
        return None

    def _filter_error(self, tool: str, arguments: dict[str, Any], data: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
        """Error text can quote backend output too: the must-run filters (redaction) see it."""
        required = [f for f in self.filters if getattr(f, "required", False)]
        if not required:
            return data
        wrapped = {"structured": data.get("structuredContent"), "content": data.get("content")}
        try:
            for f in required:
                wrapped = f(tool, arguments, wrapped, notes)
        except Exception:
            log.exception("required filter failed on an error result of %s", tool)
            return error_dict(tool, "error details withheld: a safety filter failed")
        out = {**data, "content": wrapped.get("content")}
        if wrapped.get("structured") is not None:
            out["structuredContent"] = wrapped["structured"]
        return out

    @staticmethod
    def _with_notes(data: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
        if notes:
            meta = dict(data.get("_meta") or {})
            meta["sre/notes"] = notes
            data = {**data, "_meta": meta}
        return data


class SizeCap:
    """Results over the byte cap are cut, largest list first, with a marker saying what was left out."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes

    def __call__(self, tool: str, arguments: dict[str, Any], result: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
        size = len(json.dumps(result, default=str))
        if size <= self.max_bytes:
            return result
        result = json.loads(json.dumps(result, default=str))
        dropped: dict[str, int] = {}
        while len(json.dumps(result)) > self.max_bytes:
            path, lst = _largest_list(result)
            if lst is None or len(lst) <= 1:
                break
            keep = max(1, len(lst) // 2)
            dropped[path] = dropped.get(path, 0) + len(lst) - keep
            del lst[keep:]
        result["truncated"] = {
            "original_bytes": size,
            "max_bytes": self.max_bytes,
            "items_left_out": dropped,
            "how_to_get_more": "narrow the arguments (a filter, a shorter time_range, a smaller limit/lines)",
        }
        notes["truncated"] = dropped
        return result


def _largest_list(obj: Any, path: str = "") -> tuple[str, list | None]:
    best: tuple[str, list | None, int] = ("", None, 0)
    stack = [(path, obj)]
    while stack:
        p, o = stack.pop()
        if isinstance(o, list):
            size = len(json.dumps(o, default=str))
            if size > best[2] and len(o) > 1:
                best = (p, o, size)
            stack.extend((f"{p}[{i}]", v) for i, v in enumerate(o) if isinstance(v, (dict, list)))
        elif isinstance(o, dict):
            stack.extend((f"{p}.{k}" if p else k, v) for k, v in o.items() if isinstance(v, (dict, list)))
    return best[0], best[1]
