"""Approval for a write tool call: Yes / Yes, don't ask again for this tool / No.

Opened with `await app.ask_approval(tool, arguments)` from a worker; the answer is
"yes", "always" or "no". The decision is the human's: the model's own claim that a
call is harmless is never a reason to skip it.
"""

from __future__ import annotations

import json
from typing import Any

from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ApprovalScreen(ModalScreen[str]):
    BINDINGS = [
        Binding("y", "answer('yes')", "Yes", id="approval.yes"),
        Binding("a", "answer('always')", "Always for this tool", id="approval.always"),
        Binding("n,escape", "answer('no')", "No", id="approval.no"),
    ]
    DEFAULT_CSS = """
    ApprovalScreen { align: center middle; }
    ApprovalScreen > Vertical { width: 80; height: auto; border: thick $error; background: $surface; padding: 1 2; }
    ApprovalScreen Horizontal { height: auto; margin-top: 1; }
    ApprovalScreen Button { margin-right: 2; }
    """

    def __init__(self, tool: str, arguments: dict[str, Any], description: str = "", destructive: bool = True):
        super().__init__()
        self.tool, self.arguments, self.description, self.destructive = tool, arguments, description, destructive

    def compose(self):
        with Vertical():
            kind = "[b red]destructive[/]" if self.destructive else "[b yellow]write[/]"
            yield Static(f"Approve {kind} call [b]{self.tool}[/]?")
            if self.description:
                yield Static(f"[dim]{self.description.strip().splitlines()[0][:200]}[/]")
            yield Static(json.dumps(self.arguments, indent=2, default=str), id="approval-args")
            with Horizontal():
                yield Button("Yes (y)", variant="error", id="yes")
                yield Button("Always for this tool (a)", id="always")
                yield Button("No (n)", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # the safe answer is the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "no")

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)
