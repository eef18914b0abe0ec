"""Cross-cutting concerns of every tool call, as SDK middleware (not in each tool).

Order, outermost first: timing + audit (sees every call, even refused ones), then
the guard: policy checks (role, rate limit), argument validation, the per-call
timeout, and the result filters (runbook augmentation, redaction, size cap).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import re
import time
import typing
from typing import Any, Callable, Protocol

import anyio
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from pydantic import BaseModel

from sre_mcp.errors import Refusal, error_dict  # noqa: F401 - Refusal: policies raise it, the guard catches it
from sre_mcp.security.audit import CURRENT_CALL, AuditLog, new_call_id
from sre_mcp.security.validation import ArgumentError, check_arguments

log = logging.getLogger("sre_mcp")


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


# A liveness probe every few seconds, and catalogue listings (no arguments, no data, nothing
# changed), would bury the lines that matter; they are recorded only when they fail.
QUIET_METHODS = {"ping", "tools/list", "prompts/list", "resources/list", "resources/templates/list", "server/discover"}
_AUDITED_NOTES = ("redactions", "clamped", "augmented", "truncated", "confirmation", "role", "timeout")


def _client_assertion(params: Any) -> dict[str, Any] | None:
    """`_meta["sre/audit_note"]` as the client sent it: bounded, recorded as the client's claim."""
    meta = params.get("_meta") if isinstance(params, dict) else None
    note = meta.get("sre/audit_note") if isinstance(meta, dict) else None
    if not isinstance(note, dict):
        return None
    return {str(k)[:40]: v if v is None or isinstance(v, (bool, int, float)) else str(v)[:200] for k, v in list(note.items())[:10]}


