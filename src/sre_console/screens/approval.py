"""Approval for a write tool call: Yes once / Always for these arguments / Always for this
tool in this investigation / No.

Opened by `app.ask_approval(request)` from a worker (the plain ask callback of
`sre_console.approval.decide`); dismisses with one of `approval.ANSWERS`. The modal
shows where the request came from (an investigation's model acts on tool results,
which may carry injected text). A destructive change (scale to 0, rollback, delete)
offers no "always". The model's own claim that a call is harmless is never a reason
to skip it.
"""

from __future__ import annotations

import json

from rich.text import Text
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from sre_console.approval import ALWAYS_ARGS, ALWAYS_INVESTIGATION, NO, YES, ApprovalRequest


class ApprovalScreen(ModalScreen[str]):
    BINDINGS = [
        Binding("y", f"answer('{YES}')", "Yes, once", id="approval.yes"),
        Binding("a", f"answer('{ALWAYS_ARGS}')", "Always: these arguments", id="approval.always"),
        Binding("i", f"answer('{ALWAYS_INVESTIGATION}')", "Always: this investigation", id="approval.investigation"),
        Binding("n,escape", f"answer('{NO}')", "No", id="approval.no"),
    ]
    DEFAULT_CSS = """
    ApprovalScreen { align: center middle; }
    ApprovalScreen > Vertical { width: 90; max-width: 100%; height: auto; max-height: 100%; border: thick $error; background: $surface; padding: 1 2; }
    ApprovalScreen #approval-source { color: $warning; }
    ApprovalScreen #approval-args-scroll { height: auto; max-height: 16; }
    ApprovalScreen Horizontal { height: auto; margin-top: 1; }
    ApprovalScreen Button { margin-right: 1; }
    """

    def __init__(self, request: ApprovalRequest, destructive: bool = True):
        super().__init__()
        self.request, self.destructive = request, destructive

    def compose(self):
        req = self.request
        with Vertical():
            kind = "[b red]destructive[/]" if self.destructive else "[b yellow]write[/]"
            yield Static(f"Approve {kind} call [b]{req.tool}[/]?")
            if req.source:
                yield Static(Text(f"Requested by: {req.source}"), id="approval-source")
            if req.description:
                yield Static(Text(req.description.strip().splitlines()[0][:200], style="dim"))
            shown = {"arguments": req.arguments, "preview": req.preview} if req.preview is not None else req.arguments
            with VerticalScroll(id="approval-args-scroll"):  # a long preview scrolls; the buttons stay on screen
                yield Static(Text(json.dumps(shown, indent=2, default=str)), id="approval-args")
            if req.always_asks:
                yield Static(Text(f"{req.always_asks}: approve it once or not at all.", style="bold"), id="approval-always-asks")
            with Horizontal():
                yield Button("Yes, once (y)", variant="error", id=YES)
                if not req.always_asks and req.investigation is not None:
                    yield Button("Always: these arguments (a)", id=ALWAYS_ARGS)
                    yield Button("Always: this tool, this investigation (i)", id=ALWAYS_INVESTIGATION)
                yield Button("No (n)", variant="primary", id=NO)

    def on_mount(self) -> None:
        self.query_one(f"#{NO}", Button).focus()  # the safe answer is the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or NO)

    def action_answer(self, answer: str) -> None:
        if answer in (ALWAYS_ARGS, ALWAYS_INVESTIGATION) and (self.request.always_asks or self.request.investigation is None):
            self.app.bell()  # not offered for this request
            return
        self.dismiss(answer)
