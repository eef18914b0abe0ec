"""Events: get_events for the current namespace; Warning highlighted; warnings-only toggle.

Messages are long: the table shows the start of each, and the line under the table
shows the highlighted event's whole message, wrapped."""

from __future__ import annotations

import asyncio
import json

from rich.text import Text
from textual import work
from textual.widgets import DataTable, Static

from sre_console.actions import bindings
from sre_console.host.host import ServerDown
from sre_console.themes import palette
from sre_console.widgets.pane import Pane, PaneMessage, fill_table
from sre_console.server_facts import Tool


MESSAGE_COLUMN = 80  # the table shows this much of a message; the detail line shows all of it


def _first_line(message: str) -> str:
    line = " ".join(message.split())
    return line if len(line) <= MESSAGE_COLUMN else line[: MESSAGE_COLUMN - 1] + "…"


class EventsPane(Pane):
    title = "events"
    BINDINGS = bindings("events")  # from the action table (sre_console.actions)

    def __init__(self, namespace: str = "default", **kw):
        super().__init__(**kw)
        self.namespace = namespace
        self.events: list[dict] = []
        self.warnings_only = False
        self.live = False  # the change feed of this namespace's events is open on a server that watches
        self._dirty = False
        self._loading = False
        self._listen_task: asyncio.Task | None = None
        self._listening_ns: str | None = None

    def compose(self):
        yield PaneMessage()
        table = DataTable(id="events-table", cursor_type="row")
        table.add_columns("type", "reason", "object", "count", "last seen", "message")
        yield table
        yield Static(id="events-detail", classes="pane-detail")

    def set_namespace(self, namespace: str) -> None:
        self.namespace = namespace
        self.load()

    def on_mount(self) -> None:
        super().on_mount()
        # Events arrive as change events (k8s://events/<ns>): a new Warning shows with no key pressed.
        self.set_interval(0.5, self._reload_if_dirty)

    def on_unmount(self) -> None:
        if self._listen_task is not None:
            self._listen_task.cancel()

    def _listen(self) -> None:
        """Follow this namespace's events feed (a plain task, like the pods pane's: it never finishes)."""
        if self._listen_task is not None:
            self._listen_task.cancel()
        self._listening_ns = self.namespace
        self._listen_task = asyncio.get_running_loop().create_task(self._follow(self.namespace), name="events-listen")

    async def _follow(self, ns: str) -> None:
        host = self.app.host
        uri = f"k8s://events/{ns}"
        watching = False

        def on_update(_uri: str) -> None:
            self._dirty = True

        def on_state(open_: bool) -> None:
            self.live = open_ and watching
            self._subtitle()

        try:
            watching = bool(json.loads(await host.read_resource(uri)).get("watching"))
        except (ServerDown, Exception):  # noqa: BLE001 - no feed (an older server, or not up yet): the auto refresh remains
            watching = False
        try:
            await host.listen_resources([uri], on_update, on_state=on_state)
        except asyncio.CancelledError:
            pass

    def _reload_if_dirty(self) -> None:
        if self._dirty and not self._loading:
            self._dirty = False
            self.load()

    def forget(self) -> None:
        self.events = []
        self._listening_ns = None  # another server (a context switch): listen again on the next load
        super().forget()

    @work(exclusive=True, group="events", exit_on_error=False)
    async def load(self) -> None:
        ns = self.namespace
        if ns != self._listening_ns:
            self.live = False
            self._listen()
        self._loading = True
        try:
            result = await self.call(Tool.GET_EVENTS, {"namespace": ns, "limit": 200})
        finally:
            self._loading = False
        if result is None or ns != self.namespace:
            return
        self.message.hide()
        self.events = (result.payload() or {}).get("events") or []
        self._render_rows()

    def _render_rows(self) -> None:
        table = self.query_one(DataTable)
        colours = palette(self.app)
        shown = self.shown
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
                Text(_first_line(str(e.get("message", ""))), style=style if warn else ""),
            ], None))
        fill_table(table, rows)
        self._show_detail()
        self._subtitle()

    def _subtitle(self) -> None:
        warnings = sum(1 for e in self.events if e.get("type") == "Warning")
        self.set_subtitle(f"{self.namespace} · {len(self.shown)}/{len(self.events)} · {warnings} warnings" + (" · live" if self.live else "")
                          + (" · warnings only" if self.warnings_only else ""))

    @property
    def shown(self) -> list[dict]:
        return [e for e in self.events if not self.warnings_only or e.get("type") == "Warning"]

    def _show_detail(self) -> None:
        table = self.query_one(DataTable)
        shown = self.shown
        row = shown[table.cursor_row] if shown and 0 <= table.cursor_row < len(shown) else None
        detail = self.query_one("#events-detail", Static)
        if row is None:
            detail.update("")
            return
        text = Text()
        text.append(f"{row.get('reason', '')} {row.get('object', '')}: ", style="bold")
        text.append(str(row.get("message", "")))
        detail.update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def copy_text(self) -> tuple[str, str]:
        rows = [[str(e.get(k, "")) for k in ("type", "reason", "object", "count", "last_seen", "message")] for e in self.shown]
        return "\n".join("\t".join(r) for r in rows), f"{len(rows)} events"

    def action_toggle_warnings(self) -> None:
        self.warnings_only = not self.warnings_only
        self._render_rows()
