"""k9s command mode: `:` opens a one-line prompt at the bottom; the app runs what comes back."""

from __future__ import annotations

import shlex

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input

VERBS = ["pods", "po", "logs", "describe", "events", "ev", "runbook", "rb", "health", "ns", "theme", "server", "refresh", "help", "q", "quit"]
ALIASES = {"po": "pods", "pod": "pods", "ev": "events", "rb": "runbook", "runbooks": "runbook", "quit": "q", "q!": "q", "log": "logs", "desc": "describe"}


def parse_command(text: str) -> tuple[str, list[str]]:
    """`:pods payments` → ("pods", ["payments"]). Unknown verbs come back as they are."""
    text = text.strip().lstrip(":").strip()
    if not text:
        return "", []
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    verb = words[0].lower()
    return ALIASES.get(verb, verb), words[1:]


class CommandScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="command.cancel")]
    DEFAULT_CSS = """
    CommandScreen { align: left bottom; background: $background 30%; }
    CommandScreen > Input { dock: bottom; margin-bottom: 1; border: tall $accent; width: 100%; }
    """

    def compose(self):
        yield Input(placeholder=":pods payments · :logs POD · :runbook QUERY · :events NS · :health · :q",
                    suggester=SuggestFromList([f"{v} " for v in VERBS], case_sensitive=False), id="command-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