class AuditMiddleware:
    """Times every request and writes its audit line (see security/audit.py for the line's guarantees).

    A tool call's line names the call (`call_id`), who the server knows is calling
    (`identity`: its own OS user, the role, the client's declared name, the HTTP
    auth client when there is one) and, apart from that, what the client asserts
    (`client_assertion`, from `_meta["sre/audit_note"]`), so a client can say who
    approved but cannot pass that off as the server's own record.
    """

    def __init__(self, audit: AuditLog, on_call: Callable[[dict[str, Any]], None] | None = None,
                 known_arguments: Callable[[str], set[str] | None] | None = None, identity: dict[str, Any] | None = None):
        self.audit = audit
        self.on_call = on_call
        self.known_arguments = known_arguments  # tool -> its argument names; None for an unknown tool
        self.identity = dict(identity or {})

    def _identity(self, ctx: Any) -> dict[str, Any]:
        ident = dict(self.identity)
        from sre_mcp.security.identity import current

        caller = current()
        if caller is not None:  # the user behind this request (the process's own user over stdio)
            ident.update(caller.record())
        ident["transport"] = "http" if getattr(ctx, "request", None) is not None else "stdio"
        try:
            info = ctx.session.client_params.client_info
            ident["client"] = f"{info.name} {info.version}"[:120]
        except AttributeError:
            pass
        try:
            from mcp.server.auth.middleware.auth_context import get_access_token

            token = get_access_token()
            if token is not None:
                ident["auth_client_id"] = token.client_id
        except Exception:  # noqa: BLE001 - no auth configured
            pass
        return ident

    def _arguments(self, tool: Any, arguments: Any) -> Any:
        """Values of known arguments (redacted on write); never values or names the server does not know."""
        known = self.known_arguments(tool) if (self.known_arguments and isinstance(tool, str)) else None
        if not isinstance(arguments, dict):
            return None if arguments is None else f"<{type(arguments).__name__}, not recorded>"
        if known is None and self.known_arguments is not None:
            return {"<not recorded>": f"{len(arguments)} argument(s) to a tool this server does not offer"}
        out: dict[str, Any] = {}
        unknown = 0
        for k, v in arguments.items():
            if known is not None and k not in known:
                unknown += 1
                continue
            out[k] = v
        if unknown:
            out["<unknown arguments>"] = unknown
        return out

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if getattr(ctx, "request_id", 1) is None:
            return await call_next(ctx)  # notifications
        if ctx.method != "tools/call":
            return await self._request(ctx, call_next)
        params = ctx.params or {}
        tool = params.get("name")
        start = time.perf_counter()
        record: dict[str, Any] = {
            "phase": "call", "call_id": new_call_id(),
            "tool": tool[:100] if isinstance(tool, str) else tool,
            "arguments": self._arguments(tool, params.get("arguments")),
            "identity": self._identity(ctx),
        }
        assertion = _client_assertion(params)
        if assertion is not None:
            record["client_assertion"] = assertion
        reset = CURRENT_CALL.set({k: record[k] for k in ("call_id", "identity", "client_assertion") if k in record})
        try:
            result = await call_next(ctx)
        except BaseException as exc:
            record.update(outcome="exception", error=type(exc).__name__, latency_ms=round((time.perf_counter() - start) * 1000, 2))
            self._write(record, ctx)
            raise
        finally:
            CURRENT_CALL.reset(reset)
        data = _as_dict(result)
        notes = ((data.get("_meta") or {}).get("sre/notes")) or {}
        record["latency_ms"] = round((time.perf_counter() - start) * 1000, 2)
        if data.get("isError"):
            err = (data.get("structuredContent") or {}).get("error") or {}
            record["outcome"] = notes.get("outcome") or err.get("outcome") or "error"
            record["error"] = notes.get("audit_error") or err.get("message") or "".join(c.get("text", "") for c in data.get("content") or [])[:300]
        else:
            record["outcome"] = "ok"
        record.update({k: v for k, v in notes.items() if k in _AUDITED_NOTES})
        self._write(record, ctx)
        return result

    async def _request(self, ctx: Any, call_next: Any) -> Any:
        """Any other request (initialize, resources/read, prompts/get, a failed listing, ...) gets a line too."""
        params = ctx.params if isinstance(ctx.params, dict) else {}
        record: dict[str, Any] = {"phase": "request", "method": str(ctx.method)[:60], "tool": None, "identity": self._identity(ctx)}
        for key in ("name", "uri"):
            if isinstance(params.get(key), str):
                record[key] = params[key][:200]
        if ctx.method == "initialize" and isinstance(params.get("clientInfo"), dict):
            record["client"] = {k: str(v)[:80] for k, v in list(params["clientInfo"].items())[:4]}
        start = time.perf_counter()
        try:
            result = await call_next(ctx)
        except BaseException as exc:
            record.update(outcome="error", error=type(exc).__name__, latency_ms=round((time.perf_counter() - start) * 1000, 2))
            self._write_request(record)
            raise
        if ctx.method not in QUIET_METHODS:
            record.update(outcome="ok", latency_ms=round((time.perf_counter() - start) * 1000, 2))
            self._write_request(record)
        return result

    def _write_request(self, record: dict[str, Any]) -> None:
        try:
            self.audit.write(record)
        except Exception:  # noqa: BLE001 - reads go on; the failure is seen on stderr
            log.exception("audit write failed")

    def _write(self, record: dict[str, Any], ctx: Any) -> None:
        durable = (record.get("confirmation") or {}).get("state") == "confirmed" or record.get("outcome") == "unknown"
        try:
            self.audit.write(record, durable=durable)
        except Exception:  # the call has happened; a write's own intent/outcome lines were the gate
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
        # Cut huge results before redaction sees them (redaction is linear but not free),
        # with slack so a secret straddling this cut is masked whole and then cut away
        # by the exact cap at the end.
        caps = [f for f in filters if isinstance(f, SizeCap)]
        self.pre_cap = SizeCap(caps[-1].max_bytes + PRE_CAP_SLACK) if caps else None
        self._limiter: anyio.CapacityLimiter | None = None

    async def _off_loop(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Redaction, size cap and serialisation of a result run on worker threads of their own:
        a 30 MB result must not stall the loop (pings, other calls), and a hung backend holding
        the shared worker threads must not hold results of other tools."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(RESULT_THREADS)
        return await anyio.to_thread.run_sync(functools.partial(fn, *args), limiter=self._limiter)

    async def _error(self, tool: str, data: dict[str, Any], arguments: Any, notes: dict[str, Any]) -> dict[str, Any]:
        """Every error the server answers itself is redacted like a result (messages echo arguments)."""
        args = arguments if isinstance(arguments, dict) else {}
        return self._with_notes(await self._off_loop(self._filter_error, tool, args, data, notes), notes)

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
            return await self._error(str(tool)[:100], error_dict(str(tool)[:100], "missing tool name"), None, notes)
        schema = self.schema_for(tool)
        if schema is None:
            # Not offered (unknown, or hidden from this role): a policy may say why,
            # otherwise the SDK answers "unknown tool" itself.
            refused = self._refuse(tool, arguments if isinstance(arguments, dict) else {}, notes)
            if refused is not None:
                return await self._error(tool, refused, arguments, notes)
            return await self._off_loop(self._finish, tool, {}, await call_next(ctx), {}, notes)
        try:
            arguments, clamped = check_arguments(schema, arguments)
        except ArgumentError as exc:
            # The audit line gets the message without the values it may echo.
            notes["audit_error"] = _value_free(str(exc), schema)
            return await self._error(tool, error_dict(tool, str(exc), exc.hint, arguments if isinstance(arguments, dict) else None), arguments, notes)
        if clamped:
            notes["clamped"] = clamped
        refused = self._refuse(tool, arguments, notes)
        if refused is not None:
            return await self._error(tool, refused, arguments, notes)
        params["arguments"] = arguments
        ctx = dataclasses.replace(ctx, params=params)
        try:
            with anyio.fail_after(self.timeout):
                result = await call_next(ctx)
        except TimeoutError:
            notes["timeout"] = self.timeout
            if arguments.get("confirmation_token"):
                # A write may have been sent before the deadline: "retry" could apply it twice.
                notes["outcome"] = "unknown"
                return await self._error(
                    tool,
                    error_dict(tool, f"timed out after {self.timeout:g}s: outcome unknown, the change may have been applied",
                               "re-read the target (e.g. list_deployments) before anything else; do not simply retry", arguments,
                               outcome="unknown"),
                    arguments, notes,
                )
            return await self._error(
                tool,
                error_dict(tool, f"timed out after {self.timeout:g}s",
                           "the backend is slow or unreachable; other tools keep working, retry later or narrow the query", arguments),
                arguments, notes,
            )
        return await self._off_loop(self._finish, tool, arguments, result, clamped, notes)

    def _finish(self, tool: str, arguments: dict[str, Any], result: Any, clamped: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
        """Filters (runbooks, redaction, size cap) and rendering; runs on a worker thread."""
        data = _as_dict(result)
        structured = data.get("structuredContent")
        if data.get("isError") or not isinstance(structured, dict):
            return self._with_notes(self._filter_error(tool, arguments, data, notes), notes)
        if self.pre_cap is not None:
            structured = self.pre_cap(tool, arguments, structured, notes)
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
            if self.pre_cap is not None:  # an error can quote a huge backend answer too (cut inline, marked)
                wrapped = self.pre_cap(tool, arguments, wrapped, notes)
            for f in required:
                wrapped = f(tool, arguments, wrapped, notes)
            if self.pre_cap is not None:
                wrapped = SizeCap(self.pre_cap.max_bytes - PRE_CAP_SLACK)(tool, arguments, wrapped, notes)
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


def _value_free(message: str, schema: dict[str, Any]) -> str:
    """An argument error without the values it may quote (`'password=…' is too long`)."""
    if message.startswith("unknown argument"):
        return "unknown argument(s) refused"
    m = re.match(r"invalid argument '([^']*)'", message)
    if m and m.group(1) in (schema.get("properties") or {}):
        return f"invalid argument {m.group(1)!r}"
    return "invalid arguments"


# The exact cap runs after redaction; an earlier, looser one (cap + slack) runs before it.
PRE_CAP_SLACK = 16_384
RESULT_THREADS = 4
CUT_MARK = " …[cut by the size cap: {left} of {total} characters left out]"


class SizeCap:
    """Results over the byte cap are cut, largest list first, then the longest strings (a
    single 20 MB log line), each with a marker saying what was left out: never a silent cut."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes

    def __call__(self, tool: str, arguments: dict[str, Any], result: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
        size = len(json.dumps(result, default=str))
        if size <= self.max_bytes:
            return result
        result = json.loads(json.dumps(result, default=str))
        prior = result.pop("truncated", None)
        prior = prior if isinstance(prior, dict) else {}
        dropped: dict[str, int] = dict(prior.get("items_left_out") or {})
        cut: dict[str, dict[str, int]] = dict(prior.get("strings_cut") or {})
        now = len(json.dumps(result))
        while now > self.max_bytes:
            path, lst = _largest_list(result)
            if lst is None or len(lst) <= 1:
                break
            keep = max(1, len(lst) // 2)
            dropped[path] = dropped.get(path, 0) + len(lst) - keep
            del lst[keep:]
            now = len(json.dumps(result))
        for _ in range(64):  # each round shrinks the longest string; bounded all the same
            if now <= self.max_bytes:
                break
            path, holder, key, text = _longest_string(result)
            if text is None or len(text) <= 256:
                break
            if path in cut:  # cut before (the looser cap): cut again from the kept part, not the marker
                text = text[: cut[path]["kept_chars"]]
            encoded = len(json.dumps(text))
            # JSON escapes make a character cost more than one byte: cut in proportion.
            keep = max(128, min(len(text) - 1, int((encoded - (now - self.max_bytes) - 200) * len(text) / encoded)))
            total = cut.get(path, {}).get("original_chars", len(text))
            holder[key] = text[:keep] + CUT_MARK.format(left=f"{total - keep:,}", total=f"{total:,}")
            cut[path] = {"original_chars": total, "kept_chars": keep}
            now = len(json.dumps(result))
        result["truncated"] = {
            "original_bytes": prior.get("original_bytes", size),
            "max_bytes": self.max_bytes,
            "items_left_out": dropped,
            "how_to_get_more": "narrow the arguments (a filter, one namespace instead of '*', a shorter time_range, "
                               "a smaller limit/lines)",
        }
        if cut:
            result["truncated"]["strings_cut"] = cut
        notes["truncated"] = {**dropped, **{p: f"{c['original_chars'] - c['kept_chars']} chars" for p, c in cut.items()}}
        return result


def _longest_string(obj: Any) -> tuple[str, Any, Any, str | None]:
    """(path, container, key, text) of the longest string value anywhere in `obj`."""
    best: tuple[str, Any, Any, str | None] = ("", None, None, None)
    stack: list[tuple[str, Any]] = [("", obj)]
    while stack:
        p, o = stack.pop()
        items = o.items() if isinstance(o, dict) else enumerate(o) if isinstance(o, list) else ()
        for k, v in items:
            sub = f"{p}[{k}]" if isinstance(o, list) else (f"{p}.{k}" if p else str(k))
            if isinstance(v, str):
                if best[3] is None or len(v) > len(best[3]):
                    best = (sub, o, k, v)
            elif isinstance(v, (dict, list)):
                stack.append((sub, v))
    return best


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


class _StringKeepingMetadata(FuncMetadata):
    """The SDK's argument metadata, minus one habit: `pre_parse_json` json-decodes a string
    argument whenever the parameter's type is not exactly `str`, so an optional string
    (`str | None`) sent as "null" arrives as None (the filter is dropped), and "true" or
    "[1]" as a bool or list (a validation error). Strings a parameter accepts as strings
    are kept exactly as sent; other parameters are pre-parsed as before."""

    def pre_parse_json(self, data: dict[str, Any]) -> dict[str, Any]:
        out = super().pre_parse_json(data)
        fields = self.arg_model.model_fields
        by_key = {**{n: f for n, f in fields.items()}, **{f.alias: f for f in fields.values() if f.alias}}
        for key, value in data.items():
            field = by_key.get(key)
            if isinstance(value, str) and field is not None and _admits_str(field.annotation):
                out[key] = value
        return out


def _admits_str(annotation: Any) -> bool:
    if annotation is str:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return any(isinstance(a, str) for a in typing.get_args(annotation))
    return origin is not None and any(_admits_str(a) for a in typing.get_args(annotation))


def keep_string_arguments(tools: list[Any]) -> None:
    """Switch every registered tool to `_StringKeepingMetadata` (same fields, same schema)."""
    for t in tools:
        meta = getattr(t, "fn_metadata", None)
        if isinstance(meta, FuncMetadata) and type(meta) is FuncMetadata:
            meta.__class__ = _StringKeepingMetadata
