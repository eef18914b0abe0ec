"""Application logs in ClickHouse: the schema and every query the tools run.

The same SQL runs on embedded chdb and on a ClickHouse server. User input reaches
it only as server-side parameters (`{name:Type}`); identifiers that vary (the
group-by column) come from a fixed table here, never from the caller.
"""

from __future__ import annotations

from typing import Any

DATABASE = "sre"
# SQL names the database as __DB__; the backend puts in its own (a constant from
# configuration, never caller input), so a demo scenario and imported logs can live
# side by side in one store.
DB = "__DB__"

DDL = [
    f"CREATE DATABASE IF NOT EXISTS {DB}",
    f"""CREATE TABLE IF NOT EXISTS {DB}.logs (
    timestamp   DateTime64(3, 'UTC'),
    service     LowCardinality(String),
    level       LowCardinality(String),
    host        LowCardinality(String),
    message     String,
    trace_id    String,
    duration_ms Float64 DEFAULT 0,
    source      LowCardinality(String) DEFAULT '',
    INDEX idx_trace trace_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_message lower(message) TYPE ngrambf_v1(4, 65536, 2, 0) GRANULARITY 1
) ENGINE = MergeTree
ORDER BY (service, level, timestamp)""",
    f"""CREATE TABLE IF NOT EXISTS {DB}.slow_queries (
    timestamp     DateTime64(3, 'UTC'),
    service       LowCardinality(String),
    database      LowCardinality(String),
    duration_ms   Float64,
    rows_examined UInt64,
    query         String,
    source        LowCardinality(String) DEFAULT ''
) ENGINE = MergeTree
ORDER BY (service, timestamp)""",
]

_WINDOW = "timestamp >= now64(3) - toIntervalSecond({range_s:UInt32})"
# A role's namespace limits, as service names (Runtime.log_scope): comma-separated, '' = no limit.
SCOPE = (
    "({hidden:String} = '' OR NOT has(splitByChar(',', {hidden:String}), service))"
    " AND ({only:String} = '' OR has(splitByChar(',', {only:String}), service))"
)
# Direct users of this SQL (imports, tests) without a role see every service; the tools
# always pass their Runtime.log_scope().
UNSCOPED = {"hidden": "", "only": ""}
_FILTERS = (
    _WINDOW
    + " AND " + SCOPE
    + " AND ({service:String} = '' OR service = {service:String})"
    + " AND ({level:String} = '' OR level = {level:String})"
    + " AND ({keyword:String} = '' OR positionCaseInsensitive(message, {keyword:String}) > 0)"
)

SEARCH_LOGS = f"""
SELECT toString(timestamp) AS time, service, level, host, message, trace_id
FROM {DB}.logs
WHERE {_FILTERS}
ORDER BY timestamp DESC
LIMIT {{limit:UInt32}}"""

COUNT_LOGS = f"SELECT count() AS total FROM {DB}.logs WHERE {_FILTERS}"

# Group keys by name. `message` groups by the message's shape (numbers and ids
# masked) so 500 "timeout after 30012ms" lines are one group, not 500.
GROUP_KEYS = {
    "service": "service",
    "host": "host",
    "message": "replaceRegexpAll(message, '(tx-[a-z0-9]+)|([0-9a-f]{8,})|([0-9]+(\\\\.[0-9]+)?)', '#')",
}


def count_errors_sql(group_by: str) -> str:
    key = GROUP_KEYS[group_by]  # KeyError for anything not in the table: never reaches SQL
    return f"""
SELECT {key} AS key, count() AS errors, countIf(level = 'FATAL') AS fatal,
       toString(min(timestamp)) AS first_seen, toString(max(timestamp)) AS last_seen,
       any(message) AS sample, uniqExact(service) AS services
FROM {DB}.logs
WHERE {_WINDOW} AND {SCOPE} AND level IN ('ERROR', 'FATAL')
GROUP BY key
ORDER BY errors DESC
LIMIT 50"""


TOTAL_ERRORS = f"SELECT count() AS total FROM {DB}.logs WHERE {_WINDOW} AND {SCOPE} AND level IN ('ERROR', 'FATAL')"

SLOW_QUERIES = f"""
SELECT toString(timestamp) AS time, service, database, duration_ms, rows_examined, query
FROM {DB}.slow_queries
WHERE duration_ms >= {{min_duration_ms:Float64}} AND {SCOPE}
  AND ({{service:String}} = '' OR service = {{service:String}})
ORDER BY duration_ms DESC
LIMIT {{limit:UInt32}}"""

TRACE = f"""
SELECT toString(timestamp) AS time, service, level, host, message, duration_ms
FROM {DB}.logs
WHERE trace_id = {{trace_id:String}} AND {SCOPE}
ORDER BY timestamp ASC
LIMIT 500"""

SIMILAR_TRACES = f"""
SELECT DISTINCT trace_id FROM {DB}.logs
WHERE trace_id != '' AND startsWith(trace_id, {{prefix:String}}) AND {SCOPE}
LIMIT 10"""

RECENT_TRACES_WITH_ERRORS = f"""
SELECT trace_id, count() AS errors, groupUniqArray(service) AS services, toString(max(timestamp)) AS last_seen
FROM {DB}.logs
WHERE {_WINDOW} AND trace_id != '' AND level IN ('ERROR', 'FATAL')
  AND ({{service:String}} = '' OR service = {{service:String}})
GROUP BY trace_id ORDER BY errors DESC, last_seen DESC LIMIT {{limit:UInt32}}"""

LOG_COLUMNS = ("timestamp", "service", "level", "host", "message", "trace_id", "duration_ms", "source")
SLOW_COLUMNS = ("timestamp", "service", "database", "duration_ms", "rows_examined", "query", "source")


def iso_from_ch(value: Any) -> str:
    """`2026-11-21 14:23:05.123` (ClickHouse text) → `2026-11-21T14:23:05.123Z`."""
    text = str(value)
    return text.replace(" ", "T") + ("Z" if not text.endswith("Z") else "")
