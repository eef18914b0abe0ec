"""The database tools against a real PostgreSQL server (tests/pg_server.py), over MCP.

The data is written by a role that owns the tables and is allowed to write them: the
server connects as that role too, so what stops a write is the database's read-only
transaction, not the role's grants and not a regex.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest
from mcp import Client

from sre_mcp.config import ServerConfig
from sre_mcp.server import build_server
from tests import pg_server
from tests.conftest import MINI

pytestmark = [pytest.mark.skipif(pg_server.bindir() is None, reason="needs Debian's postgresql package"), pytest.mark.timeout(120)]
psycopg = pytest.importorskip("psycopg")

OWNER_PASSWORD = "owner-pw-41x"
ROWS = 1_500


@pytest.fixture(scope="module")
def pg():
    server = pg_server.start()
    with psycopg.connect(server.superuser_dsn(), autocommit=True) as su:
        su.execute("CREATE ROLE shop_owner LOGIN PASSWORD %s" % _literal(OWNER_PASSWORD))
        su.execute("CREATE DATABASE shop OWNER shop_owner")
        su.execute("GRANT pg_monitor TO shop_owner")
    with psycopg.connect(server.superuser_dsn("shop"), autocommit=True) as su:
        su.execute("SET ROLE shop_owner")
        su.execute("""CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL,
                      total numeric(10,2) NOT NULL, created_at timestamptz NOT NULL DEFAULT now())""")
        su.execute("CREATE INDEX orders_customer_idx ON orders (customer)")
        su.execute("INSERT INTO orders (customer, total) SELECT 'c' || (i %% 97), i * 1.5 FROM generate_series(1, %s) i", (ROWS,))
        su.execute("ANALYZE orders")
    yield server
    server.stop()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _url(pg) -> str:
    return f"postgresql://shop_owner@127.0.0.1:{pg.port}/shop"


@pytest.fixture
def db_env(monkeypatch):
    monkeypatch.setenv("SHOP_DB_PASSWORD", OWNER_PASSWORD)


def _server(pg, tmp_path, **db):
    cfg = ServerConfig(scenario=str(MINI), audit_log=tmp_path / "audit.jsonl", rag=False,
                       databases={"shop": {"url": _url(pg), "password_env": "SHOP_DB_PASSWORD", **db}})
    return build_server(cfg, start_background=False)[0]


async def _call(c, name, args):
    r = await c.call_tool(name, args)
    return r.is_error, r.structured_content or {}, r.content[0].text if r.content else ""


def _count(pg) -> int:
    with psycopg.connect(pg.superuser_dsn("shop")) as su:
        return su.execute("SELECT count(*) FROM orders").fetchone()[0]


async def test_catalogue_describe_and_query(pg, db_env, tmp_path):
    async with Client(_server(pg, tmp_path)) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert {"list_tables", "describe_table", "query_database", "get_database_activity"} <= names

        err, tables, text = await _call(c, "list_tables", {"database": "shop"})
        assert not err, text
        orders = next(t for t in tables["tables"] if t["table"] == "orders")
        assert orders["schema"] == "public" and orders["estimated_rows"] == ROWS and orders["total_bytes"] > 0
        assert tables["source"] == "postgres"

        err, desc, text = await _call(c, "describe_table", {"database": "shop", "table": "orders"})
        assert not err, text
        assert [col["column"] for col in desc["columns"]] == ["id", "customer", "total", "created_at"]
        assert next(col for col in desc["columns"] if col["column"] == "total")["type"] == "numeric(10,2)"
        assert {i["index"] for i in desc["indexes"]} == {"orders_pkey", "orders_customer_idx"}
        assert desc["stats"]["live_rows"] > 0 and desc["stats"]["total_bytes"] > 0

        err, res, text = await _call(c, "query_database", {"database": "shop", "sql": "SELECT id, total FROM orders ORDER BY id", "limit": 5})
        assert not err, text
        assert res["columns"] == ["id", "total"] and res["rows"][0] == [1, 1.5] and res["row_count"] == 5
        assert res["truncated"] is True and "first 5" in res["note"]

        err, res, _ = await _call(c, "query_database", {"database": "shop", "sql": "SELECT count(*) AS n FROM orders"})
        assert not err and res["rows"] == [[ROWS]] and res["truncated"] is False

        err, res, text = await _call(c, "describe_table", {"database": "shop", "table": "nope"})
        assert err and "no table public.nope" in text and "public.orders" in text

        err, res, text = await _call(c, "list_tables", {"database": "shpo"})
        assert err and "did you mean shop" in text


WRITES = [
    "DELETE FROM orders",
    "UPDATE orders SET total = 0",
    "INSERT INTO orders (customer, total) VALUES ('x', 1)",
    "WITH gone AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM gone",
    "TRUNCATE orders",
    "DROP TABLE orders",
    "CREATE TABLE evil (id int)",
    "SELECT nextval('orders_id_seq')",
    "SELECT 1; DELETE FROM orders",
    "COMMIT; DELETE FROM orders",
]


@pytest.mark.parametrize("sql", WRITES)
async def test_a_write_fails_in_the_database_and_changes_nothing(pg, db_env, tmp_path, sql):
    before = _count(pg)
    async with Client(_server(pg, tmp_path)) as c:
        err, res, text = await _call(c, "query_database", {"database": "shop", "sql": sql})
        assert err, text
        # The database's own refusal, with the statement echoed back.
        assert "SQLSTATE" in text and sql[:30] in text
        if ";" not in sql:
            assert "25006" in text and "read-only" in text
        # The next call still works: the refused statement left nothing behind.
        err, res, _ = await _call(c, "query_database", {"database": "shop", "sql": "SELECT count(*) FROM orders"})
        assert not err and res["rows"] == [[before]]
    assert _count(pg) == before
    with psycopg.connect(pg.superuser_dsn("shop")) as su:
        assert su.execute("SELECT to_regclass('public.evil')").fetchone()[0] is None


async def test_statement_timeout_is_the_databases(pg, db_env, tmp_path):
    async with Client(_server(pg, tmp_path, statement_timeout_ms=300)) as c:
        t0 = time.monotonic()
        err, res, text = await _call(c, "query_database", {"database": "shop", "sql": "SELECT pg_sleep(5)"})
        assert err and "57014" in text and "statement timeout" in text
        assert time.monotonic() - t0 < 4  # cancelled by the server long before the sleep ends


async def test_activity_shows_lock_waits_slots_and_sizes(pg, db_env, tmp_path):
    with psycopg.connect(pg.superuser_dsn("shop"), autocommit=True) as su:
        su.execute("SELECT pg_create_physical_replication_slot('analytics_cdc', true)")
    holder = psycopg.connect(pg.superuser_dsn("shop"))
    holder.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
    holder_pid = holder.info.backend_pid
    waiter_done = threading.Event()

    def waiter():
        with psycopg.connect(pg.superuser_dsn("shop")) as w:
            w.execute("SELECT count(*) FROM orders")
        waiter_done.set()

    threading.Thread(target=waiter, daemon=True).start()
    try:
        async with Client(_server(pg, tmp_path)) as c:
            for _ in range(50):
                err, act, text = await _call(c, "get_database_activity", {"database": "shop"})
                assert not err, text
                if act["lock_waits"]:
                    break
                time.sleep(0.1)
            assert act["lock_waits"][0]["blocking_pid"] == holder_pid
            assert "SELECT count(*) FROM orders" in act["lock_waits"][0]["waiting_query"]
            assert any(f"locks held by pid {holder_pid}" in f for f in act["findings"])
            slot = next(s for s in act["replication_slots"] if s["slot"] == "analytics_cdc")
            assert slot["active"] is False and slot["retained_wal_bytes"] >= 0
            assert act["connections"]["max_connections"] == 40 and act["connections"]["total"] >= 2
            assert any(d["database"] == "shop" and d["bytes"] > 0 for d in act["database_sizes"])
            # Sizing the locked table waits on its lock: that section says so, the rest is there.
            assert "lock timeout" in act["unavailable"]["largest_tables"]
    finally:
        holder.rollback()
        holder.close()
        waiter_done.wait(10)
        with psycopg.connect(pg.superuser_dsn("shop"), autocommit=True) as su:
            su.execute("SELECT pg_drop_replication_slot('analytics_cdc')")
    async with Client(_server(pg, tmp_path)) as c:
        err, act, text = await _call(c, "get_database_activity", {"database": "shop"})
        assert not err and "unavailable" not in act and not act["lock_waits"]
        assert act["largest_tables"][0]["table"] == "public.orders"


async def test_missing_password_env_is_a_clear_error(pg, monkeypatch, tmp_path):
    monkeypatch.delenv("SHOP_DB_PASSWORD", raising=False)
    async with Client(_server(pg, tmp_path)) as c:
        err, _, text = await _call(c, "list_tables", {"database": "shop"})
        assert err and "SHOP_DB_PASSWORD is not set" in text


def test_a_password_on_the_command_line_is_refused(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "sre_mcp", "--postgres-url", "postgresql://u:secret@127.0.0.1:5432/shop", "--no-rag",
         "--audit-log", str(tmp_path / "a.jsonl")],
        capture_output=True, text=True, timeout=60, input="",
    )
    assert r.returncode != 0
    assert "PGPASSWORD" in (r.stderr + r.stdout) and "Traceback" not in r.stderr


async def test_postgres_url_over_stdio(pg, tmp_path):
    from mcp.client.stdio import StdioServerParameters, stdio_client

    env = {"HF_HUB_OFFLINE": "1", "PGPASSWORD": OWNER_PASSWORD}
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "sre_mcp", "--scenario", str(MINI), "--no-rag", "--audit-log", str(tmp_path / "a.jsonl"),
              "--postgres-url", f"orders={_url(pg)}"],
        env=env,
    )
    errlog = open(tmp_path / "stderr.log", "w")
    async with Client(stdio_client(params, errlog=errlog), mode="legacy") as s:
        res = await s.call_tool("query_database", {"database": "orders", "sql": "SELECT count(*) AS n FROM orders"})
        assert not res.is_error, res.content
        assert res.structured_content["rows"] == [[ROWS]]
    audit = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert any(a.get("tool") == "query_database" for a in audit)
    assert OWNER_PASSWORD not in (tmp_path / "a.jsonl").read_text()
