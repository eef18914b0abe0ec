"""k9s command mode: `:` opens a one-line prompt at the bottom; the main screen runs what comes back.

The verbs are the action table's (`sre_console.actions`)."""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input

from sre_console import actions as A
from sre_console.actions import parse_command
from sre_console.settings import frozen

__all__ = ["CommandScreen", "parse_command"]


class CommandScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="command.cancel")]
    DEFAULT_CSS = """
    CommandScreen { align: left bottom; background: $background 30%; }
    CommandScreen > Input { dock: bottom; margin-bottom: 1; border: tall $accent; width: 100%; }
    """

    def compose(self):
        yield Input(placeholder=":pods payments · :logs POD · :runbook QUERY · :events NS · :health · :help · :q",
                    suggester=SuggestFromList([f"{v} " for v in A.all_verbs()], case_sensitive=False), id="command-input")

    def on_mount(self) -> None:
        if frozen():  # snapshots: a steady cursor
            self.query_one(Input).cursor_blink = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
