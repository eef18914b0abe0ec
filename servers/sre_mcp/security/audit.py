"""The audit log: JSON lines, written whole or not at all, and failing closed for writes.

- Every line is one `os.write` of the complete line on an O_APPEND descriptor. A short
  write (file-size limit, full disk) is cut back to the length before it, so a reader
  never meets a torn line; the caller gets `AuditError`.
- A write tool records an "intent" line (fsync'ed) before it changes anything and an
  "outcome" line after; if the intent cannot be recorded, the write is refused.
- Before a record is serialised, every string in it is redacted and confirmation
  tokens become a short hash, so no secret and no live token reaches the disk.
- The file is created, and kept, mode 0600.
"""

from __future__ import annotations

import contextvars
import errno
import json
import logging
import os
import re
import secrets
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger("sre_mcp")

# A line over this is shrunk (arguments summarised) rather than written huge.
MAX_LINE_BYTES = 16 * 1024
MAX_STRING = 2000
# `<expiry>.<nonce>.<mac>` as security/confirm.py issues them.
TOKEN_RE = re.compile(r"\b\d{9,12}\.[A-Za-z0-9_-]{8,16}\.[A-Za-z0-9_-]{40,48}\b")


class AuditError(Exception):
    """The line could not be recorded; a write that depends on it must not happen."""


try:  # the maintained redaction entry points (i16-redact); older trees have only redact()
    from sre_mcp.security.redaction import redact_record as _redact_record
    from sre_mcp.security.redaction import token_hash
except ImportError:  # pragma: no cover - replaced once the redaction module carries them
    import hashlib

    from sre_mcp.security.redaction import redact as _redact

    def token_hash(token: str) -> str:
        return "tok:" + hashlib.sha256(str(token).encode()).hexdigest()[:12]

    def _redact_record(record: dict[str, Any]) -> dict[str, Any]:
        try:
            return _redact(record)[0]
        except Exception:  # noqa: BLE001 - never a raw value on disk
            return {k: {kk: "[REDACTED:unavailable]" for kk in v} if isinstance(v, dict) else
                    "[REDACTED:unavailable]" if isinstance(v, (str, list)) else v for k, v in record.items()}


def _bounded(value: Any, depth: int = 0) -> Any:
    """Tokens hashed, strings and keys capped, nesting cut: a line stays small and token-free."""
    if isinstance(value, str):
        value = TOKEN_RE.sub(lambda m: token_hash(m.group(0)), value)
        return value if len(value) <= MAX_STRING else value[:MAX_STRING] + f"…[{len(value) - MAX_STRING} chars cut]"
    if depth > 8:
        return "[nested too deep]"
    if isinstance(value, dict):
        out = {}
        for i, (k, v) in enumerate(value.items()):
            if i >= 50:
                out["…"] = f"{len(value) - 50} more keys"
                break
            key = _bounded(str(k), depth + 1)[:80]
            out[key] = token_hash(v) if key == "confirmation_token" and isinstance(v, str) and v else _bounded(v, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        items = [_bounded(v, depth + 1) for v in list(value)[:50]]
        if len(value) > 50:
            items.append(f"… {len(value) - 50} more items")
        return items
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _bounded(str(value), depth)


# Fields whose content came from outside (the client, a backend); the rest is the
# server's own bookkeeping (ids, counts, redaction kinds), which redaction must not touch.
UNTRUSTED_FIELDS = ("tool", "arguments", "error", "client_assertion", "target", "change", "name", "uri", "client", "request")


def safe_record(record: dict[str, Any]) -> dict[str, Any]:
    """What may go on disk: tokens hashed (before redaction can hide their shape), then redacted."""
    rec = _bounded(record)
    args = rec.get("arguments")
    # The token's hash links preview and confirmation; a rule for `*_token` names must not mask it.
    token = args.pop("confirmation_token", None) if isinstance(args, dict) else None
    outside = {k: rec[k] for k in UNTRUSTED_FIELDS if k in rec}
    if outside:
        rec.update(_redact_record(outside))
    if token is not None and isinstance(rec.get("arguments"), dict):
        rec["arguments"]["confirmation_token"] = token if isinstance(token, str) and token.startswith("tok:") else "tok:?"
    return rec


def new_call_id() -> str:
    return secrets.token_hex(6)


# The audit facts of the call in progress (call id, identity, the client's note), set by
# the audit middleware so that a write tool's intent line names the same call.
CURRENT_CALL: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("sre_audit_call", default=None)


class AuditLog:
    def __init__(self, path: Path | None):
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._fd: int | None = None
        self.open_error: str | None = None
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
                # An existing file keeps its mode on open: arguments name customers' transactions.
                os.fchmod(self._fd, 0o600)
            except OSError as exc:
                # The server still answers reads; every write tool is refused (AuditError).
                self.open_error = f"{self.path}: {exc.strerror or exc}"
                log.error("audit log unavailable, write tools are refused: %s", self.open_error)

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def write(self, record: dict[str, Any], durable: bool = False) -> None:
        """Append one whole line (fsync'ed when `durable`), or raise AuditError and leave the file as it was."""
        if self.path is None:
            return
        line = self._line(record)
        with self._lock:
            if self._fd is None:
                raise AuditError(f"audit log unavailable: {self.open_error or 'closed'}")
            fd = self._fd
            try:
                before = os.fstat(fd).st_size
            except OSError as exc:
                raise AuditError(f"audit log unusable: {exc.strerror}") from None
            try:
                written = os.write(fd, line)
            except OSError as exc:
                self._cut(fd, before)
                raise AuditError(f"audit line not written: {exc.strerror or exc} ({errno.errorcode.get(exc.errno, exc.errno)})") from None
            if written != len(line):
                self._cut(fd, before)
                raise AuditError(f"audit line not written: short write ({written} of {len(line)} bytes; file-size limit or disk full)")
            if durable:
                try:
                    os.fsync(fd)
                except OSError as exc:
                    raise AuditError(f"audit line not made durable: {exc.strerror or exc}") from None

    @staticmethod
    def _cut(fd: int, size: int) -> None:
        """Take back a partial line, so the file ends on a whole line."""
        try:
            os.ftruncate(fd, size)
        except OSError:
            log.exception("audit log: could not remove a partial line")

    def _line(self, record: dict[str, Any]) -> bytes:
        rec = {"ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), **safe_record(record)}
        # ASCII escapes: U+2028 or NEL in an argument must not split a line for readers.
        text = json.dumps(rec, default=str, ensure_ascii=True)
        if len(text) > MAX_LINE_BYTES:
            for key in ("arguments", "error", "client_assertion", "change"):
                if key in rec:
                    rec[key] = f"[{len(json.dumps(rec[key], default=str))} bytes left out: line cap]"
            text = json.dumps(rec, default=str, ensure_ascii=True)[:MAX_LINE_BYTES]
            if len(text) >= MAX_LINE_BYTES:  # still too big: a minimal line, valid JSON
                text = json.dumps({k: rec.get(k) for k in ("ts", "phase", "call_id", "tool", "outcome")}, default=str)
        return (text + "\n").encode("ascii")

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
