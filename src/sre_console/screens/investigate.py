"""The guided investigate-service flow: pick a service (worst first), add symptoms, go."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from sre_console.widgets.health import health_rows
from sre_console.server_facts import Tool

COLOR = {"critical": "red", "degraded": "yellow", "unknown": "grey50", "healthy": "green"}


async def services_worst_first(host: Any) -> list[dict[str, Any]]:
    listed = await host.call_tool(Tool.LIST_SERVICES, {})
    services = (listed.payload() or {}).get("services", []) if listed.ok else []
    return await health_rows(host, services)


class InvestigateScreen(ModalScreen[tuple[str, str] | None]):
    """Dismisses with (service, symptoms), or None when cancelled."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="investigate.cancel")]
    DEFAULT_CSS = """
    InvestigateScreen { align: center middle; }
    InvestigateScreen > Vertical { width: 90; height: auto; max-height: 90%; border: thick $primary; background: $surface; padding: 1 2; }
    InvestigateScreen OptionList { height: auto; max-height: 14; }
    InvestigateScreen Horizontal { height: auto; margin-top: 1; }
    """

    def __init__(self, host: Any, preselect: str | None = None, rows: list[dict[str, Any]] | None = None):
        """`rows`: the health pane's verdicts, worst first, when the caller has them (no second round of checks)."""
        super().__init__()
        self.host, self.preselect = host, preselect
        self.services: list[dict[str, Any]] = list(rows or [])

    def compose(self):
        with Vertical():
            yield Static("[b]Investigate a service[/] — worst first")
            yield OptionList(id="inv-services")
            yield Input(placeholder="Symptoms (optional): what users or alerts report", id="inv-symptoms")
            with Horizontal():
                yield Button("Investigate", variant="primary", id="inv-go")
                yield Button("Cancel", id="inv-cancel")

    async def on_mount(self) -> None:
        if not self.services:
            self.services = await services_worst_first(self.host)
        ol = self.query_one(OptionList)
        for h in self.services:
            st = h.get("status", "unknown")
            er = h.get("error_rate")
            extra = f"  errors {er:.1%}" if er is not None else ""
            ol.add_option(Option(f"[{COLOR.get(st, 'white')}]{st:9}[/] {h.get('service')}{extra}", id=h.get("service")))
        index = next((i for i, h in enumerate(self.services) if h.get("service") == self.preselect), 0)
        if self.services:
            ol.highlighted = index
        ol.focus()

    def _go(self) -> None:
        ol = self.query_one(OptionList)
        if ol.highlighted is None or not self.services:
            return
        service = self.services[ol.highlighted]["service"]
        self.dismiss((service, self.query_one("#inv-symptoms", Input).value.strip()))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#inv-symptoms", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._go()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "inv-go":
            self._go()
        else:
            self.dismiss(None)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
