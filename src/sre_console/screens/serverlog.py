"""The servers' stderr, kept out of the UI until asked for (S)."""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Log, Static


class ServerLogScreen(Screen[None]):
    BINDINGS = [Binding("escape,S,q", "app.pop_screen", "Back", id="serverlog.close")]
    DEFAULT_CSS = """
    ServerLogScreen #serverlog-title { height: 1; background: $panel; padding: 0 1; }
    """

    def compose(self):
        yield Static("server stderr  [dim](esc to go back)[/]", id="serverlog-title")
        yield Log(id="server-log", max_lines=5000, auto_scroll=True)
        yield Footer()

    def on_mount(self) -> None:
        log = self.query_one(Log)
        for name, conn in self.app.host.servers.items():
            log.write_lines(f"[{name}] {line}" for line in conn.stderr)

    def add_line(self, server: str, line: str) -> None:
        self.query_one(Log).write_line(f"[{server}] {line}")
