"""`sre-mcp-server logs-import --logs-db DIR FILE.jsonl`: load JSON-lines logs into
the embedded ClickHouse store (chdb), table `sre.logs`, where the log tools query them.

One JSON object a line: `timestamp` (ISO 8601, or epoch seconds / milliseconds),
`service`, `level`, `message`, and optionally `trace_id`, `host`, `duration_ms`.
A bad line is reported with its line number and skipped; the good ones are kept.
Exit codes: 0 something was imported (1 with --strict if any line was rejected),
1 nothing was imported (bad lines, or none), 2 usage errors (missing file, bad flags).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

LEVELS = {"DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
LEVEL_ALIASES = {"WARNING": "WARN", "CRITICAL": "FATAL", "ERR": "ERROR", "TRACE": "DEBUG"}
COLUMNS = ("timestamp", "service", "level", "host", "message", "trace_id", "duration_ms", "source")
SHOWN_ERRORS = 20
_UTC = timezone.utc
# DateTime64(3) holds 1900..2299; anything outside is a typo, not a log line.
_MIN_TS, _MAX_TS = datetime(1900, 1, 1, tzinfo=_UTC), datetime(2299, 12, 31, tzinfo=_UTC)


class BadRecord(ValueError):
    pass


def _timestamp(value: Any) -> str:
    if isinstance(value, bool):
        raise BadRecord("timestamp must be ISO 8601 text or epoch seconds/milliseconds")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise BadRecord("timestamp is not a finite number")
        # Epoch milliseconds are common in log shippers; seconds stay below 1e11 until year 5138.
        ts = datetime.fromtimestamp(value / 1000 if abs(value) >= 1e11 else value, _UTC)
    elif isinstance(value, str):
        try:
            ts = datetime.fromisoformat(value)
        except ValueError:
            raise BadRecord(f"timestamp {value[:40]!r} is not ISO 8601 (e.g. 2026-01-31T14:05:09.123Z)") from None
        ts = ts.replace(tzinfo=_UTC) if ts.tzinfo is None else ts.astimezone(_UTC)
    else:
        raise BadRecord("missing timestamp" if value is None else "timestamp must be ISO 8601 text or epoch seconds/milliseconds")
    if not (_MIN_TS <= ts <= _MAX_TS):
        raise BadRecord(f"timestamp {value!r} is outside 1900..2299")
    return ts.replace(tzinfo=None).isoformat(sep=" ", timespec="milliseconds")


def _text(rec: dict[str, Any], key: str, required: bool) -> str:
    value = rec.get(key)
    if value is None or value == "":
        if required:
            raise BadRecord(f"missing {key}")
        return ""
    if not isinstance(value, str):
        raise BadRecord(f"{key} must be a string")
    return value


def parse_line(line: str, source: str) -> dict[str, Any]:
    """One JSON line → a row for the logs table, or BadRecord saying what is wrong."""
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadRecord(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(rec, dict):
        raise BadRecord("expected a JSON object")
    level = _text(rec, "level", True).upper()
    level = LEVEL_ALIASES.get(level, level)
    if level not in LEVELS:
        raise BadRecord(f"level {rec['level']!r} is not one of DEBUG INFO WARN ERROR FATAL")
    duration = rec.get("duration_ms")
    if duration is None:
        duration = 0.0
    elif isinstance(duration, bool) or not isinstance(duration, (int, float)) or not math.isfinite(duration) or duration < 0:
        raise BadRecord("duration_ms must be a non-negative number")
    return {
        "timestamp": _timestamp(rec.get("timestamp")),
        "service": _text(rec, "service", True),
        "level": level,
        "host": _text(rec, "host", False),
        "message": _text(rec, "message", True),
        "trace_id": _text(rec, "trace_id", False),
        "duration_ms": float(duration),
        "source": source,
    }


class _Progress:
    """Bytes read of the file, on stderr; redrawn at most ten times a second."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self._last = max(total, 1), enabled, 0.0
        self.start = time.monotonic()

    def update(self, done: int, rows: int, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self._last < 0.1):
            return
        self._last = now
        frac = min(done / self.total, 1.0)
        bar = "█" * int(frac * 30) + "░" * (30 - int(frac * 30))
        rate = rows / max(now - self.start, 1e-6)
        sys.stderr.write(f"\r{bar} {frac:6.1%}  {rows:,} rows  {rate:,.0f} rows/s ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


STDIN = Path("-")


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    if path == STDIN:  # a pipe: `kubectl logs ... | jq -c ... | sre-mcp-server logs-import --logs-db DIR -`
        yield from enumerate(sys.stdin.buffer, 1)
        return
    with open(path, "rb") as fh:
        yield from enumerate(fh, 1)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sre-mcp-server logs-import",
        description="Load JSON-lines logs into the embedded ClickHouse log store (database sre, table logs).",
    )
    p.add_argument("--logs-db", type=Path, required=True, help="chdb data directory (the server's --logs-db)")
    p.add_argument("file", type=Path, help="JSON-lines file (- reads standard input): timestamp, service, level, message[, trace_id, host, duration_ms]")
    p.add_argument("--database", default=None, help="database inside the store (default: sre, where the log tools look)")
    p.add_argument("--source", help="tag stored with each row (default: import:<file name>)")
    p.add_argument("--replace", action="store_true", help="first delete rows imported earlier under the same source")
    p.add_argument("--batch-size", type=int, default=100_000, help="rows per insert (default 100000)")
    p.add_argument("--strict", action="store_true", help="exit 1 if any line was rejected, even when others were imported")
    p.add_argument("--progress", choices=("auto", "always", "never"), default="auto", help="progress bar on stderr (auto: when a terminal)")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error
        return 0 if exc.code == 0 else 2
    from_stdin = args.file == STDIN
    if not from_stdin and not args.file.is_file():
        print(f"logs-import: {args.file}: no such file", file=sys.stderr)
        return 2
    if args.batch_size < 1:
        print("logs-import: --batch-size must be at least 1", file=sys.stderr)
        return 2
    from sre_mcp.backends import logsql
    from sre_mcp.backends.base import BackendError
    from sre_mcp.backends.clickhouse import ChdbLogs

    try:
        store = ChdbLogs(args.logs_db, database=args.database or logsql.DATABASE)
    except BackendError as exc:
        print(f"logs-import: {exc}", file=sys.stderr)
        return 2
    source = args.source or ("import:stdin" if from_stdin else f"import:{args.file.name}")
    shown_name = "<stdin>" if from_stdin else str(args.file)
    if args.replace:
        store.execute(f"DELETE FROM {logsql.DB}.logs WHERE source = {{source:String}}", {"source": source})

    show = args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty())
    progress = _Progress(0 if from_stdin else args.file.stat().st_size, show and not from_stdin)  # a pipe has no size
    started = time.monotonic()
    imported = rejected = done_bytes = 0
    batch: list[dict[str, Any]] = []
    try:
        for n, raw in _lines(args.file):
            done_bytes += len(raw)
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            try:
                batch.append(parse_line(line, source))
            except BadRecord as exc:
                rejected += 1
                if rejected <= SHOWN_ERRORS:
                    if show:
                        sys.stderr.write("\r")
                    print(f"{shown_name}:{n}: {exc}", file=sys.stderr)
                continue
            if len(batch) >= args.batch_size:
                imported += store.insert_rows("logs", COLUMNS, batch)
                batch = []
                progress.update(done_bytes, imported)
        if batch:
            imported += store.insert_rows("logs", COLUMNS, batch)
        progress.update(done_bytes, imported, force=True)
    except KeyboardInterrupt:
        progress.close()
        print(f"logs-import: interrupted; {imported:,} rows were imported", file=sys.stderr)
        return 1
    except Exception as exc:  # a store failure mid-way: say how far it got
        progress.close()
        print(f"logs-import: insert failed after {imported:,} rows: {str(exc)[:300]}", file=sys.stderr)
        return 1
    progress.close()
    if rejected > SHOWN_ERRORS:
        print(f"... and {rejected - SHOWN_ERRORS:,} more rejected lines", file=sys.stderr)
    elapsed = time.monotonic() - started
    print(
        f"logs-import: imported {imported:,} rows, rejected {rejected:,} lines from {shown_name} "
        f"into {store.database}.logs in {elapsed:.1f}s",
        file=sys.stderr,
    )
    if imported == 0:
        if not rejected:
            print("logs-import: the file has no log lines", file=sys.stderr)
        return 1
    return 1 if (rejected and args.strict) else 0


if __name__ == "__main__":
    raise SystemExit(main())
