"""Pods: list_pods for one namespace; `/` filter (regex, `!` inverts), faulty-only toggle."""

from __future__ import annotations

import re

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widgets import DataTable, Input

from sre_console.actions import bindings
from sre_console.themes import palette
from sre_console.widgets.pane import Pane, PaneMessage, fill_table
from sre_console.server_facts import Tool

FAILED = {"CrashLoopBackOff", "Error", "OOMKilled", "ImagePullBackOff", "ErrImagePull", "Evicted", "Failed", "NotReady"}
PENDING = {"Pending", "ContainerCreating", "Terminating", "Init"}


def pod_colour_key(pod: dict) -> str:
    status = str(pod.get("status", ""))
    if status in FAILED or (status == "Running" and not pod.get("healthy", True)):
        return "pod-failed"
    if status in PENDING:
        return "pod-pending"
    if status in ("Completed", "Succeeded"):
        return "pod-completed"
    return "pod-running"


def compile_filter(text: str) -> tuple[re.Pattern[str] | None, bool]:
    """k9s filter: a regex (bad ones taken literally), case-insensitive; a leading `!` inverts."""
    text = text.strip()
    invert = text.startswith("!")
    if invert:
        text = text[1:]
    if not text:
        return None, False
    try:
        return re.compile(text, re.IGNORECASE), invert
    except re.error:
        return re.compile(re.escape(text), re.IGNORECASE), invert


class PodsPane(Pane):
    title = "pods"
    BINDINGS = bindings("pods")  # from the action table (sre_console.actions)

    class PodHighlighted(Message):
        def __init__(self, namespace: str, pod: str):
            super().__init__()
            self.namespace, self.pod = namespace, pod

    def __init__(self, namespace: str = "default", **kw):
        super().__init__(**kw)
        self.namespace = namespace
        self.pods: list[dict] = []
        self.filter_text = ""
        self.faulty_only = False
        self.selected: str | None = None
        self._shown: list[dict] = []

    def compose(self):
        yield PaneMessage()
        yield Input(placeholder="filter: regex, !regex inverts · enter keeps · esc clears", id="pods-filter", classes="filter")
        table = DataTable(id="pods-table", cursor_type="row")
        table.add_columns("name", "ready", "status", "restarts", "age", "node", "ip")
        yield table

    @property
    def table(self) -> DataTable:
        return self.query_one("#pods-table", DataTable)

    def set_namespace(self, namespace: str) -> None:
        if namespace != self.namespace:
            self.namespace = namespace
            self.pods = []
            self.selected = None
            self._render_rows()
        self.load()

    @work(exclusive=True, group="pods", exit_on_error=False)
    async def load(self) -> None:
        ns = self.namespace
        self.set_subtitle(f"{ns} · loading…")
        result = await self.call(Tool.LIST_PODS, {"namespace": ns})
        if result is None or ns != self.namespace:
            self._update_subtitle()
            return
        self.message.hide()
        self.pods = (result.payload() or {}).get("pods") or []
        self._render_rows()

    def _visible(self) -> list[dict]:
        pattern, invert = compile_filter(self.filter_text)
        out = []
        for pod in self.pods:
            if self.faulty_only and pod_colour_key(pod) == "pod-running":
                continue
            if pattern is not None:
                hay = " ".join(str(pod.get(k, "")) for k in ("name", "status", "node", "ip", "app"))
                if bool(pattern.search(hay)) == invert:
                    continue
            out.append(pod)
        return out

    def _render_rows(self) -> None:
        table = self.table
        colours = palette(self.app)
        shown = self._visible()
        self._shown = shown
        rows = []
        for pod in shown:
            colour = colours[pod_colour_key(pod)]
            restarts = pod.get("restarts", 0) or 0
            rows.append(([
                Text(pod.get("name", "?"), style=colour),
                pod.get("ready", ""),
                Text(str(pod.get("status", "")), style=f"bold {colour}" if colour != colours["pod-running"] else colour),
                Text(str(restarts), style=colours["pod-failed"] if restarts else ""),
                str(pod.get("age", "")),
                str(pod.get("node", "")),
                str(pod.get("ip", "")),
            ], pod.get("name")))
        fill_table(table, rows)
        names = [p.get("name") for p in shown]
        if self.selected in names:
            table.move_cursor(row=names.index(self.selected), animate=False)
        self._update_subtitle()

    def _update_subtitle(self) -> None:
        parts = [self.namespace, f"{len(self._shown)}/{len(self.pods)} pods"]
        if self.filter_text:
            parts.append(f"/{self.filter_text}/")
        if self.faulty_only:
            parts.append("faulty only")
        self.set_subtitle(" · ".join(parts))

    # filter -----------------------------------------------------------------
    def open_filter(self) -> None:
        box = self.query_one("#pods-filter", Input)
        box.add_class("-shown")
        box.value = self.filter_text
        box.focus()

    def close_filter(self, clear: bool) -> None:
        box = self.query_one("#pods-filter", Input)
        if clear:
            box.value = ""
            self.filter_text = ""
            self._render_rows()
        box.remove_class("-shown")
        self.table.focus()

    @on(Input.Changed, "#pods-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._render_rows()

    @on(Input.Submitted, "#pods-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.close_filter(clear=False)

    def apply_filter(self, text: str) -> None:
        self.filter_text = text
        self._render_rows()

    def action_toggle_faulty(self) -> None:
        self.faulty_only = not self.faulty_only
        self._render_rows()

    # selection --------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        name = event.row_key.value if event.row_key is not None else None
        if name and name != self.selected:
            self.selected = name
            self.post_message(self.PodHighlighted(self.namespace, name))

    def select(self, name: str) -> bool:
        names = [p.get("name") for p in self._shown]
        if name not in names:
            return False
        self.table.move_cursor(row=names.index(name), animate=False)
        return True
