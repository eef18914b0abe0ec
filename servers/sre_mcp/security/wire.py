"""The stdio wire: every line a client sends gets an answer and an audit line.

The SDK's stdio transport drops a line it cannot parse (malformed JSON, a lone
surrogate escape such as "\\ud800", nesting deeper than its parser allows) after a
debug log: the client waits forever for its answer and the audit never hears of it.
Here stdin is read through `CheckedLines`, which parses each line first; a line the
SDK would drop is answered with a JSON-RPC error (its id when one can be read, else
null, as JSON-RPC 2.0 says) and recorded on the audit log. Good lines pass unchanged.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from io import TextIOWrapper
from typing import Any, AsyncIterator

import anyio
import mcp_types as types
from mcp.shared.message import SessionMessage
from mcp_types import ErrorData, JSONRPCError

from sre_mcp.security.redaction import redact_text

log = logging.getLogger("sre_mcp")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
SNIPPET = 200  # characters of a rejected line kept (redacted) on its audit line


def _reason(exc: Exception) -> str:
    """pydantic's message without the input it echoes ("Invalid JSON: EOF while parsing...")."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors(include_input=False)[0]
            return str(first.get("msg", "invalid message"))[:200]
        except Exception:  # noqa: BLE001 - any shape: fall back to the type
            pass
    return type(exc).__name__


def _id_and_method(line: str) -> tuple[str | int | None, str | None]:
    """The request id and method, when the line is JSON to a more lenient parser."""
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        m = re.match(r'\s*\{\s*"jsonrpc"\s*:\s*"2\.0"\s*,\s*"id"\s*:\s*(\d{1,18}|"[^"\\]{0,100}")', line)
        if not m:
            return None, None
        raw = m.group(1)
        return (int(raw) if raw.isdigit() else raw[1:-1]), None
    if not isinstance(obj, dict):
        return None, None
    rid = obj.get("id")
    method = obj.get("method")
    if isinstance(rid, bool) or not isinstance(rid, (int, str)):
        rid = None
    if isinstance(rid, str):
        rid = rid.encode("utf-8", "replace").decode("utf-8")[:100] if _printable(rid) else None
    return rid, method if isinstance(method, str) and _printable(method) else None


def _printable(s: str) -> bool:
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:  # a lone surrogate cannot go back out on the wire
        return False


class CheckedLines:
    """Async lines of stdin for the SDK's stdio transport, minus the ones it would drop."""

    def __init__(self, source: Any, audit: Any | None):
        self.source = source
        self.audit = audit
        self._write: Any = None
        self._attached = anyio.Event()
        self.rejected = 0

    def attach(self, write_stream: Any) -> None:
        self._write = write_stream
        self._attached.set()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        async for line in self.source:
            if not line.strip():
                continue  # keep-alive newlines: nothing to answer
            try:
                types.jsonrpc_message_adapter.validate_json(line, by_name=False)
            except Exception as exc:  # noqa: BLE001 - whatever the parser says, the client gets an answer
                await self._reject(line, exc)
                continue
            yield line

    async def _reject(self, line: str, exc: Exception) -> None:
        self.rejected += 1
        reason = _reason(exc)
        rid, method = _id_and_method(line)
        code = INVALID_REQUEST if rid is not None or method else PARSE_ERROR
        message = ("Parse error: " if code == PARSE_ERROR else "Invalid request: ") + reason
        record = {
            "phase": "call", "tool": None, "method": method, "outcome": "rejected", "error": message,
            "request": redact_text(line[:SNIPPET].encode("utf-8", "replace").decode("utf-8")) + ("…" if len(line) > SNIPPET else ""),
            "request_chars": len(line),
        }
        if self.audit is not None:
            try:
                self.audit.write(record)
            except Exception:  # noqa: BLE001 - the answer still goes out; the failure is seen on stderr
                log.exception("audit write failed for a rejected request")
        await self._attached.wait()
        error = JSONRPCError(jsonrpc="2.0", id=rid, error=ErrorData(code=code, message=message))
        await self._write.send(SessionMessage(error))


def _stdin() -> tuple[Any, Any]:
    """stdin as the SDK reads it (UTF-8, undecodable bytes replaced), with fd 0 claimed the way
    the SDK claims it (pointed at /dev/null while serving, so no child reads protocol bytes)."""
    restore = None
    buffer: Any = sys.stdin.buffer
    try:
        from mcp.server.stdio import _claim_fd, _open_stdin_diversion

        buffer, restore = _claim_fd(0, sys.stdin, "rb", _open_stdin_diversion)
    except Exception:  # noqa: BLE001 - SDK internals moved: serve the buffer in place
        pass
    return anyio.wrap_file(TextIOWrapper(buffer, encoding="utf-8", errors="replace")), restore


async def serve_stdio(mcp: Any, audit: Any | None, source: Any | None = None) -> None:
    """`mcp.run("stdio")` with every line answered (see the module doc)."""
    from mcp.server.stdio import stdio_server

    restore = None
    if source is None:
        source, restore = _stdin()
    lines = CheckedLines(source, audit)
    try:
        async with stdio_server(stdin=lines) as (read_stream, write_stream):  # type: ignore[arg-type]
            lines.attach(write_stream)
            low = mcp._lowlevel_server
            await low.run(read_stream, write_stream, low.create_initialization_options())
    finally:
        if restore is not None:
            restore()


# --- stderr: the console shows the server's stderr, so it is redacted like a result.
class RedactingFilter(logging.Filter):
    """Masks secrets in a log record's message and traceback before any handler formats it
    (a backend URL with its password inside an exception message, a token in a log line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg = redact_text(record.getMessage())
            record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact_text(record.exc_text)
            if record.stack_info:
                record.stack_info = redact_text(record.stack_info)
        except Exception:  # noqa: BLE001 - a record that cannot be redacted is not printed raw
            record.msg, record.args, record.exc_info, record.exc_text = "[log record withheld: redaction failed]", None, None, None
        return True


def _redacted_excepthook(exc_type: Any, exc: Any, tb: Any) -> None:
    import traceback

    text = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(redact_text(text))
    sys.stderr.flush()


def _redacted_thread_excepthook(args: Any) -> None:
    if args.exc_type is SystemExit:
        return
    import threading
    import traceback

    name = args.thread.name if args.thread is not None else threading.get_ident()
    text = f"Exception in thread {name}:\n" + "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    sys.stderr.write(redact_text(text))
    sys.stderr.flush()


def install_stderr_redaction() -> None:
    """Every handler of the root logger gets `RedactingFilter`; uncaught exceptions (main
    thread and others) are printed redacted. Idempotent."""
    import threading

    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    sys.excepthook = _redacted_excepthook
    threading.excepthook = _redacted_thread_excepthook
