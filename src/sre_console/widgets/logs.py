"""Logs: get_pod_logs for the selected pod (or its previous container), search_logs for a service.

Follow, wrap and timestamps are toggles on the view; find (`/`, n, N) highlights and
jumps between matches. The view is virtualised (see logview.py), so a pane with
100,000 lines scrolls as fast as one with twenty.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from textual import on, work
from textual.widgets import Input, Static

from sre_console.widgets.logview import LogView
from sre_console.widgets.pane import Pane, PaneMessage
from sre_console.server_facts import Tool

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
        self.loaded_at = ""

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

    def forget(self) -> None:
        self.close_find(clear=True, focus=False)
        self.source = self.loaded_source = None
        self.view.clear()
        super().forget()
        self.message.show("select a pod (l) or a service (enter on health) to see its logs")
        self.update_status()

    def show_pod(self, namespace: str, pod: str, previous: bool = False) -> None:
        self._set_source(LogSource("pod", pod, namespace, previous))

    def show_service(self, service: str) -> None:
        keep = self.source if self.source and self.source.kind == "service" else None
        # A service keeps the window and level the user chose for the last one.
        self._set_source(LogSource("service", service, window=keep.window if keep else DEFAULT_WINDOW,
                                   level=keep.level if keep else None))

    def _set_source(self, source: LogSource) -> None:
        old = self.source
        if old is None or (old.kind, old.name, old.namespace) != (source.kind, source.name, source.namespace):
            # A find belongs to the lines it was made on: another pod or service starts without one.
            self.close_find(clear=True, focus=False)
        self.source = source
        self.load()

    def _no_service(self, what: str) -> str:
        if self.source and self.source.kind == "pod":
            return (f"{what} apply to a service's logs (search_logs); {self.source.name}'s pod log is its last "
                    f"{POD_LINES} lines: enter on a service in the health pane")
        return f"{what} apply to a service's logs: enter on a service in the health pane"

    def set_window(self, window: str) -> str | None:
        """Service logs over the last `window`; else why not (a sentence for the user)."""
        if not self.source or self.source.kind != "service":
            return self._no_service("time windows (1-5)")
        self.source = replace(self.source, window=window)
        self.load()
        return None

    def cycle_level(self) -> str | None:
        if not self.source or self.source.kind != "service":
            return self._no_service("level filters (v)")
        level = LEVELS[(LEVELS.index(self.source.level) + 1) % len(LEVELS)] if self.source.level in LEVELS else None
        self.source = replace(self.source, level=level)
        self.load()
        return None

    def copy_text(self) -> tuple[str, str]:
        """What `y` copies: the find matches when a find is active, else every line."""
        view = self.view
        if view.matches:
            return "\n".join(view.lines[i] for i in view.matches), f"{len(view.matches)} matching log lines"
        return "\n".join(view.lines), f"{len(view.lines)} log lines"

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
            result = await self.call(Tool.GET_POD_LOGS, args)
            lines = (result.payload() or {}).get("lines") or [] if result else None
        else:
            args = {"service": src.name, "limit": SERVICE_ROWS, "time_range": src.window}
            if src.level:
                args["level"] = src.level
            result = await self.call(Tool.SEARCH_LOGS, args)
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
                self.update_status()
            elif self.view.line_count:
                # The lines below are from the last load that worked: say so on the error line.
                self.message.show(f"{self.message.shown_text} — the lines below are from {self.loaded_at}, not current", error=True)
            return
        self.message.hide() if lines else self.message.show("no log lines")
        self.view.set_lines(lines)
        self.loaded_source = src
        self.loaded_at = time.strftime("%H:%M:%S")
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

    def close_find(self, clear: bool, focus: bool = True) -> None:
        box = self.query_one("#logs-find", Input)
        if clear:
            box.value = ""
            self.view.find(None)
        box.remove_class("-shown")
        if focus:
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
