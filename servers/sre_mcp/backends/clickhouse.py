"""ClickHouse logs backends: embedded chdb (default) or a ClickHouse server.

Both take the same SQL from `logsql.py` with server-side parameters.
"""

from __future__ import annotations

import json
import os
import re
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from sre_mcp.backends import logsql
from sre_mcp.backends.base import BackendError


def _ch_time(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.") + f"{ts.microsecond // 1000:03d}"


_SESSION_LOCK = threading.Lock()
_SESSION_LOCK_QUERIES = threading.Lock()
_RELOAD_LOCK = threading.Lock()
_SESSION: tuple[Path, Any] | None = None


def _shared_session(data_dir: Path) -> Any:
    """chdb runs one embedded server per process, bound to one data directory."""
    global _SESSION
    from chdb import session  # lazy: keeps server start-up fast

    with _SESSION_LOCK:
        if _SESSION is None:
            data_dir.mkdir(parents=True, exist_ok=True)
            # chdb's embedded server changes the process's working directory while it
            # starts; put it back, or every relative path used afterwards breaks.
            cwd = os.getcwd()
            try:
                _SESSION = (data_dir, session.Session(str(data_dir)))
            finally:
                os.chdir(cwd)
        elif _SESSION[0] != data_dir:
            raise BackendError(
                f"embedded ClickHouse is already open at {_SESSION[0]}; one process can use one --logs-db directory"
            )
        return _SESSION[1]


def _escape(value: Any) -> Any:
    """chdb parses String parameter values in ClickHouse's escaped (TSV) form."""
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return value


def _params(params: dict[str, Any] | None) -> dict[str, Any]:
    return {k: _escape(v) for k, v in (params or {}).items()}


def _short(exc: Exception) -> str:
    text = str(exc).split(". (", 1)[0]
    return text if len(text) < 300 else text[:300] + "…"


def _db_name(name: str) -> str:
    return "db_" + re.sub(r"[^a-z0-9_]", "_", name.lower())


class ChdbLogs:
    """ClickHouse in-process, data in a directory. chdb is not documented
    thread-safe, so queries are serialised."""

    kind = "chdb"

    def __init__(self, data_dir: Path, database: str = logsql.DATABASE):
        self.data_dir = Path(data_dir).resolve()
        self.database = database if database == logsql.DATABASE else _db_name(database)
        self._lock = _SESSION_LOCK_QUERIES
        self._session = _shared_session(self.data_dir)
        for stmt in logsql.DDL:
            self.execute(stmt)

    def _sql(self, sql: str) -> str:
        return sql.replace(logsql.DB, self.database)

    def query(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._lock:
            try:
                result = self._session.query(self._sql(sql), "JSON", params=_params({**logsql.UNSCOPED, **params}))
            except Exception as exc:  # chdb raises RuntimeError with ClickHouse's message
                raise BackendError(f"ClickHouse (chdb) query failed: {_short(exc)}") from None
        raw = result.bytes()
        if not raw:
            return []
        return json.loads(raw)["data"]

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._session.query(self._sql(sql), "CSV", params=_params(params))

    def insert_rows(self, table: str, columns: Iterable[str], rows: Iterable[dict[str, Any]]) -> int:
        """Bulk insert through JSONEachRow: values travel as data, not SQL text."""
        cols = list(columns)
        lines = []
        for row in rows:
            rec = {c: row.get(c) for c in cols}
            if isinstance(rec.get("timestamp"), datetime):
                rec["timestamp"] = _ch_time(rec["timestamp"])
            lines.append(json.dumps(rec, ensure_ascii=False))
        if not lines:
            return 0
        payload = "\n".join(lines)
        with self._lock:
            # The payload is passed as a parameter and parsed by ClickHouse's format() table function.
            self._session.query(
                f"INSERT INTO {self.database}.{table} ({', '.join(cols)}) "
                f"SELECT {', '.join(cols)} FROM format(JSONEachRow, {{payload:String}})",
                "CSV",
                params=_params({"payload": payload}),
            )
        return len(lines)

    def replace_source(self, source: str, logs: list[dict[str, Any]], slow: list[dict[str, Any]]) -> None:
        """Reload one source's rows (a scenario reloads with fresh relative times each start).

        Delete-then-insert is one step under a process-wide lock: two servers built in one
        process (tests, an embedding host) must not interleave and double the rows."""
        with _RELOAD_LOCK:
            for table in ("logs", "slow_queries"):
                self.execute(
                    f"DELETE FROM {logsql.DB}.{table} WHERE source = {{source:String}}", {"source": source}
                )
            self.insert_rows("logs", logsql.LOG_COLUMNS, ({**r, "source": source} for r in logs))
            self.insert_rows("slow_queries", logsql.SLOW_COLUMNS, ({**r, "source": source} for r in slow))



class ClickHouseServerLogs:
    """A ClickHouse server through clickhouse-connect (HTTP interface)."""

    kind = "clickhouse"

    def __init__(self, url: str, connect_timeout: float = 5.0, query_timeout: float = 10.0, database: str = logsql.DATABASE):
        self.database = database
        import clickhouse_connect  # lazy

        try:
            # No session: a ClickHouse session runs one query at a time, and the queries of
            # many callers (a team server) must run side by side, each on its own pooled
            # connection; the server does the work and the backend's gate bounds the threads.
            self._client = clickhouse_connect.get_client(
                dsn=url, connect_timeout=connect_timeout, send_receive_timeout=query_timeout, autogenerate_session_id=False
            )
        except Exception as exc:
            raise BackendError(f"cannot connect to ClickHouse at {url}: {exc}") from None

    def query(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            result = self._client.query(sql.replace(logsql.DB, self.database), parameters={**logsql.UNSCOPED, **params})
        except Exception as exc:
            raise BackendError(f"ClickHouse query failed: {_short(exc)}") from None
        return [dict(zip(result.column_names, row)) for row in result.result_rows]
