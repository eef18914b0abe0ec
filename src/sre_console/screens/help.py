"""`?`: every key the console answers to (as typed, with the keymap applied), the `:`
commands and the chat's commands, all generated from the action table."""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from sre_console import actions as A


def key_rows(keymap: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
    """(group, keys as typed, description, binding id) for every action with a key."""
    return [(a.group, A.key_text(a, keymap), a.detail or a.description, a.id) for a in A.ACTIONS if A.keys_of(a, keymap)]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 100; max-width: 100%; max-height: 90%; border: round $primary; background: $surface; padding: 0 1; }
    """

    def __init__(self, keymap: Mapping[str, str] | None = None):
        super().__init__()
        self.keymap = dict(keymap or {})

    def compose(self):
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="dim")
        keys.add_column(style="bold")
        keys.add_column()
        keys.add_column(style="dim")
        last = None
        for group, key, desc, bid in key_rows(self.keymap):
            keys.add_row(group if group != last else "", key, desc, bid)
            last = group
        cmds = Table.grid(padding=(0, 2))
        cmds.add_column(style="bold")
        cmds.add_column()
        for c, d in A.command_rows():
            cmds.add_row(c, d)
        chat = Table.grid(padding=(0, 2))
        chat.add_column(style="bold")
        chat.add_column()
        from sre_console.widgets.chat import CHAT_COMMANDS

        for c, d in CHAT_COMMANDS:
            chat.add_row(c, d)
        palette = A.display_key(self.app.COMMAND_PALETTE_BINDING)
        with VerticalScroll():
            yield Static("[b]Keys[/]  [dim](remap by id in config.yaml → keymap:)[/]")
            yield Static(keys)
            yield Static(f"\n[b]Command mode[/]  [dim](press {A.key_text(A.BY_ID['command'], self.keymap)})[/]")
            yield Static(cmds)
            yield Static(f"\n[b]Chat[/]  [dim](press {A.key_text(A.BY_ID['chat'], self.keymap)}, then type)[/]")
            yield Static(chat)
            yield Static(f"\n[dim]Filter with / (regex, ! inverts). {palette} opens the command palette "
                         "(every action is there). esc closes.[/]")
