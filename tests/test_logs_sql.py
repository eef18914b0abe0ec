"""The log SQL (logsql.py) on embedded chdb: time-range grammar, injection attempts
staying data, ordering and totals, error groupings, logs-import; and the same SQL
through ClickHouseServerLogs (clickhouse-connect) against a small HTTP server that
speaks ClickHouse's HTTP interface by running each request on chdb.

chdb binds a process to one data directory, so everything here uses the process's
store (runtime._process_logs_dir) with databases of its own.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sre_mcp.backends import logsql
from sre_mcp.backends.clickhouse import ChdbLogs, ClickHouseServerLogs, _db_name
from sre_mcp.logs_import import main as logs_import
from sre_mcp.runtime import _process_logs_dir
from sre_mcp.timeutil import now_utc, parse_time_range

from tests.http_reply import reply

NOW = now_utc()
INJECTIONS = ["' OR 1=1 --", "x' OR '1'='1", "'; DROP TABLE __DB__.logs; --", "\\' OR 1=1 --", "{keyword:String}", "%' --"]


def _row(ago_s: float, service: str, level: str, message: str, host: str = "h1", trace: str = "") -> dict:
    return {"timestamp": NOW - timedelta(seconds=ago_s), "service": service, "level": level, "host": host,
            "message": message, "trace_id": trace, "duration_ms": 1.0, "source": "test"}


ROWS = [
    _row(10, "pay", "ERROR", "timeout after 30012ms calling visa", "pay-1", "tx-1"),
    _row(20, "pay", "ERROR", "timeout after 5ms calling visa", "pay-2", "tx-2"),
    _row(30, "pay", "FATAL", "OutOfMemoryError: Java heap space", "pay-1", "tx-3"),
    _row(40, "auth", "ERROR", "token 9f3a2b1c7d expired", "auth-1"),
    _row(50, "auth", "INFO", "login ok", "auth-1"),
    _row(60, "pay", "INFO", "charged card in 120ms", "pay-1", "tx-1"),
    _row(70, "pay", "WARN", "user typed ' OR 1=1 -- in the search box", "pay-1"),
    _row(2 * 3600, "pay", "ERROR", "timeout after 1ms calling visa", "pay-3"),  # outside 1h
    _row(3 * 86400, "pay", "ERROR", "old failure", "pay-3"),  # outside 24h
]


@pytest.fixture(scope="module")
def store() -> ChdbLogs:
    s = ChdbLogs(_process_logs_dir(), database="test_logsql")
    s.execute(f"TRUNCATE TABLE {logsql.DB}.logs")
    s.insert_rows("logs", logsql.LOG_COLUMNS, ROWS)
    return s


def _params(range_s: int = 3600, service: str = "", level: str = "", keyword: str = "", limit: int = 20) -> dict:
    return {"range_s": range_s, "service": service, "level": level, "keyword": keyword, "limit": limit}


@pytest.mark.parametrize("text,seconds", [("15m", 900), ("1h", 3600), ("7d", 604800), ("30s", 30), ("24h", 86400), ("30d", 2592000)])
def test_time_range_accepts(text, seconds):
    assert parse_time_range(text) == seconds


@pytest.mark.parametrize("text", ["1y", "0h", "1h; DROP TABLE logs", "", " ", "h", "1", "-1h", "1.5h", "01h", "31d", "99999m", "1H", "1h\n1d", None, 5])
def test_time_range_rejects(text):
    with pytest.raises(ValueError):
        parse_time_range(text)


def test_search_newest_first_with_total(store):
    rows = store.query(logsql.SEARCH_LOGS, _params(service="pay", limit=3))
    assert [r["message"][:12] for r in rows] == ["timeout afte", "timeout afte", "OutOfMemoryE"]
    times = [r["time"] for r in rows]
    assert times == sorted(times, reverse=True)
    assert store.query(logsql.COUNT_LOGS, _params(service="pay"))[0]["total"] in (5, "5")
    assert int(store.query(logsql.COUNT_LOGS, _params(range_s=86400, service="pay"))[0]["total"]) == 6
    hits = store.query(logsql.SEARCH_LOGS, _params(level="ERROR", keyword="TIMEOUT"))
    assert {r["host"] for r in hits} == {"pay-1", "pay-2"}  # case-insensitive, 1h window


@pytest.mark.parametrize("evil", INJECTIONS)
def test_injection_attempts_stay_data(store, evil):
    for field in ("service", "keyword", "level"):
        rows = store.query(logsql.SEARCH_LOGS, _params(range_s=86400, **{field: evil}))
        assert rows == [] or (field == "keyword" and all(evil.lower() in r["message"].lower() for r in rows))
    assert store.query(logsql.TRACE, {"trace_id": evil}) == []
    assert store.query(logsql.SIMILAR_TRACES, {"prefix": evil}) == []
    assert int(store.query(logsql.COUNT_LOGS, _params(range_s=7 * 86400))[0]["total"]) == len(ROWS)


def test_keyword_that_looks_like_sql_finds_the_line_that_contains_it(store):
    rows = store.query(logsql.SEARCH_LOGS, _params(keyword="' OR 1=1 --"))
    assert [r["level"] for r in rows] == ["WARN"]


def test_group_by_is_a_fixed_table():
    with pytest.raises(KeyError):
        logsql.count_errors_sql("service; DROP TABLE logs")


def test_count_errors_groupings(store):
    by_service = store.query(logsql.count_errors_sql("service"), {"range_s": 3600})
    assert [(g["key"], int(g["errors"]), int(g["fatal"])) for g in by_service] == [("pay", 3, 1), ("auth", 1, 0)]
    by_host = {g["key"]: int(g["errors"]) for g in store.query(logsql.count_errors_sql("host"), {"range_s": 3600})}
    assert by_host == {"pay-1": 2, "pay-2": 1, "auth-1": 1}
    by_msg = store.query(logsql.count_errors_sql("message"), {"range_s": 3600})
    # Numbers and hex ids masked: the two timeouts are one shape.
    assert by_msg[0]["key"] == "timeout after #ms calling visa" and int(by_msg[0]["errors"]) == 2
    assert "token # expired" in {g["key"] for g in by_msg}
    assert int(store.query(logsql.TOTAL_ERRORS, {"range_s": 86400})[0]["total"]) == 5


def test_logs_import_keeps_good_lines_and_names_bad_ones(tmp_path, capsys):
    f = tmp_path / "logs.jsonl"
    ts = NOW.isoformat().replace("+00:00", "Z")
    lines = [
        {"timestamp": ts, "service": "pay", "level": "error", "message": "boom", "trace_id": "tx-9", "host": "h", "duration_ms": 12.5},
        "not json at all",
        {"timestamp": ts, "service": "pay", "level": "LOUD", "message": "x"},
        {"timestamp": NOW.timestamp(), "service": "pay", "level": "WARNING", "message": "epoch seconds"},
        {"timestamp": int(NOW.timestamp() * 1000), "service": "pay", "level": "INFO", "message": "epoch millis"},
        {"service": "pay", "level": "INFO", "message": "no time"},
        {"timestamp": "yesterday", "service": "pay", "level": "INFO", "message": "x"},
        "",
        {"timestamp": ts, "service": "pay", "level": "INFO", "message": "'); DROP TABLE sre.logs; --"},
        {"timestamp": ts, "level": "INFO", "message": "no service"},
        [1, 2],
        {"timestamp": ts, "service": "pay", "level": "INFO", "message": "neg", "duration_ms": -1},
    ]
    f.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    db = "test_import"
    argv = ["--logs-db", str(_process_logs_dir()), "--database", db, "--progress", "never"]
    assert logs_import([*argv, str(f)]) == 0
    err = capsys.readouterr().err
    for n, why in ((2, "not valid JSON"), (3, "level 'LOUD'"), (6, "missing timestamp"), (7, "not ISO 8601"),
                   (10, "missing service"), (11, "expected a JSON object"), (12, "duration_ms")):
        line = next((x for x in err.splitlines() if f"logs.jsonl:{n}: " in x), "")
        assert why in line, (n, err)
    assert "imported 4 rows, rejected 7 lines" in err
    s = ChdbLogs(_process_logs_dir(), database=db)
    rows = s.query(f"SELECT level, message, toUnixTimestamp64Milli(timestamp) AS ms, trace_id, duration_ms, source FROM {logsql.DB}.logs ORDER BY message", {})
    assert [r["message"] for r in rows] == ["'); DROP TABLE sre.logs; --", "boom", "epoch millis", "epoch seconds"]
    assert {r["level"] for r in rows} == {"INFO", "ERROR", "WARN"} and rows[1]["duration_ms"] == 12.5
    assert all(abs(int(r["ms"]) - NOW.timestamp() * 1000) < 1000 for r in rows)
    assert rows[0]["source"] == "import:logs.jsonl"
    # Strict mode and all-bad files fail; --replace re-imports instead of duplicating.
    assert logs_import([*argv, "--strict", "--replace", str(f)]) == 1
    assert int(s.query(f"SELECT count() AS n FROM {logsql.DB}.logs", {})[0]["n"]) == 4
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n")
    assert logs_import([*argv, str(bad)]) == 1
    assert logs_import([*argv, str(tmp_path / "missing.jsonl")]) == 2
    assert logs_import(["--logs-db"]) == 2
    assert "usage" in capsys.readouterr().err


def test_logs_import_reads_a_pipe(tmp_path):
    """`-` is standard input: a pipe from kubectl/jq straight into the store (its own process,
    since chdb binds a process to one data directory)."""
    import subprocess
    import sys

    ts = NOW.isoformat().replace("+00:00", "Z")
    data = "\n".join([
        json.dumps({"timestamp": ts, "service": "pay", "level": "ERROR", "message": "from a pipe"}),
        "garbage",
        json.dumps({"timestamp": ts, "service": "pay", "level": "INFO", "message": "second"}),
    ]) + "\n"
    out = subprocess.run([sys.executable, "-m", "sre_mcp", "logs-import", "--logs-db", str(tmp_path / "db"), "-"],
                         input=data.encode(), capture_output=True, timeout=120)
    err = out.stderr.decode()
    assert out.returncode == 0, err
    assert "<stdin>:2: " in err and "imported 2 rows, rejected 1 lines from <stdin>" in err


# --- ClickHouseServerLogs: the same SQL over ClickHouse's HTTP interface ----------

class ChdbHTTP:
    """ClickHouse's HTTP interface, answered by chdb: the query text comes in the
    body or `query=`, server-side parameters as `param_<name>=`, the database as
    `database=`. Records every request so tests can see what clickhouse-connect sent."""

    def __init__(self, store: ChdbLogs):
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):  # noqa: N802
                self._answer(b"")

            def do_POST(self):  # noqa: N802
                self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _answer(self, body: bytes):
                url = urlsplit(self.path)
                q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                if url.path == "/ping":
                    return self._send(200, b"Ok.\n")
                sql = (q.get("query", "") + (" " if "query" in q and body else "") + body.decode()).strip()
                params = {k[6:]: v for k, v in q.items() if k.startswith("param_")}
                fake.requests.append({"sql": sql, "params": params, "database": q.get("database"), "session_id": q.get("session_id")})
                fmt = "TabSeparated"
                if " FORMAT " in sql.upper():
                    head, fmt = sql.rsplit(" FORMAT ", 1) if " FORMAT " in sql else sql.rsplit(" format ", 1)
                    sql, fmt = head, fmt.strip()
                try:
                    with store._lock:  # chdb: one query at a time
                        out = store._session.query(sql, fmt, params=params).bytes()
                except Exception as exc:
                    return self._send(500, f"Code: 62. DB::Exception: {exc}".encode())
                self._send(200, out, {"X-ClickHouse-Format": fmt, "X-ClickHouse-Timezone": "UTC"})

            def _send(self, code: int, data: bytes, headers: dict | None = None):
                reply(self, code, data, headers=headers)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://default:@127.0.0.1:{self.httpd.server_address[1]}/{store.database}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _norm(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        try:
            out[k] = float(v)
        except (TypeError, ValueError):
            out[k] = sorted(v) if isinstance(v, list) else str(v)
    return out


def test_clickhouse_server_backend_sends_the_same_sql_with_server_side_params(store):
    fake = ChdbHTTP(store)
    try:
        server = ClickHouseServerLogs(fake.url, database=store.database)
        fake.requests.clear()
        evil = "x' OR '1'='1"
        for sql, params in ((logsql.SEARCH_LOGS, _params(service="pay", keyword="timeout")),
                            (logsql.SEARCH_LOGS, _params(range_s=86400, service=evil)),
                            (logsql.count_errors_sql("message"), {"range_s": 3600}),
                            (logsql.TRACE, {"trace_id": "tx-1"})):
            got = server.query(sql, params)
            want = store.query(sql, params)
            # Types differ by transport (JSON text vs Native); the tools cast numbers anyway.
            assert [_norm(r) for r in got] == [_norm(r) for r in want] and (want or sql != logsql.TRACE)
            sent = next(r for r in reversed(fake.requests) if "__DB__" not in r["sql"] and "logs" in r["sql"])
            # The SQL text is logsql's, with only the database filled in; user input
            # travels as param_* values, never inside the SQL.
            assert sent["sql"].startswith(sql.replace(logsql.DB, store.database).strip()[:40])
            for name, value in params.items():
                # (clickhouse-connect sends values in ClickHouse's escaped text form)
                assert sent["params"][name].replace("\\'", "'") == str(value)
                if isinstance(value, str) and value:
                    assert value not in sent["sql"]
        assert server.query(logsql.SEARCH_LOGS, _params(range_s=86400, service=evil)) == []
        # No ClickHouse session: a session runs one query at a time, and a team server's
        # callers must query side by side.
        assert all(r["session_id"] is None for r in fake.requests)
    finally:
        fake.close()


def test_db_names_from_config_are_sanitised():
    assert _db_name("payments-incident; DROP") == "db_payments_incident__drop"
