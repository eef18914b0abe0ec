"""`--logs-db DIR` on its own: the log tools answer from DIR (imported logs), no demo cluster
is made up beside them, and services that only the logs know are searchable. With a demo
cluster too, the imported logs are what the log tools read; the scenario's stay apart."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone

from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

ISO = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _import(db, tmp_path):
    f = tmp_path / "ledger.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [
        {"timestamp": ISO, "service": "ledger-api", "level": "ERROR", "message": "posting failed: ledger locked", "trace_id": "tx-77"},
        {"timestamp": ISO, "service": "ledger-api", "level": "INFO", "message": "posting ok"},
        {"timestamp": ISO, "service": "billing-ui", "level": "ERROR", "message": "upstream ledger-api 503"},
    ]) + "\n")
    r = subprocess.run([sys.executable, "-m", "sre_mcp", "logs-import", "--logs-db", str(db), "--progress", "never", str(f)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def _params(db, tmp_path, *extra):
    return StdioServerParameters(command=sys.executable, env={"HF_HUB_OFFLINE": "1"},
                                 args=["-m", "sre_mcp", "--logs-db", str(db), "--no-rag", "--audit-log", str(tmp_path / "a.jsonl"), *extra])


async def test_logs_db_alone_answers_from_it(tmp_path):
    db = tmp_path / "db"
    _import(db, tmp_path)
    async with Client(stdio_client(_params(db, tmp_path), errlog=open(tmp_path / "err.log", "w")), mode="legacy") as c:
        r = await c.call_tool("search_logs", {"service": "ledger-api", "time_range": "1h"})
        assert not r.is_error, r.content[0].text
        assert {row["message"] for row in r.structured_content["rows"]} == {"posting failed: ledger locked", "posting ok"}
        r = await c.call_tool("count_errors", {"time_range": "1h", "group_by": "service"})
        assert not r.is_error, r.content[0].text
        assert {g["key"]: g["errors"] for g in r.structured_content["groups"]} == {"ledger-api": 1, "billing-ui": 1}
        r = await c.call_tool("list_services", {})
        assert sorted(s["name"] for s in r.structured_content["services"]) == ["billing-ui", "ledger-api"]
        # No demo cluster beside real logs: the cluster tools say there is none.
        r = await c.call_tool("list_pods", {"namespace": "payments"})
        assert r.is_error and ("no cluster" in r.content[0].text or "not allowed" in r.content[0].text)
        r = await c.call_tool("search_logs", {"service": "ledger-apii"})
        assert r.is_error and "did you mean ledger-api" in r.content[0].text


async def test_demo_cluster_with_imported_logs(tmp_path):
    db = tmp_path / "db"
    _import(db, tmp_path)
    async with Client(stdio_client(_params(db, tmp_path, "--scenario", "payments-incident"), errlog=open(tmp_path / "err.log", "w")),
                      mode="legacy") as c:
        # the demo cluster is there...
        r = await c.call_tool("list_pods", {"namespace": "payments"})
        assert not r.is_error and r.structured_content["total"] > 0
        # ...and the log tools read the imported logs, services known only to them included.
        r = await c.call_tool("search_logs", {"service": "ledger-api", "time_range": "1h"})
        assert not r.is_error, r.content[0].text
        assert len(r.structured_content["rows"]) == 2
        r = await c.call_tool("search_logs", {"keyword": "OutOfMemoryError", "time_range": "24h"})
        assert not r.is_error and r.structured_content["rows"] == []  # the scenario's own logs stay apart
