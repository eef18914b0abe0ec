"""PostgreSQL, read-only: the database tools' real backend (psycopg 3).

Read-only is enforced by the database, not by parsing SQL:
- every connection opens with `default_transaction_read_only=on`, a `statement_timeout`,
  a `lock_timeout` and an `idle_in_transaction_session_timeout` (libpq `options`);
- every statement runs inside a transaction begun `READ ONLY` that is always rolled back;
- a statement is sent with the extended query protocol (prepared), which refuses a
  string holding several statements, so `SELECT 1; COMMIT; DELETE ...` cannot leave the
  read-only transaction;
- rows are fetched up to a cap, so a huge table never reaches memory.
The documented deployment adds a role with no write grants (docs/backends.md): the
server's guarantees do not depend on it, but defence in depth does.

Credentials never come from the command line: a URL holding a password is refused;
the password comes from an environment variable (`password_env`, or libpq's own
`PGPASSWORD` / `~/.pgpass`).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from sre_mcp.backends.base import BackendError, NotFound

MAX_CELL_CHARS = 2_000


@dataclass(frozen=True)
class DatabaseSpec:
    """One named database the tools may read."""

    name: str
    url: str
    password_env: str | None = None
    statement_timeout_ms: int = 5_000

    @classmethod
    def parse(cls, name: str, value: Any) -> "DatabaseSpec":
        if isinstance(value, str):
            value = {"url": value}
        if not isinstance(value, dict) or not isinstance(value.get("url"), str):
            raise ValueError(f"database {name!r}: expected a URL or a mapping with 'url'")
        unknown = set(value) - {"url", "password_env", "statement_timeout_ms"}
        if unknown:
            raise ValueError(f"database {name!r}: unknown settings {', '.join(sorted(unknown))}")
        check_url(value["url"], name)
        return cls(
            name=name,
            url=value["url"],
            password_env=value.get("password_env"),
            statement_timeout_ms=int(value.get("statement_timeout_ms", 5_000)),
        )


def check_url(url: str, name: str = "database") -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"{name}: a PostgreSQL URL starts with postgresql:// (got {parts.scheme or 'no scheme'}://)")
    if parts.password:
        raise ValueError(
            f"{name}: the URL holds a password; put it in an environment variable instead "
            "(PGPASSWORD, or password_env in the config file), never on the command line"
        )


def database_name(url: str) -> str:
    """The name a bare `--postgres-url` is known by: the database in its path."""
    path = urlsplit(url).path.strip("/")
    return path or "postgres"


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Decimal):
        return float(value) if value == value.to_integral_value() or abs(value) < 1e15 else str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return round(value.total_seconds(), 3)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    text = str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS] + f"… [{len(text) - MAX_CELL_CHARS} more characters]"


class PostgresDatabases:
    kind = "postgres"

    def __init__(self, specs: list[DatabaseSpec], connect_timeout: float = 5.0):
        self.specs = {s.name: s for s in specs}
        self.connect_timeout = max(1, int(connect_timeout))

    def names(self) -> list[str]:
        return sorted(self.specs)

    def source(self, database: str) -> str:
        return "postgres"

    # connections ----------------------------------------------------------
    def _spec(self, database: str) -> DatabaseSpec:
        spec = self.specs.get(database)
        if spec is None:
            raise NotFound(f"unknown database {database!r}", hint="configured databases: " + (", ".join(self.names()) or "none"))
        return spec

    def _connect(self, spec: DatabaseSpec):
        import psycopg

        kwargs: dict[str, Any] = {
            "connect_timeout": self.connect_timeout,
            "application_name": "sre-mcp-server",
            "options": (
                "-c default_transaction_read_only=on"
                f" -c statement_timeout={spec.statement_timeout_ms}"
                " -c lock_timeout=1000"
                " -c idle_in_transaction_session_timeout=30000"
            ),
        }
        if spec.password_env:
            password = os.environ.get(spec.password_env)
            if not password:
                raise BackendError(
                    f"database {spec.name!r}: environment variable {spec.password_env} is not set",
                    hint="set it in the server's environment (a Kubernetes Secret in a cluster)",
                )
            kwargs["password"] = password
        try:
            conn = psycopg.connect(spec.url, autocommit=False, **kwargs)
        except psycopg.OperationalError as exc:
            # libpq's message names host and port, never the password (it is not in the URL).
            raise BackendError(f"database {spec.name!r} is unreachable: {_first_line(exc)}", hint="check the URL, the network and the credentials") from None
        conn.read_only = True
        return conn

    def _run(self, database: str, sql: str, params: tuple | dict | None = None, limit: int | None = None) -> tuple[list[str], list[list[Any]], bool]:
        """One statement in a read-only transaction that is always rolled back."""
        with self._session(database) as run:
            return run(sql, params, limit)

    @contextmanager
    def _session(self, database: str):
        """A connection for a few statements; each runs in its own savepoint, so one refused
        statement (a lock timeout, say) does not spoil the others. Always rolled back."""
        import psycopg

        spec = self._spec(database)
        conn = self._connect(spec)

        def run(sql: str, params: tuple | dict | None = None, limit: int | None = None):
            with conn.cursor() as cur:
                try:
                    with conn.transaction():
                        # prepare=True: the extended protocol, one statement only.
                        cur.execute(sql, params, prepare=True)
                        if cur.description is None:
                            return [], [], False
                        columns = [d.name for d in cur.description]
                        if limit is None:
                            rows, more = cur.fetchall(), False
                        else:
                            rows = cur.fetchmany(limit + 1)
                            more = len(rows) > limit
                            rows = rows[:limit]
                except psycopg.Error as exc:
                    raise QueryError(_pg_message(exc), sqlstate=getattr(exc, "sqlstate", None)) from None
                return columns, [[_jsonable(v) for v in r] for r in rows], more

        try:
            yield run
        finally:
            try:
                conn.rollback()
            finally:
                conn.close()

    def _rows(self, database: str, sql: str, params: tuple | dict | None = None) -> list[dict[str, Any]]:
        columns, rows, _ = self._run(database, sql, params)
        return [dict(zip(columns, r)) for r in rows]

    # the protocol ---------------------------------------------------------
    def list_tables(self, database: str) -> list[dict[str, Any]]:
        return self._rows(
            database,
            """
            SELECT n.nspname AS schema, c.relname AS table,
                   CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
                                  WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END AS kind,
                   GREATEST(c.reltuples, 0)::bigint AS estimated_rows,
                   pg_total_relation_size(c.oid) AS total_bytes
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
            ORDER BY n.nspname, c.relname
            """,
        )

    def describe_table(self, database: str, table: str) -> dict[str, Any]:
        schema, _, name = table.rpartition(".")
        schema = schema or "public"
        columns = self._rows(
            database,
            """
            SELECT a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
                   NOT a.attnotnull AS nullable, pg_get_expr(d.adbin, d.adrelid) AS default
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """,
            (schema, name),
        )
        if not columns:
            tables = [f"{t['schema']}.{t['table']}" for t in self.list_tables(database)]
            raise NotFound(f"no table {schema}.{name} in database {database!r}", hint="tables: " + ", ".join(tables[:40]))
        indexes = self._rows(
            database,
            """
            SELECT i.relname AS index, pg_get_indexdef(x.indexrelid) AS definition,
                   x.indisprimary AS primary, x.indisunique AS unique, pg_relation_size(i.oid) AS bytes
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND c.relname = %s ORDER BY i.relname
            """,
            (schema, name),
        )
        stats = self._rows(
            database,
            """
            SELECT n_live_tup AS live_rows, n_dead_tup AS dead_rows, seq_scan, idx_scan,
                   last_autovacuum, last_autoanalyze, pg_total_relation_size(relid) AS total_bytes
            FROM pg_stat_user_tables WHERE schemaname = %s AND relname = %s
            """,
            (schema, name),
        )
        return {"table": f"{schema}.{name}", "columns": columns, "indexes": indexes, "stats": stats[0] if stats else None}

    def query(self, database: str, sql: str, limit: int) -> dict[str, Any]:
        columns, rows, more = self._run(database, sql, None, limit)
        return {"columns": columns, "rows": rows, "truncated": more}

    def activity(self, database: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        unavailable: dict[str, str] = {}
        with self._session(database) as run:
            for section, sql in _ACTIVITY.items():
                try:
                    columns, rows, _ = run(sql)
                except QueryError as exc:
                    # e.g. a size function waiting on a table locked ACCESS EXCLUSIVE: say so, keep the rest.
                    unavailable[section] = str(exc)
                    continue
                out[section] = [dict(zip(columns, r)) for r in rows]
        conf = {s["name"]: int(s["setting"]) for s in out.pop("settings", [])}
        by_state = out.pop("by_state", [])
        result = {
            "connections": {"total": sum(r["connections"] for r in by_state), "max_connections": conf.get("max_connections"),
                            "reserved_for_superuser": conf.get("superuser_reserved_connections"), "by_state": by_state},
            **{k: out.get(k, []) for k in ("longest_running", "lock_waits", "replication_slots", "database_sizes", "largest_tables")},
        }
        if unavailable:
            result["unavailable"] = unavailable
        return result


_ACTIVITY = {
    "settings": "SELECT name, setting FROM pg_settings WHERE name IN ('max_connections', 'superuser_reserved_connections')",
    "by_state": """
        SELECT COALESCE(state, 'background') AS state, count(*) AS connections
        FROM pg_stat_activity WHERE backend_type = 'client backend'
        GROUP BY 1 ORDER BY 2 DESC""",
    "longest_running": """
        SELECT pid, usename AS user, datname AS database, application_name, host(client_addr) AS client_addr,
               state, wait_event_type, wait_event,
               EXTRACT(EPOCH FROM now() - query_start)::float AS running_s,
               EXTRACT(EPOCH FROM now() - xact_start)::float AS transaction_s,
               left(query, 500) AS query
        FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND state IS NOT NULL AND state <> 'idle' AND pid <> pg_backend_pid()
        ORDER BY query_start NULLS LAST LIMIT 10""",
    "lock_waits": """
        SELECT w.pid AS waiting_pid, left(w.query, 300) AS waiting_query,
               EXTRACT(EPOCH FROM now() - w.query_start)::float AS waiting_s,
               b.pid AS blocking_pid, left(b.query, 300) AS blocking_query, b.state AS blocking_state
        FROM pg_stat_activity w
        JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS bp(pid) ON true
        JOIN pg_stat_activity b ON b.pid = bp.pid
        ORDER BY waiting_s DESC NULLS LAST LIMIT 20""",
    "replication_slots": """
        SELECT slot_name AS slot, slot_type AS type, active, database,
               pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END,
                               restart_lsn)::bigint AS retained_wal_bytes
        FROM pg_replication_slots ORDER BY retained_wal_bytes DESC NULLS LAST""",
    "database_sizes": "SELECT datname AS database, pg_database_size(datname) AS bytes FROM pg_database WHERE datallowconn ORDER BY bytes DESC",
    "largest_tables": """
        SELECT schemaname || '.' || relname AS table, pg_total_relation_size(relid) AS bytes,
               n_live_tup AS live_rows, n_dead_tup AS dead_rows
        FROM pg_stat_user_tables ORDER BY bytes DESC LIMIT 10""",
}


class QueryError(BackendError):
    """The database refused a statement; its own message, and SQLSTATE, for the caller."""

    def __init__(self, message: str, sqlstate: str | None = None):
        hint = None
        if sqlstate == "25006":
            hint = "this tool is read-only: the database refused a write (read-only transaction)"
        elif sqlstate == "57014":
            hint = "the statement ran past the statement timeout: narrow it (WHERE, LIMIT) or use an index"
        elif sqlstate == "42601" and "multiple commands" in message:
            hint = "send one statement per call"
        super().__init__(message, hint=hint)
        self.sqlstate = sqlstate


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _pg_message(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    code = getattr(exc, "sqlstate", None)
    text = primary or _first_line(exc)
    return f"{text} (SQLSTATE {code})" if code else text


_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "ki": 1024, "kb": 1000, "m": 1024**2, "mi": 1024**2, "mb": 1000**2,
               "g": 1024**3, "gi": 1024**3, "gb": 1000**3, "t": 1024**4, "ti": 1024**4, "tb": 1000**4}


def _bytes(value: Any) -> Any:
    """`38Gi`, `512MB`, or a number: a scenario writes sizes the way people say them."""
    if value is None or isinstance(value, (int, float)):
        return value
    import re

    m = re.fullmatch(r"\s*([0-9.]+)\s*([a-zA-Z]*)\s*", str(value))
    if not m or m.group(2).lower() not in _SIZE_UNITS:
        raise ValueError(f"not a size: {value!r} (write 512Mi, 38Gi, 1.5GB or a number of bytes)")
    return int(float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()])


class FixtureDatabases:
    """Databases a scenario describes in `databases.yaml` (see scenarios/README.md).

    A described database has no SQL engine behind it: catalogue and activity answers come
    from the file and say so (`source: scenario`); `query_database` is refused plainly
    rather than invented.
    """

    kind = "fixture"

    def __init__(self, described: dict[str, dict[str, Any]], scenario: str):
        self.scenario = scenario
        self.dbs = described

    @classmethod
    def from_folder(cls, folder: Any, scenario: str) -> "FixtureDatabases":
        from pathlib import Path

        import yaml

        path = Path(folder) / "databases.yaml"
        data = yaml.safe_load(path.read_text()) if path.is_file() else {}
        if not isinstance(data or {}, dict):
            raise ValueError(f"{path}: expected a mapping of database name to its description")
        return cls(data or {}, scenario)

    def names(self) -> list[str]:
        return sorted(self.dbs)

    def source(self, database: str) -> str:
        return f"scenario {self.scenario} (described state, no SQL engine)"

    def _db(self, database: str) -> dict[str, Any]:
        db = self.dbs.get(database)
        if db is None:
            raise NotFound(f"unknown database {database!r}", hint="databases: " + (", ".join(self.names()) or "none in this scenario"))
        return db

    def list_tables(self, database: str) -> list[dict[str, Any]]:
        out = []
        for t in self._db(database).get("tables") or []:
            schema, _, name = str(t["table"]).rpartition(".")
            out.append({"schema": schema or "public", "table": name, "kind": t.get("kind", "table"),
                        "estimated_rows": t.get("estimated_rows"), "total_bytes": _bytes(t.get("total_bytes"))})
        return out

    def describe_table(self, database: str, table: str) -> dict[str, Any]:
        schema, _, name = table.rpartition(".")
        full = f"{schema or 'public'}.{name}"
        for t in self._db(database).get("tables") or []:
            if t["table"] in (full, name) or (not schema and str(t["table"]).endswith("." + name)):
                stats = dict(t.get("stats") or {})
                if t.get("total_bytes") is not None:
                    stats.setdefault("total_bytes", _bytes(t.get("total_bytes")))
                return {"table": t["table"] if "." in t["table"] else f"public.{t['table']}",
                        "columns": t.get("columns") or [], "indexes": t.get("indexes") or [], "stats": stats or None}
        raise NotFound(f"no table {full} in database {database!r}",
                       hint="tables: " + ", ".join(str(t["table"]) for t in self._db(database).get("tables") or []))

    def query(self, database: str, sql: str, limit: int) -> dict[str, Any]:
        self._db(database)
        raise BackendError(
            f"database {database!r} is described by scenario {self.scenario}, not running: the demo cannot run SQL",
            hint="use get_database_activity, list_tables and describe_table, which read the described state",
        )

    def activity(self, database: str) -> dict[str, Any]:
        db = self._db(database)
        by_state = [{"state": k, "connections": int(v)} for k, v in (db.get("connections") or {}).items()]
        by_state.sort(key=lambda r: -r["connections"])
        slots = []
        for s in db.get("replication_slots") or []:
            s = dict(s)
            s["retained_wal_bytes"] = _bytes(s.get("retained_wal_bytes"))
            slots.append(s)
        return {
            "connections": {"total": sum(r["connections"] for r in by_state), "max_connections": db.get("max_connections"),
                            "reserved_for_superuser": db.get("superuser_reserved_connections"), "by_state": by_state},
            "longest_running": list(db.get("longest_running") or []),
            "lock_waits": list(db.get("lock_waits") or []),
            "replication_slots": slots,
            "database_sizes": [{"database": k, "bytes": _bytes(v)} for k, v in (db.get("database_sizes") or {}).items()],
            "largest_tables": sorted(
                ({"table": t["table"], "bytes": _bytes(t.get("total_bytes")), "live_rows": t.get("estimated_rows")}
                 for t in db.get("tables") or []),
                key=lambda t: -(t["bytes"] or 0),
            )[:10],
            **({"disk": db["disk"]} if db.get("disk") else {}),
        }
