"""One tool call in the chat: name, arguments and a spinner while it runs; then status, latency and a
one-line summary; expandable to the whole result as highlighted JSON (attached runbooks included)."""

from __future__ import annotations

import json
from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual.widgets import Collapsible, Static

from sre_console.settings import frozen

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def _args(args: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in args.items())
    return text if len(text) <= 90 else text[:89] + "…"


class ToolCallTrace(Collapsible):
    DEFAULT_CSS = """
    ToolCallTrace { height: auto; margin: 0; padding: 0; border: none; }
    ToolCallTrace.error CollapsibleTitle { color: $error; }
    ToolCallTrace.ok CollapsibleTitle { color: $success; }
    """

    def __init__(self, call_id: str, name: str, args: dict[str, Any]):
        self.call_id, self.tool, self.args = call_id, name, args
        self.body = Static("(running…)", classes="trace-result")
        super().__init__(self.body, title=self._heading(SPINNER[0]), collapsed=True, id=None)
        self._frame = 0
        self._timer = None
        self.finished = False
        self.ok: bool | None = None

    def _heading(self, mark: str, tail: str = "") -> str:
        return f"{mark} {self.tool}({_args(self.args)}){tail}"

    def on_mount(self) -> None:
        if not self.finished and not frozen():
            self._timer = self.set_interval(0.1, self._spin)

    def _spin(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self.title = self._heading(SPINNER[self._frame])

    def finish(self, ok: bool, latency_ms: float, summary: str, result: Any, error: str | None = None, cached: bool = False) -> None:
        self.finished, self.ok = True, ok
        if self._timer is not None:
            self._timer.stop()
        mark = "✓" if ok else "✗"
        took = "" if frozen() else f"  {latency_ms:.0f} ms"  # snapshots: no latencies
        self.title = self._heading(mark, f"{took} — {summary}" + (" (repeat)" if cached else ""))
        self.add_class("ok" if ok else "error")
        payload = result if result is not None else {"error": error}
        try:
            text = json.dumps(payload, indent=2, default=str, ensure_ascii=False)
            self.body.update(Syntax(text, "json", word_wrap=True, theme="ansi_dark"))
        except (TypeError, ValueError):
            self.body.update(Text(str(payload)))
