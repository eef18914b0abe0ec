"""Log tools: ClickHouse SQL over application logs and slow queries."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field

from sre_mcp.backends import logsql
from sre_mcp.errors import ToolFailure
from sre_mcp.runtime import Runtime
from sre_mcp.timeutil import parse_time_range
from sre_mcp.tools import tool

TimeRange = Annotated[
    str,
    Field(description="How far back: a number and a unit s/m/h/d, e.g. 15m, 1h, 6h, 24h, 7d (max 30d)", pattern=r"^[1-9][0-9]{0,3}[smhd]$", max_length=5),
]
Level = Literal["DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
_TRACE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _range(value: str) -> int:
    try:
        return parse_time_range(value)
    except ValueError as exc:
        raise ToolFailure(str(exc), hint="examples: 15m, 1h, 24h, 7d") from None


def _iso(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The SQL names the text form `time` so it cannot shadow the column in WHERE.
    return [{"timestamp": logsql.iso_from_ch(r.pop("time")), **r} if "time" in r else r for r in rows]


class LogTools:
    def __init__(self, rt: Runtime):
        self.rt = rt

    async def _service(self, service: str | None) -> str:
        """A service the cluster knows, or one with rows in the log store; else a clear error."""
        if not service:
            return ""
        try:
            await self.rt.run(self.rt.service, service)  # a logs-only catalogue reads the store: off the loop
            return service
        except ToolFailure as unknown:
            if not unknown.message.startswith("unknown service"):
                raise  # known, but outside the role's namespaces: never reached through the logs
            in_logs = await self.rt.run(self.rt.log_services)
            if service in in_logs:
                return service
            from difflib import get_close_matches

            cluster = sorted(s.name for s in await self.rt.run(self.rt.services))
            logs_only = sorted(set(in_logs) - set(cluster))
            near = get_close_matches(service, cluster + logs_only, n=3, cutoff=0.6)
            hint = (f"did you mean {', '.join(near)}? " if near else "") + "known services: " + ", ".join(cluster[:60])
            if logs_only:
                hint += "; in the logs only: " + ", ".join(logs_only[:60])
            raise ToolFailure(unknown.message, hint=hint) from None

    @tool("Search logs")
    async def search_logs(
        self,
        service: Annotated[str | None, Field(description="Only this service's logs", max_length=63)] = None,
        level: Annotated[Level | None, Field(description="Only this level")] = None,
        keyword: Annotated[str | None, Field(description="Case-insensitive text the message must contain", max_length=200)] = None,
        time_range: TimeRange = "1h",
        limit: Annotated[int, Field(description="Rows to return, newest first (1-200)", ge=1, le=200)] = 20,
    ) -> dict[str, Any]:
        """Search application logs (ClickHouse) by service, level and keyword within a time range.
        Returns the newest matching rows first (timestamp, service, level, host, message, trace_id) and
        `total_matches`, the number of all matching rows, so you know how much you are not seeing.
        Trace ids found here feed trace_transaction."""
        params = {
            "range_s": _range(time_range),
            "service": await self._service(service),
            "level": level or "",
            "keyword": keyword or "",
            "limit": limit,
            **self.rt.log_scope(),
        }
        rows = _iso(await self.rt.run(self.rt.logs.query, logsql.SEARCH_LOGS, params))
        total = (await self.rt.run(self.rt.logs.query, logsql.COUNT_LOGS, params))[0]["total"]
        return {
            "filters": {"service": service, "level": level, "keyword": keyword, "time_range": time_range},
            "rows": rows,
            "returned": len(rows),
            "total_matches": int(total),
        }

    @tool("Count errors")
    async def count_errors(
        self,
        group_by: Annotated[Literal["service", "host", "message"], Field(description="Group ERROR/FATAL lines by service, host, or message shape")] = "service",
        time_range: TimeRange = "1h",
    ) -> dict[str, Any]:
        """Count ERROR and FATAL log lines in a time range, grouped by service, host, or message
        (numbers and ids masked, so the same error with different values is one group). Each group has
        its count, first and last seen, and a sample message. Use it first to see where errors
        concentrate."""
        params = {"range_s": _range(time_range), **self.rt.log_scope()}
        groups = await self.rt.run(self.rt.logs.query, logsql.count_errors_sql(group_by), params)
        for g in groups:
            g["errors"] = int(g["errors"])
            g["fatal"] = int(g["fatal"])
            g["services"] = int(g["services"])
            g["first_seen"] = logsql.iso_from_ch(g["first_seen"])
            g["last_seen"] = logsql.iso_from_ch(g["last_seen"])
        total = (await self.rt.run(self.rt.logs.query, logsql.TOTAL_ERRORS, params))[0]["total"]
        return {"group_by": group_by, "time_range": time_range, "groups": groups, "total_errors": int(total)}

    @tool("Get slow queries")
    async def get_slow_queries(
        self,
        service: Annotated[str | None, Field(description="Only this service's queries", max_length=63)] = None,
        min_duration_ms: Annotated[int, Field(description="Minimum duration in milliseconds", ge=0, le=3_600_000)] = 1000,
        limit: Annotated[int, Field(description="Queries to return, slowest first (1-100)", ge=1, le=100)] = 10,
    ) -> dict[str, Any]:
        """Slow database queries, slowest first: service, database, duration, rows examined and the
        SQL text. Use it when latency is high or a job may be scanning far too much data."""
        params = {"service": await self._service(service), "min_duration_ms": float(min_duration_ms), "limit": limit, **self.rt.log_scope()}
        rows = _iso(await self.rt.run(self.rt.logs.query, logsql.SLOW_QUERIES, params))
        for r in rows:
            r["duration_ms"] = float(r["duration_ms"])
            r["rows_examined"] = int(r["rows_examined"])
        return {"service": service, "min_duration_ms": min_duration_ms, "queries": rows, "returned": len(rows)}

    @tool("Trace transaction")
    async def trace_transaction(
        self,
        trace_id: Annotated[str, Field(description="Trace id as it appears in logs, e.g. 'tx-abc123'", min_length=1, max_length=128)],
    ) -> dict[str, Any]:
        """Follow one transaction across services: its log events in time order, the services it went
        through (in order), total duration, and where it failed (the first ERROR/FATAL event). Use it
        with a trace id from search_logs to see how a failure in one service spread to others."""
        if not _TRACE_ID.match(trace_id):
            raise ToolFailure(f"{trace_id!r} is not a trace id", hint="trace ids are letters, digits and . _ : -, e.g. tx-abc123")
        events = _iso(await self.rt.run(self.rt.logs.query, logsql.TRACE, {"trace_id": trace_id, **self.rt.log_scope()}))
        if not events:
            similar = await self.rt.run(self.rt.logs.query, logsql.SIMILAR_TRACES, {"prefix": trace_id[:4], **self.rt.log_scope()})
            raise ToolFailure(
                f"no log events for trace {trace_id!r}",
                hint=("similar trace ids: " + ", ".join(r["trace_id"] for r in similar)) if similar else "find trace ids with search_logs",
            )
        services: list[str] = []
        for e in events:
            e["duration_ms"] = float(e.get("duration_ms") or 0)
            if e["service"] not in services:
                services.append(e["service"])
        failure = next((e for e in events if e["level"] in ("ERROR", "FATAL")), None)
        errors = [e for e in events if e["level"] in ("ERROR", "FATAL")]
        from sre_mcp.timeutil import parse_iso

        start, end = parse_iso(events[0]["timestamp"]), parse_iso(events[-1]["timestamp"])
        return {
            "trace_id": trace_id,
            "events": events,
            "services": services,
            "status": "failed" if failure else "ok",
            "failed_at": failure,
            "error_services": list(dict.fromkeys(e["service"] for e in errors)),
            "duration_ms": round((end - start).total_seconds() * 1000, 1) if start and end else None,
        }
