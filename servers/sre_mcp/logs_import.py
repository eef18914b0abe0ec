"""`sre-mcp-server logs-import --logs-db DIR FILE`: load logs into the embedded ClickHouse
store (chdb), table `sre.logs`, where the log tools query them.

ClickHouse does the parsing: each chunk of the file is read with `file(..., LineAsString)`
and its JSON fields are pulled out by one `JSONExtract` into a named tuple, validated and
converted in SQL. Every line gets a reason ('' when good), so the rejected lines are
reported with their line numbers and why, while the good ones go in at engine speed.

Shapes people have, detected from a sample of the file (or named with --map):
- JSON lines with `timestamp`/`@timestamp`/`ts`/`time`, `message`/`msg`/`log`,
  `level`/`severity`/`lvl`/`levelname`, `service`/`service.name`/`app`, `host`/`hostname`,
  `trace_id`/`traceId`, `duration_ms`; Kubernetes JSON log wrappers (`log` + `time`,
  `kubernetes.pod_name`, `kubernetes.labels.app`), including a JSON application line
  inside `log`;
- plain `kubectl logs --timestamps` text (`2026-01-31T14:05:09.123456789Z message`), with
  --service naming the service.
Timestamps: ISO 8601 (any offset, up to nanoseconds) or epoch seconds, milliseconds,
microseconds or nanoseconds. A line with no level gets one from its text (FATAL, ERROR,
WARN, DEBUG words), else INFO.

Nothing is half-imported: rows go to a staging table first; only when the whole file is
in does one atomic step publish them (ATTACH PARTITION; with --replace, a rebuilt table
swapped in by EXCHANGE TABLES), and the published count is checked against the staged one.
Exit codes: 0 something was imported (1 with --strict if any line was rejected),
1 nothing was imported or the store failed (nothing changed), 2 usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LEVEL_ALIASES = {"WARNING": "WARN", "CRITICAL": "FATAL", "CRIT": "FATAL", "ERR": "ERROR", "TRACE": "DEBUG",
                 "INFORMATION": "INFO", "NOTICE": "INFO", "EMERGENCY": "FATAL", "EMERG": "FATAL", "ALERT": "FATAL",
                 "PANIC": "FATAL", "SEVERE": "ERROR", "FINE": "DEBUG", "FINER": "DEBUG", "FINEST": "DEBUG",
                 # pino / bunyan numeric levels
                 "10": "DEBUG", "20": "DEBUG", "30": "INFO", "40": "WARN", "50": "ERROR", "60": "FATAL"}
COLUMNS = ("timestamp", "service", "level", "host", "message", "trace_id", "duration_ms", "source")
SHOWN_ERRORS = 20
# A chunk is parsed by one query, its lines held in memory meanwhile: small chunks when a
# progress bar is drawn after each, big ones (fewer copies, fewer queries) otherwise.
CHUNK_BYTES = 256 * 1024 * 1024
CHUNK_BYTES_PROGRESS = 32 * 1024 * 1024
SAMPLE_LINES = 1000

# Candidate paths per field, in order of preference (a path is a tuple of keys).
CANDIDATES: dict[str, list[tuple[str, ...]]] = {
    "timestamp": [("timestamp",), ("@timestamp",), ("ts",), ("time",), ("Timestamp",), ("date",), ("datetime",)],
    "message": [("message",), ("msg",), ("log",), ("MESSAGE",), ("body",), ("Body",), ("text",)],
    "level": [("level",), ("severity",), ("lvl",), ("levelname",), ("log.level",), ("severity_text",),
              ("SeverityText",), ("loglevel",)],
    "service": [("service",), ("service.name",), ("service_name",), ("app",), ("application",),
                ("kubernetes", "labels", "app"), ("kubernetes", "labels", "app.kubernetes.io/name"),
                ("kubernetes", "container_name"), ("resource", "service.name")],
    "host": [("host",), ("hostname",), ("host.name",), ("pod",), ("kubernetes", "pod_name")],
    "trace_id": [("trace_id",), ("traceId",), ("trace.id",), ("traceID",), ("TraceId",), ("otelTraceID",)],
    "duration_ms": [("duration_ms",), ("elapsed_ms",), ("latency_ms",), ("response_time_ms",)],
}
FIELDS = tuple(CANDIDATES)
_ISO_TS = re.compile(rb"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


class UsageError(Exception):
    pass


@dataclass
class Shape:
    """How a file's lines map to the logs table: its format and a path per field."""

    fmt: str = "json"                      # json | text
    paths: dict[str, tuple[str, ...]] = field(default_factory=dict)
    inner: dict[str, tuple[str, ...]] = field(default_factory=dict)  # JSON inside the message (log wrappers)

    def describe(self) -> str:
        if self.fmt == "text":
            return "text lines: '<timestamp> <message>'"
        parts = [f"{f}←{'.'.join(p)}" for f, p in self.paths.items()]
        if self.inner:
            parts.append("JSON inside the message: " + ", ".join(f"{f}←{'.'.join(p)}" for f, p in self.inner.items()))
        return ", ".join(parts)


