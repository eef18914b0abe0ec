"""Databases a scenario describes (`databases.yaml`): the same tools, answers marked as
coming from the scenario, and no invented SQL results."""

from __future__ import annotations

import shutil

import pytest
import yaml
from mcp import Client

from sre_mcp.config import ServerConfig
from sre_mcp.server import build_server
from tests.conftest import MINI

DESCRIBED = {
    "orders-db": {
        "max_connections": 100,
        "superuser_reserved_connections": 3,
        "connections": {"active": 9, "idle": 12, "idle in transaction": 76},
        "longest_running": [{"pid": 4242, "user": "reporting", "state": "active", "running_s": 1830.5,
                             "query": "SELECT date_trunc('hour', created_at), sum(total) FROM orders GROUP BY 1"}],
        "replication_slots": [{"slot": "analytics_cdc", "type": "logical", "active": False, "retained_wal_bytes": "38Gi"}],
        "database_sizes": {"orders": "61Gi"},
        "disk": {"volume": "data-orders-db-0", "capacity": "100Gi", "used_percent": 97},
        "tables": [
            {"table": "public.orders", "estimated_rows": 48000000, "total_bytes": "41Gi",
             "columns": [{"column": "id", "type": "bigint", "nullable": False}, {"column": "total", "type": "numeric(12,2)", "nullable": False}],
             "indexes": [{"index": "orders_pkey", "definition": "CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)"}]},
            {"table": "public.order_items", "estimated_rows": 151000000, "total_bytes": "19Gi"},
        ],
    }
}


@pytest.fixture
def scenario(tmp_path):
    folder = tmp_path / "with-db"
    shutil.copytree(MINI, folder)
    (folder / "databases.yaml").write_text(yaml.safe_dump(DESCRIBED))
    return folder


async def _call(c, name, args):
    r = await c.call_tool(name, args)
    return r.is_error, r.structured_content or {}, r.content[0].text if r.content else ""


async def test_described_database_through_the_tools(scenario, tmp_path):
    server, _ = build_server(ServerConfig(scenario=str(scenario), audit_log=tmp_path / "a.jsonl", rag=False), start_background=False)
    async with Client(server) as c:
        err, act, text = await _call(c, "get_database_activity", {"database": "orders-db"})
        assert not err, text
        assert act["source"].startswith("scenario with-db")
        assert act["connections"] == {"total": 97, "max_connections": 100, "reserved_for_superuser": 3,
                                      "by_state": [{"state": "idle in transaction", "connections": 76},
                                                   {"state": "idle", "connections": 12}, {"state": "active", "connections": 9}]}
        assert act["replication_slots"][0]["retained_wal_bytes"] == 38 * 1024**3
        assert act["largest_tables"][0] == {"table": "public.orders", "bytes": 41 * 1024**3, "live_rows": 48000000}
        # The findings come from the numbers, whatever the source.
        assert "connections near the limit: 97 of 97 usable (100 max_connections)" in act["findings"]
        assert "76 of 97 connections are idle in transaction (held open by clients)" in act["findings"]
        assert "inactive replication slot analytics_cdc retains 38.0 GiB of WAL" in act["findings"]
        assert "data volume data-orders-db-0 97% full" in act["findings"]

        err, tables, _ = await _call(c, "list_tables", {"database": "orders-db"})
        assert not err and [t["table"] for t in tables["tables"]] == ["orders", "order_items"]
        err, desc, _ = await _call(c, "describe_table", {"database": "orders-db", "table": "orders"})
        assert not err and desc["table"] == "public.orders" and desc["columns"][1]["type"] == "numeric(12,2)"

        # No engine behind a description: refused plainly, never an invented result.
        err, _, text = await _call(c, "query_database", {"database": "orders-db", "sql": "SELECT 1"})
        assert err and "cannot run SQL" in text and "get_database_activity" in text


async def test_no_databases_no_tools(tmp_path):
    server, _ = build_server(ServerConfig(scenario=str(MINI), audit_log=tmp_path / "a.jsonl", rag=False), start_background=False)
    async with Client(server) as c:
        names = {t.name for t in (await c.list_tools()).tools}
    assert not names & {"list_tables", "describe_table", "query_database", "get_database_activity"}
