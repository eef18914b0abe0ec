"""Events: get_events for the current namespace; Warning highlighted; warnings-only toggle."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.widgets import DataTable

from sre_console.themes import palette
from sre_console.widgets.pane import Pane, PaneMessage, fill_table


class EventsPane(Pane):
    title = "events"
    BINDINGS = [Binding("f", "toggle_warnings", "Warnings only", id="events.warnings")]

    def __init__(self, namespace: str = "default", **kw):
        super().__init__(**kw)
        self.namespace = namespace
        self.events: list[dict] = []
        self.warnings_only = False

    def compose(self):
        yield PaneMessage()
        table = DataTable(id="events-table", cursor_type="row")
        table.add_columns("type", "reason", "object", "count", "last seen", "message")
        yield table

    def set_namespace(self, namespace: str) -> None:
        self.namespace = namespace
        self.load()

    @work(exclusive=True, group="events", exit_on_error=False)
    async def load(self) -> None:
        ns = self.namespace
        result = await self.call("get_events", {"namespace": ns, "limit": 200})
        if result is None or ns != self.namespace:
            return
        self.message.hide()
        self.events = (result.payload() or {}).get("events") or []
        self._render_rows()

    def _render_rows(self) -> None:
        table = self.query_one(DataTable)
        colours = palette(self.app)
        shown = [e for e in self.events if not self.warnings_only or e.get("type") == "Warning"]
        rows = []
        for e in shown:
            warn = e.get("type") == "Warning"
            style = colours["event-warning"] if warn else colours["event-normal"]
            rows.append(([
                Text(str(e.get("type", "")), style=f"bold {style}" if warn else style),
                Text(str(e.get("reason", "")), style=style),
                str(e.get("object", "")),
                str(e.get("count", "")),
                str(e.get("last_seen", "")),
                Text(str(e.get("message", "")), style=style if warn else ""),
            ], None))
        fill_table(table, rows)
        warnings = sum(1 for e in self.events if e.get("type") == "Warning")
        self.set_subtitle(f"{self.namespace} · {len(shown)}/{len(self.events)} · {warnings} warnings" + (" · warnings only" if self.warnings_only else ""))

    def action_toggle_warnings(self) -> None:
        self.warnings_only = not self.warnings_only
        self._render_rows()
