"""Database tools: read-only PostgreSQL (catalogue, one query, activity).

Offered only when databases are configured (`--postgres-url`, `databases:` in the
config file) or the scenario describes some (`databases.yaml`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from sre_mcp.backends.base import BackendError
from sre_mcp.errors import ToolFailure
from sre_mcp.runtime import Runtime
from sre_mcp.tools import tool

DatabaseName = Annotated[str, Field(description="Configured database name, e.g. 'orders-db' (list_tables errors name them)", min_length=1, max_length=63)]

CONNECTION_WARN = 0.8  # share of max_connections at which activity says "near the limit"
RETAINED_WAL_WARN = 10 * 1024**3


class DatabaseTools:
    def __init__(self, rt: Runtime):
        self.rt = rt

    @property
    def _dbs(self):
        dbs = self.rt.databases
        if dbs is None:
            raise ToolFailure("no database is configured", hint="start the server with --postgres-url or a `databases:` config entry")
        return dbs

    def _check(self, database: str):
        dbs = self._dbs
        if database not in dbs.names():
            from difflib import get_close_matches

            near = get_close_matches(database, dbs.names(), n=3, cutoff=0.6)
            hint = (f"did you mean {', '.join(near)}? " if near else "") + "configured databases: " + ", ".join(dbs.names())
            raise ToolFailure(f"unknown database {database!r}", hint=hint)
        return dbs

    @tool("List database tables")
    async def list_tables(self, database: DatabaseName) -> dict[str, Any]:
        """Tables and views of a PostgreSQL database with estimated rows and total size (bytes, incl.
        indexes and TOAST). Use it to find what to describe_table or query_database."""
        dbs = self._check(database)
        tables = await self.rt.run(dbs.list_tables, database)
        return {"database": database, "source": dbs.source(database), "tables": tables, "count": len(tables)}

    @tool("Describe a database table")
    async def describe_table(
        self,
        database: DatabaseName,
        table: Annotated[str, Field(description="Table name, optionally schema-qualified: 'orders' or 'public.orders'", min_length=1, max_length=127)],
    ) -> dict[str, Any]:
        """Columns (type, nullable, default), indexes (definition, size) and table statistics (live/dead
        rows, scans, last vacuum) of one table. Dead rows far above live rows suggest vacuum trouble;
        a table with many seq_scans and no useful index suggests a missing index."""
        dbs = self._check(database)
        described = await self.rt.run(dbs.describe_table, database, table)
        return {"database": database, "source": dbs.source(database), **described}

    @tool("Query a database (read-only)")
    async def query_database(
        self,
        database: DatabaseName,
        sql: Annotated[str, Field(description="One SQL statement (SELECT, WITH ... SELECT, SHOW, EXPLAIN)", min_length=1, max_length=10_000)],
        limit: Annotated[int, Field(description="Rows to return (1-500)", ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        """Run ONE read-only SQL statement on a PostgreSQL database and return columns and rows
        (at most `limit`; `truncated` says when there were more). The database itself enforces
        read-only (a read-only transaction that is always rolled back) and a statement timeout:
        writes fail with SQLSTATE 25006. Prefer get_database_activity for connections, locks and
        replication; use EXPLAIN to see a slow query's plan."""
        dbs = self._check(database)
        try:
            result = await self.rt.run(dbs.query, database, sql, limit)
        except BackendError as exc:
            # The database's own message with the statement echoed, so the caller can correct it.
            raise ToolFailure(str(exc), hint=exc.hint or "check the statement", sql=sql[:2000]) from None
        return {"database": database, "source": dbs.source(database), "row_count": len(result["rows"]), **result,
                **({"note": f"more rows exist: only the first {limit} are shown; narrow the query or raise limit (max 500)"} if result["truncated"] else {})}

    @tool("Get database activity")
    async def get_database_activity(self, database: DatabaseName) -> dict[str, Any]:
        """What a DBA checks first: connections by state against max_connections, the longest-running
        statements, lock waits (who blocks whom), replication slots with the WAL they retain, database
        and largest table sizes. `findings` lists what stands out (near the connection limit, idle in
        transaction, blocked sessions, an inactive slot retaining WAL)."""
        dbs = self._check(database)
        activity = await self.rt.run(dbs.activity, database)
        return {"database": database, "source": dbs.source(database), **activity, "findings": findings(activity)}


def findings(activity: dict[str, Any]) -> list[str]:
    """Plain sentences about what stands out, from the numbers only."""
    out: list[str] = []
    conns = activity.get("connections") or {}
    total, limit = conns.get("total") or 0, conns.get("max_connections")
    if limit:
        usable = limit - (conns.get("reserved_for_superuser") or 0)
        if total >= CONNECTION_WARN * usable:
            out.append(f"connections near the limit: {total} of {usable} usable ({limit} max_connections)")
    states = {r["state"]: r["connections"] for r in conns.get("by_state") or []}
    idle_tx = states.get("idle in transaction", 0) + states.get("idle in transaction (aborted)", 0)
    if idle_tx and total and idle_tx >= 0.25 * total:
        out.append(f"{idle_tx} of {total} connections are idle in transaction (held open by clients)")
    waits = activity.get("lock_waits") or []
    if waits:
        blockers = sorted({str(w.get("blocking_pid")) for w in waits})
        out.append(f"{len(waits)} session(s) waiting on locks held by pid {', '.join(blockers)}")
    for slot in activity.get("replication_slots") or []:
        retained = slot.get("retained_wal_bytes") or 0
        if not slot.get("active") and retained >= RETAINED_WAL_WARN:
            out.append(f"inactive replication slot {slot.get('slot')} retains {retained / 1024**3:.1f} GiB of WAL")
    disk = activity.get("disk") or {}
    if disk.get("used_percent") is not None and float(disk["used_percent"]) >= 90:
        out.append(f"data volume {disk.get('volume', '')} {disk['used_percent']}% full".replace("  ", " "))
    return out
