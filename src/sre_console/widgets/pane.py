"""What every pane shares: a title line, a one-line error, tool calls through the host."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from sre_console.host.host import CallResult


class PaneMessage(Static):
    """One line under the title: a tool error or 'loading', never a traceback."""

    DEFAULT_CSS = """
    PaneMessage { height: auto; max-height: 5; padding: 0 1; color: $text-muted; display: none; }
    PaneMessage.-shown { display: block; }
    PaneMessage.-error { color: $error; }
    """

    shown_text = ""

    def show(self, text: str, error: bool = False) -> None:
        # The whole message, wrapped (a refused query's reason is the useful part), never a traceback.
        self.shown_text = " ".join((text or "").split())[:600]
        self.update(Text(self.shown_text))
        self.set_class(bool(self.shown_text), "-shown")
        self.set_class(error, "-error")

    def hide(self) -> None:
        self.show("")


class Pane(Vertical):
    """A bordered pane fed by tool calls. Subclasses implement `load()` as an exclusive worker."""

    DEFAULT_CSS = """
    Pane { border: round $panel-lighten-2; height: 1fr; }
    Pane:focus-within { border: round $primary; }
    """

    title = "pane"
    ALLOW_MAXIMIZE = True  # `z`: one pane at a time on a small terminal

    def on_mount(self) -> None:
        self.border_title = self.title

    @property
    def message(self) -> PaneMessage:
        found = self.query(PaneMessage)
        # While the app shuts down a late worker may find the pane emptied: write nowhere.
        return found.first() if found else PaneMessage()

    async def call(self, tool: str, arguments: dict[str, Any] | None = None) -> CallResult | None:
        """Call a tool; on failure show the error in the pane and return None."""
        result = await self.app.host.call_tool(tool, arguments or {})
        if not result.ok:
            self.message.show(f"{tool}: {result.error or 'failed'}", error=True)
            return None
        return result

    def set_subtitle(self, text: str) -> None:
        self.border_subtitle = text

    def forget(self) -> None:
        """Drop what was read from the cluster (a kube context switch): another cluster's rows
        must never show under the new context's name. Panes that keep data drop it too."""
        for table in self.query(DataTable):
            table.clear()
        for detail in self.query(".pane-detail"):
            if isinstance(detail, Static):
                detail.update("")
        self.message.hide()
        self.set_subtitle("")


def _cell_width(cell: Any) -> int:
    text = cell.plain if isinstance(cell, Text) else str(cell)
    return max((cell_len(line) for line in text.splitlines()), default=0)


def fill_table(table: DataTable, rows: list[tuple[list[Any], str | None]]) -> None:
    """Replace a table's rows, with each column as wide as its widest cell.

    DataTable sizes auto-width columns later, when its queue is idle, and does not
    re-render rows it drew in between: a repaint that lands first (another pane
    resizing, a busy machine) leaves the rows drawn at their header widths
    ("paym  CrashL") until the cursor moves. Widths given with the columns are
    known before the first row is drawn.
    """
    columns = [(c.label, c.key.value) for c in table.ordered_columns]
    widths = [max([c[0].cell_len] + [_cell_width(cells[i]) for cells, _ in rows if i < len(cells)])
              for i, c in enumerate(columns)]
    table.clear(columns=True)
    for (label, key), width in zip(columns, widths):
        table.add_column(label, width=width, key=key)
    for cells, key in rows:
        table.add_row(*cells, key=key)
