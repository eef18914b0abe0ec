"""Service health: list_services, then check_service_health for all of them at once; worst first."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import DataTable, Static

from sre_console.server_facts import ALERT_SEVERITY, HEALTHY, Tool, worst_first
from sre_console.themes import palette
from sre_console.widgets.metrics import SPARK_WIDTH, last_hour, spark, top_of
from sre_console.widgets.pane import Pane, PaneMessage, fill_table



async def health_rows(host: Any, services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """check_service_health for every service at once; worst first (status, then error rate).
    A failed check is a row with status "unknown" and the error, not a missing service."""
    # history=true: the raw series for the sparklines and the metrics tab (no extra calls for those).
    results = await asyncio.gather(*(host.call_tool("check_service_health", {"service_name": s["name"], "history": True})
                                     for s in services))
    rows = []
    for svc, res in zip(services, results):
        if res.ok and isinstance(res.payload(), dict):
            rows.append({**res.payload(), "namespace": svc.get("namespace")})
        else:
            rows.append({"service": svc["name"], "namespace": svc.get("namespace"), "status": "unknown", "error": res.error})
    return sorted(rows, key=worst_first)


SEVERITY = ALERT_SEVERITY


class HealthPane(Pane):
    """Worst first; under the table, why the highlighted service has its status."""

    title = "service health"

    class ServiceChosen(Message):
        def __init__(self, service: str, namespace: str | None):
            super().__init__()
            self.service, self.namespace = service, namespace

    class ServiceHighlighted(Message):
        """The cursor is on a service (its whole health row, history included): the metrics tab follows."""

        def __init__(self, row: dict[str, Any]):
            super().__init__()
            self.row = row

    def __init__(self, **kw):
        super().__init__(**kw)
        self.rows: list[dict] = []

    def compose(self):
        yield PaneMessage()
        table = DataTable(id="health-table", cursor_type="row", zebra_stripes=False)
        # Status first: at any width the verdict is whole; the pane is as wide as its rows.
        table.add_columns("status", "service", "err%", "err 1h", "p99", "p99 1h", "rps", "ready", "alerts")
        yield table
        yield Static(id="health-detail", classes="pane-detail")

    def forget(self) -> None:
        self.rows = []
        super().forget()

    @work(exclusive=True, group="health", exit_on_error=False)
    async def load(self, services: list[dict[str, Any]] | None = None) -> None:
        """Check every service; `services` is a list_services answer the caller already has."""
        if services is None:
            listed = await self.call(Tool.LIST_SERVICES)
            if listed is None:
                return
            services = (listed.payload() or {}).get("services") or []
        self.rows = await health_rows(self.app.host, services)
        self.message.hide()
        self._render_rows()
        row = self.highlighted_row()
        if row is not None:  # fresh numbers for the metrics tab too
            self.post_message(self.ServiceHighlighted(row))
        bad = sum(1 for r in self.rows if r.get("status") not in HEALTHY)
        self.set_subtitle(f"{len(self.rows)} services · {bad} need attention")

    def _render_rows(self) -> None:
        table = self.query_one(DataTable)
        colours = palette(self.app)
        key_of = {"critical": "health-critical", "degraded": "health-degraded", "ok": "health-ok", "healthy": "health-ok"}
        selected = table.cursor_row
        rows = []
        for r in self.rows:
            status = str(r.get("status", "unknown"))
            colour = colours.get(key_of.get(status, ""), colours["log-debug"])
            err = r.get("error_rate")
            p99 = r.get("p99_ms")
            dep = r.get("deployment") or {}
            alerts = r.get("alerts") or []
            worst = min((SEVERITY.get(str(a.get("severity")), 3) for a in alerts), default=3)
            rows.append(([
                Text(f"● {status}", style=colour),
                Text(r.get("service", "?"), style=f"bold {colour}" if status != "ok" else ""),
                Text("—" if err is None else f"{err * 100:.1f}", style=colour if (err or 0) >= 0.05 else ""),
                self._spark(r, "error_rate", colours),
                "—" if p99 is None else f"{p99:g}ms",
                self._spark(r, "p99_ms", colours),
                "—" if r.get("rps") is None else f"{r['rps']:g}",
                dep.get("ready", "—"),
                Text(str(len(alerts)) if alerts else "—",
                     style=colours["health-critical" if worst <= 1 else "health-degraded"] if alerts else ""),
            ], r.get("service")))
        fill_table(table, rows)
        if self.rows:
            table.move_cursor(row=min(selected, len(self.rows) - 1))
        self._show_detail()

    @staticmethod
    def _spark(row: dict, metric: str, colours: dict[str, str]) -> Text:
        """The last hour as a sparkline, red when the server found a rise in it."""
        values = last_hour(row.get("history"), metric)
        if not values:
            return Text("")
        change = ((row.get("trends") or {}).get(metric) or {}).get("change") or {}
        style = colours["health-critical"] if change.get("direction") == "rose" else colours["log-debug"]
        return Text(spark(values, SPARK_WIDTH, top_of(metric, values)), style=style)

    def _show_detail(self) -> None:
        """The highlighted service's verdict reasons and firing alerts (the table has no room for them)."""
        detail = self.query_one("#health-detail", Static)
        table = self.query_one(DataTable)
        row = self.rows[table.cursor_row] if self.rows and 0 <= table.cursor_row < len(self.rows) else None
        if row is None:
            detail.update("")
            return
        colours = palette(self.app)
        text = Text()  # wrapped: an alert's summary is the part that says why
        text.append(str(row.get("service", "?")), style="bold")
        # The verdict's reasons, less the alert ones: the alerts get a line each below.
        reasons = [str(r) for r in (row.get("reasons") or ([row["error"]] if row.get("error") else []))
                   if not str(r).startswith("alert ")]
        text.append(": " + ("; ".join(reasons) if reasons else str(row.get("status", "unknown"))))
        alerts = sorted(row.get("alerts") or [], key=lambda a: SEVERITY.get(str(a.get("severity")), 3))
        for a in alerts:
            severity = str(a.get("severity") or "")
            style = colours["health-critical" if SEVERITY.get(severity, 3) <= 1 else "health-degraded"]
            text.append("\n▲ ", style=style)
            text.append(f"{a.get('name', '?')}", style=f"bold {style}")
            if a.get("summary"):
                text.append(f"  {a['summary']}")
        detail.update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()
        row = self.highlighted_row()
        if row is not None:
            self.post_message(self.ServiceHighlighted(row))

    def highlighted_row(self) -> dict[str, Any] | None:
        table = self.query_one(DataTable)
        return self.rows[table.cursor_row] if self.rows and 0 <= table.cursor_row < len(self.rows) else None

    def selected_service(self) -> str | None:
        """The service under the cursor (the guided investigation preselects it)."""
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row].get("service")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        name = event.row_key.value
        row = next((r for r in self.rows if r.get("service") == name), {})
        self.post_message(self.ServiceChosen(name, row.get("namespace")))
