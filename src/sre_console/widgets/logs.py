"""Logs: get_pod_logs for the selected pod (or its previous container), search_logs for a service.

Follow, wrap and timestamps are toggles on the view; find (`/`, n, N) highlights and
jumps between matches. The view is virtualised (see logview.py), so a pane with
100,000 lines scrolls as fast as one with twenty.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual import on, work
from textual.widgets import Input, Static

from sre_console.widgets.logview import LogView
from sre_console.widgets.pane import Pane, PaneMessage

POD_LINES = 1000
SERVICE_ROWS = 200
# Service logs (search_logs): how far back, keys 1-5; and which level, cycled with `v`.
DEFAULT_WINDOW = "1h"
LEVELS = (None, "ERROR", "WARN")


@dataclass
class LogSource:
    kind: str  # "pod" | "service"
    name: str
    namespace: str | None = None
    previous: bool = False
    window: str = DEFAULT_WINDOW  # service logs only
    level: str | None = None  # service logs only

    def label(self) -> str:
        if self.kind == "pod":
            return f"pod {self.namespace}/{self.name}" + (" (previous container)" if self.previous else "")
        level = f" · {self.level} only" if self.level else ""
        return f"service {self.name} · last {self.window}{level} (search_logs, newest last)"


class LogsPane(Pane):
    title = "logs"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.source: LogSource | None = None
        self.loaded_source: LogSource | None = None

    def compose(self):
        yield PaneMessage()
        yield Static("", id="logs-status")
        yield LogView(id="log-view")
        yield Input(placeholder="find in logs: regex · enter, then n / N", id="logs-find", classes="filter")

    def on_mount(self) -> None:
        super().on_mount()
        self.message.show("select a pod (l) or a service (enter on health) to see its logs")
        self.update_status()

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    def show_pod(self, namespace: str, pod: str, previous: bool = False) -> None:
        self.source = LogSource("pod", pod, namespace, previous)
        self.load()

    def show_service(self, service: str) -> None:
        keep = self.source if self.source and self.source.kind == "service" else None
        # A service keeps the window and level the user chose for the last one.
        self.source = LogSource("service", service, window=keep.window if keep else DEFAULT_WINDOW,
                                level=keep.level if keep else None)
        self.load()

    def set_window(self, window: str) -> bool:
        """Service logs over the last `window`; False when the pane shows a pod (no window there)."""
        if not self.source or self.source.kind != "service":
            return False
        self.source = replace(self.source, window=window)
        self.load()
        return True

    def cycle_level(self) -> bool:
        if not self.source or self.source.kind != "service":
            return False
        level = LEVELS[(LEVELS.index(self.source.level) + 1) % len(LEVELS)] if self.source.level in LEVELS else None
        self.source = replace(self.source, level=level)
        self.load()
        return True

    def toggle_previous(self) -> None:
        if self.source and self.source.kind == "pod":
            self.show_pod(self.source.namespace or "default", self.source.name, not self.source.previous)

    @work(exclusive=True, group="logs", exit_on_error=False)
    async def load(self) -> None:
        src = self.source
        if src is None:
            return
        if src.kind == "pod":
            args = {"namespace": src.namespace, "pod_name": src.name, "lines": POD_LINES}
            if src.previous:
                args["previous"] = True
            result = await self.call("get_pod_logs", args)
            lines = (result.payload() or {}).get("lines") or [] if result else None
        else:
            args = {"service": src.name, "limit": SERVICE_ROWS, "time_range": src.window}
            if src.level:
                args["level"] = src.level
            result = await self.call("search_logs", args)
            rows = (result.payload() or {}).get("rows") or [] if result else None
            # search_logs answers newest first; a log reads oldest first.
            lines = None if rows is None else [
                f"{r.get('timestamp', '')} {r.get('level', ''):5} [{r.get('host', '')}] {r.get('message', '')}" for r in reversed(rows)
            ]
        if src is not self.source:
            return
        if lines is None:
            if self.loaded_source != src:
                self.view.clear()
            return
        self.message.hide() if lines else self.message.show("no log lines")
        self.view.set_lines(lines)
        self.loaded_source = src
        self.update_status()

    def update_status(self) -> None:
        v = self.view
        flags = [
            ("follow", v.follow, "s"),
            ("wrap", v.wrap, "w"),
            ("timestamps", v.show_timestamps, "t"),
        ]
        state = "  ".join(f"[{'b' if on else 'dim'}]{'●' if on else '○'} {name}[/] [dim]{key}[/]" for name, on, key in flags)
        find = ""
        if v.matches or self.query_one("#logs-find", Input).value:
            pos = f"{v.match_index + 1}/{len(v.matches)}" if v.matches else "0"
            find = f"  find {pos} [dim]n/N[/]"
        label = self.loaded_source.label() if self.loaded_source else "—"
        self.query_one("#logs-status", Static).update(f"{label}  [dim]│[/] {v.line_count} lines  [dim]│[/] {state}{find}")
        self.set_subtitle(label)

    # toggles ----------------------------------------------------------------
    def toggle(self, attr: str) -> None:
        setattr(self.view, attr, not getattr(self.view, attr))
        self.update_status()

    # find -------------------------------------------------------------------
    def open_find(self) -> None:
        box = self.query_one("#logs-find", Input)
        box.add_class("-shown")
        box.focus()

    def close_find(self, clear: bool) -> None:
        box = self.query_one("#logs-find", Input)
        if clear:
            box.value = ""
            self.view.find(None)
        box.remove_class("-shown")
        self.view.focus()
        self.update_status()

    def find(self, pattern: str) -> int:
        count = self.view.find(pattern)
        self.update_status()
        return count

    @on(Input.Submitted, "#logs-find")
    def _find_submitted(self, event: Input.Submitted) -> None:
        self.find(event.value)
        self.close_find(clear=False)

    def next_match(self, backwards: bool = False) -> None:
        self.view.next_match(backwards)
        self.update_status()