def _has(obj: Any, path: tuple[str, ...]) -> bool:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return False
        obj = obj[key]
    return obj not in (None, "")


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _pick_paths(objects: list[dict], mapped: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    paths = {}
    for f in FIELDS:
        if f in mapped:
            paths[f] = mapped[f]
            continue
        best = max(CANDIDATES[f], key=lambda p: (sum(_has(o, p) for o in objects), -CANDIDATES[f].index(p)))
        if any(_has(o, best) for o in objects):
            paths[f] = best
    return paths


def detect(sample: list[bytes], fmt: str, mapped: dict[str, tuple[str, ...]]) -> Shape:
    lines = [s.strip() for s in sample if s.strip()]
    if fmt == "auto":
        first = lines[0] if lines else b"{"
        fmt = "json" if first.startswith(b"{") or not _ISO_TS.match(first) else "text"
    if fmt == "text":
        return Shape(fmt="text")
    objects = []
    for line in lines:
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            objects.append(obj)
    shape = Shape(paths=_pick_paths(objects, mapped))
    msg_path = shape.paths.get("message")
    if msg_path:
        inner = []
        for o in objects:
            text = _get(o, msg_path)
            if isinstance(text, str) and text.lstrip().startswith("{"):
                try:
                    obj = json.loads(text)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    inner.append(obj)
        if objects and len(inner) * 2 >= len(objects):
            shape.inner = _pick_paths(inner, {})
    return shape


# --- the SQL ------------------------------------------------------------------------

def _q(text: str) -> str:
    """A SQL string literal (our own constants and detected key names only)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ident(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _tuple_type(paths: dict[str, tuple[str, ...]]) -> str:
    """One named Tuple type that pulls every field out of a document in one parse."""
    tree: dict[str, Any] = {}
    for path in paths.values():
        node = tree
        for key in path[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                break
        else:
            node.setdefault(path[-1], None)

    def render(node: dict[str, Any]) -> str:
        return "Tuple(" + ", ".join(f"{_ident(k)} " + ("String" if v is None else render(v)) for k, v in node.items()) + ")"

    return render(tree) if tree else "Tuple(`_` String)"


def _access(var: str, path: tuple[str, ...]) -> str:
    return var + "".join(f".{_ident(k)}" for k in path)


def _field_exprs(shape: Shape, defaults: dict[str, str]) -> dict[str, str]:
    """SQL expressions (over `doc`, and `inner` for wrapped JSON) giving each raw field as String."""
    out = {}
    for f in FIELDS:
        outer = _access("j", shape.paths[f]) if f in shape.paths else "''"
        if shape.inner and f in shape.inner:
            inner = _access("ij", shape.inner[f])
            expr = f"if({inner} != '', {inner}, {outer})" if f != "message" else f"if(ij_ok, {inner}, {outer})"
        else:
            expr = outer
        if f in defaults:
            expr = f"if({expr} != '', {expr}, {_q(defaults[f])})"
        out[f] = expr
    return out


_NUMBER = r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
_ISO = r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?(?:[.,]([0-9]{1,9}))?[ ]*(Z|z|[+-][0-9]{2}:?[0-9]{2})?$"
_MIN_S, _MAX_S = -2208988800, 10413791999  # 1900-01-01 .. 2299-12-31 23:59:59 UTC


def select_sql(path: str, shape: Shape, source: str, first_line: int, defaults: dict[str, str]) -> str:
    """Every line of one chunk with its reason ('' when good, 'blank' for empty lines).

    Layered subqueries, so each costly step (the one JSON parse, the timestamp's groups)
    runs once per line; the reason at the top only compares what is already computed.
    Nothing here can throw on a bad line: times are built with arithmetic from validated
    parts, never by a parser that raises.
    """
    if shape.fmt == "text":
        raw = {
            "timestamp": "substring(t, 1, greatest(position(t, ' ') - 1, 0))",
            "message": "if(position(t, ' ') > 0, substring(t, position(t, ' ') + 1), '')",
            # materialize(): a column, not a constant, as the functions above it expect
            "level": "materialize('')", "service": f"materialize({_q(defaults.get('service', ''))})",
            "host": f"materialize({_q(defaults.get('host', ''))})", "trace_id": "materialize('')", "duration_ms": "materialize('')",
        }
        parsed = "SELECT n, t FROM lines"
    else:
        raw = _field_exprs(shape, defaults)
        if shape.inner:
            m_outer = _access("j", shape.paths["message"])
            parsed = (f"SELECT n, t, j, ij_ok, JSONExtract(if(ij_ok, {m_outer}, '{{}}'), {_q(_tuple_type(shape.inner))}) AS ij FROM ("
                      f"SELECT n, t, j, startsWith({m_outer}, '{{') AND isValidJSON({m_outer}) AS ij_ok FROM ("
                      f"SELECT n, t, JSONExtract(t, {_q(_tuple_type(shape.paths))}) AS j FROM lines))")
        else:
            parsed = f"SELECT n, t, JSONExtract(t, {_q(_tuple_type(shape.paths))}) AS j FROM lines"
    detect_level = (
        "multiIf(match(m, '(?i)\\\\b(fatal|panic|critical|crit)\\\\b'), 'FATAL',"
        " match(m, '(?i)\\\\b(error|err|exception|traceback)\\\\b'), 'ERROR',"
        " match(m, '(?i)\\\\b(warn|warning)\\\\b'), 'WARN',"
        " match(m, '(?i)\\\\b(debug|trace)\\\\b'), 'DEBUG', 'INFO')"
    )
    aliases = ", ".join(_q(k) for k in LEVEL_ALIASES)
    targets = ", ".join(_q(v) for v in LEVEL_ALIASES.values())
    doc_check = ("''" if shape.fmt == "text" else
                 "if(NOT startsWith(t, '{'), if(isValidJSON(t), 'expected a JSON object', 'not valid JSON'),"
                 " if(isValidJSON(t), '', 'not valid JSON'))")
    q = "''"  # a quote inside a SQL string literal
    return f"""
WITH lines AS (
  SELECT rowNumberInAllBlocks() + {int(first_line)} AS n, trim(BOTH '\\r\\n\\t ' FROM line) AS t
  FROM file({_q(path)}, LineAsString, 'line String')
)
SELECT n, reason, ts AS timestamp, svc AS service, lvl AS level, hst AS host, m AS message, tid AS trace_id,
       ifNull(dur, 0) AS duration_ms, {_q(source)} AS source
FROM (
 SELECT *,
  multiIf(
    t = '', 'blank',
    doc_bad != '', doc_bad,
    ts_raw = '', 'missing timestamp',
    ts_is_number AND NOT ts_num_ok, concat('timestamp ', substring(ts_raw, 1, 40), ' is outside 1900..2299'),
    NOT ts_is_number AND NOT iso_shape,
      concat('timestamp {q}', substring(ts_raw, 1, 40), '{q} is not ISO 8601 (e.g. 2026-01-31T14:05:09.123Z)'),
    NOT ts_is_number AND NOT (y BETWEEN 1900 AND 2299), concat('timestamp ', substring(ts_raw, 1, 40), ' is outside 1900..2299'),
    NOT ts_is_number AND NOT iso_valid, concat('timestamp {q}', substring(ts_raw, 1, 40), '{q} is not a valid date and time'),
    svc = '', 'missing service (name it with --service NAME or --map service=PATH)',
    lvl NOT IN ('DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'),
      concat('level {q}', substring(lvl_raw, 1, 20), '{q} is not one of DEBUG INFO WARN ERROR FATAL'),
    m = '', 'missing message',
    dur_raw != '' AND (dur IS NULL OR dur < 0 OR isNaN(dur) OR isInfinite(dur)), 'duration_ms must be a non-negative number',
    '') AS reason,
  toDateTime64(if(ts_is_number, if(ts_num_ok, ts_secs, 0), if(iso_valid, iso_secs, 0)), 3, 'UTC') AS ts
 FROM (
  SELECT *,
   (era * 146097 + doe - 719468) * 86400 + toInt64(hh) * 3600 + toInt64(mi) * 60 + toInt64(ss) - off + frac AS iso_secs
  FROM (
   SELECT *,
    yoe * 365 + intDiv(yoe, 4) - intDiv(yoe, 100) + doy AS doe
   FROM (
    SELECT *,
     ts_is_number AND ts_secs BETWEEN {_MIN_S} AND {_MAX_S} AS ts_num_ok,
     length(g) = 8 AS iso_shape,
     toUInt16OrZero(g[1]) AS y, toUInt8OrZero(g[2]) AS mo, toUInt8OrZero(g[3]) AS d,
     toUInt8OrZero(g[4]) AS hh, toUInt8OrZero(g[5]) AS mi, toUInt8OrZero(g[6]) AS ss,
     toFloat64(toUInt32OrZero(rightPad(substring(g[7], 1, 3), 3, '0'))) / 1000 AS frac,
     if(empty(g[8]) OR upper(g[8]) = 'Z', 0,
        if(startsWith(g[8], '-'), -1, 1) * (toInt32OrZero(substring(g[8], 2, 2)) * 3600
                                            + toInt32OrZero(substring(replaceAll(g[8], ':', ''), 4, 2)) * 60)) AS off,
     iso_shape AND mo BETWEEN 1 AND 12 AND d >= 1
       AND d <= [31, if((y % 4 = 0 AND y % 100 != 0) OR y % 400 = 0, 29, 28), 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][greatest(least(mo, 12), 1)]
       AND hh <= 23 AND mi <= 59 AND ss <= 59 AS iso_valid,
     -- days from the civil date (H. Hinnant's algorithm): arithmetic only, never throws
     toInt64(y) - (mo <= 2) AS cy,
     intDiv(cy, 400) AS era,
     cy - intDiv(cy, 400) * 400 AS yoe,
     intDiv(153 * (toInt64(mo) + if(mo > 2, -3, 9)) + 2, 5) + toInt64(d) - 1 AS doy
    FROM (
     SELECT *,
      toFloat64OrNull(dur_raw) AS dur,
      match(ts_raw, {_q(_NUMBER)}) AS ts_is_number,
      ifNull(toFloat64OrNull(ts_raw), 0) AS ts_num,
      multiIf(abs(ts_num) < 1e11, ts_num, abs(ts_num) < 1e14, ts_num / 1e3, abs(ts_num) < 1e17, ts_num / 1e6, ts_num / 1e9) AS ts_secs,
      extractGroups(ts_raw, {_q(_ISO)}) AS g,
      if(lvl_raw = '', {detect_level}, transform(lvl_raw, [{aliases}], [{targets}], lvl_raw)) AS lvl,
      {doc_check} AS doc_bad
     FROM (
      SELECT n, t,
       trim(BOTH '\\r\\n\\t ' FROM toString({raw['timestamp']})) AS ts_raw,
       trim(TRAILING '\\r\\n\\t ' FROM {raw['message']}) AS m,
       trim({raw['service']}) AS svc,
       trim({raw['host']}) AS hst,
       trim({raw['trace_id']}) AS tid,
       upper(trim({raw['level']})) AS lvl_raw,
       trim({raw['duration_ms']}) AS dur_raw
      FROM ({parsed})
     )
    )
   )
  )
 )
)"""


# --- progress ----------------------------------------------------------------------

class _Progress:
    """Bytes done of the file, on stderr; redrawn after each chunk."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = max(total, 1), enabled
        self.start = time.monotonic()

    def update(self, done: int, rows: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        frac = min(done / self.total, 1.0)
        bar = "█" * int(frac * 30) + "░" * (30 - int(frac * 30))
        rate = rows / max(now - self.start, 1e-6)
        sys.stderr.write(f"\r{bar} {frac:6.1%}  {rows:,} rows  {rate:,.0f} rows/s ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


# --- the import --------------------------------------------------------------------

@dataclass
class Outcome:
    imported: int = 0
    rejected: int = 0
    shown: list[tuple[int, str]] = field(default_factory=list)


def _chunks(path: Path, work: Path, chunk_bytes: int):
    """(chunk file, its first line number, lines in it, bytes done): a file cut at newlines."""
    size = path.stat().st_size
    line_no = 1
    done = 0
    with open(path, "rb") as fh:
        index = 0
        while True:
            data = fh.read(chunk_bytes)
            if not data:
                break
            if not data.endswith(b"\n"):
                data += fh.readline()  # finish the last line of the chunk
            done += len(data)
            if size <= chunk_bytes and index == 0 and done >= size:
                chunk = path  # the whole file is one chunk: read it where it is
            else:
                chunk = work / f"chunk-{index}.txt"
                chunk.write_bytes(data)
            lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
            blank = data.count(b"\n\n") + (1 if data.startswith(b"\n") else 0)
            yield chunk, line_no, lines - blank, done
            line_no += lines
            index += 1


def run_import(store: Any, path: Path, shape: Shape, source: str, replace: bool, defaults: dict[str, str],
               progress: _Progress, chunk_bytes: int = CHUNK_BYTES) -> Outcome:
    """Stage the whole file, then publish it in one atomic step. Raises on any store failure
    (the staging table is dropped; the logs table is as it was)."""
    from sre_mcp.backends import logsql

    db = store.database
    stage = f"{db}.import_{os.getpid()}_{secrets.token_hex(4)}"
    out = Outcome()
    work = Path(tempfile.mkdtemp(prefix="logs-import-", dir=store.data_dir.parent if store.data_dir.parent.exists() else None))
    cols = ", ".join(COLUMNS)
    lines_table = stage + "_lines"
    try:
        store.execute(f"CREATE TABLE {stage} AS {logsql.DB}.logs")
        # Every line of a chunk with its verdict, in memory: the good rows and the report of the
        # bad ones are then read from stored columns instead of parsing the chunk twice.
        store.execute(f"CREATE TABLE {lines_table} (n UInt64, reason String, timestamp DateTime64(3, 'UTC'), "
                      "service String, level String, host String, message String, trace_id String, "
                      "duration_ms Float64, source String) ENGINE = Memory")
        for chunk, first_line, _expected, done in _chunks(path, work, chunk_bytes):
            select = select_sql(str(chunk.resolve()), shape, source, first_line, defaults)
            # Nothing in the SQL can throw on a bad line, so every branch may be computed for
            # every row: much faster than short-circuiting the many-branched verdict.
            store.execute(f"INSERT INTO {lines_table} SELECT * FROM ({select}) "
                          "SETTINGS short_circuit_function_evaluation = 'disable'")
            store.execute(f"INSERT INTO {stage} ({cols}) SELECT {cols} FROM {lines_table} WHERE reason = ''")
            rows = store.query(
                f"SELECT countIf(reason = '') AS good, countIf(reason NOT IN ('', 'blank')) AS bad, "
                f"groupArrayIf({SHOWN_ERRORS})((n, reason), reason NOT IN ('', 'blank')) AS first FROM {lines_table}", {})
            out.imported += int(rows[0]["good"])
            out.rejected += int(rows[0]["bad"])
            out.shown.extend((int(n), str(why)) for n, why in rows[0]["first"])
            store.execute(f"TRUNCATE TABLE {lines_table}")
            if chunk != path:
                chunk.unlink()
            progress.update(done, out.imported)
        staged = _count(store, f"SELECT count() AS n FROM {stage}")
        if staged != out.imported:
            raise RuntimeError(f"the staging table holds {staged:,} rows, {out.imported:,} were inserted")
        if out.imported == 0:
            return out
        params = {"source": source}
        kept_before = _count(store, f"SELECT count() AS n FROM {logsql.DB}.logs WHERE source = {{source:String}}", params)
        if replace:
            fresh = f"{db}.import_{os.getpid()}_{secrets.token_hex(4)}_new"
            store.execute(f"CREATE TABLE {fresh} AS {logsql.DB}.logs")
            try:
                store.execute(f"INSERT INTO {fresh} SELECT * FROM {logsql.DB}.logs WHERE source != {{source:String}}", params)
                store.execute(f"ALTER TABLE {fresh} ATTACH PARTITION ID 'all' FROM {stage}")
                store.execute(f"EXCHANGE TABLES {logsql.DB}.logs AND {fresh}")
            finally:
                store.execute(f"DROP TABLE IF EXISTS {fresh}")
            want = out.imported
        else:
            store.execute(f"ALTER TABLE {logsql.DB}.logs ATTACH PARTITION ID 'all' FROM {stage}")
            want = kept_before + out.imported
        kept = _count(store, f"SELECT count() AS n FROM {logsql.DB}.logs WHERE source = {{source:String}}", params)
        if kept != want:
            raise RuntimeError(f"the store kept {kept:,} rows of source {source!r}, expected {want:,}")
        return out
    finally:
        try:
            store.execute(f"DROP TABLE IF EXISTS {stage}")
            store.execute(f"DROP TABLE IF EXISTS {lines_table}")
        except Exception:  # noqa: BLE001 - the import's own error matters more
            pass
        shutil.rmtree(work, ignore_errors=True)


def _count(store: Any, sql: str, params: dict[str, Any] | None = None) -> int:
    return int(store.query(sql, params or {})[0]["n"])


# --- the command -------------------------------------------------------------------

STDIN = Path("-")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sre-mcp-server logs-import",
        description="Load logs (JSON lines, Kubernetes JSON log wrappers, or `kubectl logs --timestamps` text) "
        "into the embedded ClickHouse log store (database sre, table logs).",
    )
    p.add_argument("--logs-db", type=Path, required=True, help="chdb data directory (the server's --logs-db)")
    p.add_argument("file", type=Path, help="the log file (- reads standard input)")
    p.add_argument("--database", default=None, help="database inside the store (default: sre, where the log tools look)")
    p.add_argument("--source", help="tag stored with each row (default: import:<file name>)")
    p.add_argument("--replace", action="store_true", help="replace rows imported earlier under the same source (atomically)")
    p.add_argument("--format", choices=("auto", "json", "text"), default="auto", help="line format (default: detected)")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=PATH",
                   help="where a field is in each JSON line, dot-separated (repeatable), e.g. service=kubernetes.labels.app")
    p.add_argument("--service", help="service for lines that name none (required for text lines)")
    p.add_argument("--host", help="host for lines that name none")
    p.add_argument("--strict", action="store_true", help="exit 1 if any line was rejected, even when others were imported")
    p.add_argument("--progress", choices=("auto", "always", "never"), default="auto", help="progress bar on stderr (auto: when a terminal)")
    return p


def _mapping(values: list[str]) -> dict[str, tuple[str, ...]]:
    out = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or name not in FIELDS or not path:
            raise UsageError(f"--map {value!r}: expected FIELD=PATH with FIELD one of {', '.join(FIELDS)}")
        out[name] = tuple(p.replace("\\.", ".") for p in re.split(r"(?<!\\)\.", path))
    return out


def _sample(path: Path) -> list[bytes]:
    with open(path, "rb") as fh:
        return [line for _, line in zip(range(SAMPLE_LINES), fh)]


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error
        return 0 if exc.code == 0 else 2
    from_stdin = args.file == STDIN
    if not from_stdin and not args.file.is_file():
        print(f"logs-import: {args.file}: no such file", file=sys.stderr)
        return 2
    try:
        mapped = _mapping(args.map)
    except UsageError as exc:
        print(f"logs-import: {exc}", file=sys.stderr)
        return 2
    from sre_mcp.backends import logsql
    from sre_mcp.backends.base import BackendError
    from sre_mcp.backends.clickhouse import ChdbLogs

    try:
        store = ChdbLogs(args.logs_db, database=args.database or logsql.DATABASE)
    except BackendError as exc:
        print(f"logs-import: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - an unusable directory, a full disk
        print(f"logs-import: cannot open the log store at {args.logs_db}: {str(exc)[:300]}", file=sys.stderr)
        return 1
    source = args.source or ("import:stdin" if from_stdin else f"import:{args.file.name}")
    shown_name = "<stdin>" if from_stdin else str(args.file)
    spool = None
    path = args.file
    if from_stdin:  # a pipe: `kubectl logs ... | sre-mcp-server logs-import --logs-db DIR -`
        spool = tempfile.NamedTemporaryFile(prefix="logs-import-stdin-", suffix=".txt", delete=False)
        shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
        spool.close()
        path = Path(spool.name)
    try:
        shape = detect(_sample(path), args.format, mapped)
        defaults = {k: v for k, v in (("service", args.service), ("host", args.host)) if v}
        if shape.fmt == "text" and not args.service:
            print("logs-import: text lines carry no service: name it with --service NAME", file=sys.stderr)
            return 2
        show = args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty())
        print(f"logs-import: {shown_name}: {shape.describe()}", file=sys.stderr)
        progress = _Progress(path.stat().st_size, show)
        started = time.monotonic()
        try:
            out = run_import(store, path, shape, source, args.replace, defaults, progress,
                             CHUNK_BYTES_PROGRESS if show else CHUNK_BYTES)
        except KeyboardInterrupt:
            progress.close()
            print("logs-import: interrupted; nothing was imported (the store is as it was)", file=sys.stderr)
            return 1
        except Exception as exc:  # noqa: BLE001 - a store failure: say so, nothing was published
            progress.close()
            print(f"logs-import: the store failed, nothing was imported (the store is as it was): {str(exc)[:300]}", file=sys.stderr)
            return 1
        progress.close()
        for n, why in sorted(out.shown)[:SHOWN_ERRORS]:
            print(f"{shown_name}:{n}: {why}", file=sys.stderr)
        if out.rejected > SHOWN_ERRORS:
            print(f"... and {out.rejected - SHOWN_ERRORS:,} more rejected lines", file=sys.stderr)
        elapsed = time.monotonic() - started
        print(
            f"logs-import: imported {out.imported:,} rows, rejected {out.rejected:,} lines from {shown_name} "
            f"into {store.database}.logs in {elapsed:.1f}s",
            file=sys.stderr,
        )
        if out.imported == 0:
            if not out.rejected:
                print("logs-import: the file has no log lines", file=sys.stderr)
            return 1
        return 1 if (out.rejected and args.strict) else 0
    finally:
        if spool is not None:
            os.unlink(spool.name)


if __name__ == "__main__":
    raise SystemExit(main())
