"""`?`: every key the console answers to, with the keymap's remappings applied."""

from __future__ import annotations

from rich.table import Table
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

COMMANDS = [
    (":pods [NS]", "pods of a namespace"),
    (":logs POD", "logs of a pod"),
    (":describe POD", "describe a pod"),
    (":events [NS]", "events of a namespace"),
    (":runbook QUERY", "search runbooks"),
    (":health", "refresh service health"),
    (":ns NS", "switch namespace"),
    (":theme NAME", "switch theme"),
    (":server", "server log (stderr)"),
    (":q", "quit"),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; max-height: 90%; border: round $primary; background: $surface; padding: 0 1; }
    """

    def __init__(self, bindings: list[tuple[str, str, str]]):
        super().__init__()
        self.rows = bindings  # (keys, description, id)

    def compose(self):
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold")
        keys.add_column()
        keys.add_column(style="dim")
        for key, desc, bid in self.rows:
            keys.add_row(key, desc, bid)
        cmds = Table.grid(padding=(0, 2))
        cmds.add_column(style="bold")
        cmds.add_column()
        for c, d in COMMANDS:
            cmds.add_row(c, d)
        with VerticalScroll():
            yield Static("[b]Keys[/]  [dim](remap by id in config.yaml → keymap)[/]")
            yield Static(keys)
            yield Static("\n[b]Command mode[/]  [dim](press :)[/]")
            yield Static(cmds)
            yield Static("\n[dim]Filter with / (regex, ! inverts). ctrl+p opens the command palette. esc closes.[/]")
