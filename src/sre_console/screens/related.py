"""`b`: the runbooks the server attached to recent tool results (`related_runbooks`)."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class RelatedRunbooksScreen(ModalScreen[dict | None]):
    BINDINGS = [Binding("escape,b", "dismiss_none", "Close", id="related.close")]
    DEFAULT_CSS = """
    RelatedRunbooksScreen { align: center middle; }
    RelatedRunbooksScreen > Vertical { width: 90; height: auto; max-height: 80%; border: round $accent; background: $surface; }
    RelatedRunbooksScreen OptionList { height: auto; max-height: 30; }
    """

    def __init__(self, related: list[dict]):
        super().__init__()
        self.related = related  # {runbook_id, uri, title, section, excerpt, relevance, tool, signals}

    def compose(self):
        with Vertical():
            if not self.related:
                yield Static("No runbooks attached to recent results yet (the server attaches them when a result shows known trouble).")
                return
            yield Static(f"[b]Runbooks attached to tool results[/]  [dim]({len(self.related)}) enter opens[/]")
            yield OptionList(*[
                Option(
                    f"[b]{r.get('title', r.get('runbook_id'))}[/]  [dim]§ {r.get('section', '')} · {r.get('relevance', 0):.2f} · from {r.get('tool', '?')}"
                    f"{' · ' + ', '.join(r.get('signals', [])[:3]) if r.get('signals') else ''}[/]\n  {str(r.get('excerpt', ''))[:160]}",
                    id=str(i),
                )
                for i, r in enumerate(self.related)
            ], id="related-list")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.related[int(event.option.id)])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
