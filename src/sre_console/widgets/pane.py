"""What every pane shares: a title line, a one-line error, tool calls through the host."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from sre_console.host.host import CallResult
from sre_console.views import next_sort


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


class ListHabits:
    """The k9s habits a list pane shares (the pods pane, the cluster views): a `/` filter box, faulty only,
    and a sort by column. The pane has `FILTER_ID` (its filter box's id), `table`, `_render_rows()`,
    `_sort_headers()` (the column names `:sort` takes) and `_sort_label()` (who the sort's warnings name)."""

    FILTER_ID = ""
    filter_text: str
    faulty_only: bool
    sort_column: int | None
    sort_reverse: bool

    def _filter_box(self) -> Input:
        return self.query_one(f"#{self.FILTER_ID}", Input)  # type: ignore[attr-defined]

    def open_filter(self) -> None:
        box = self._filter_box()
        box.add_class("-shown")
        box.value = self.filter_text
        box.focus()

    def close_filter(self, clear: bool) -> None:
        box = self._filter_box()
        if clear:
            box.value = ""
            self.filter_text = ""
            self._render_rows()  # type: ignore[attr-defined]
        box.remove_class("-shown")
        self.table.focus()  # type: ignore[attr-defined]

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == self.FILTER_ID:
            self.filter_text = event.value
            self._render_rows()  # type: ignore[attr-defined]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == self.FILTER_ID:
            self.close_filter(clear=False)

    def apply_filter(self, text: str) -> None:
        self.filter_text = text
        self._render_rows()  # type: ignore[attr-defined]

    def action_toggle_faulty(self) -> None:
        self.faulty_only = not self.faulty_only
        self._render_rows()  # type: ignore[attr-defined]

    def sort_next(self, column: str | None = None) -> None:
        """`>`: the next column (after the last, the server's order again); `:sort COLUMN` picks one."""
        headers = self._sort_headers()  # type: ignore[attr-defined]
        if headers is None:
            return
        got = next_sort(list(headers), self.sort_column, column)
        if isinstance(got, str):
            self.app.notify(f"{self._sort_label()}: {got}", severity="warning")  # type: ignore[attr-defined]
            return
        self.sort_column, self.sort_reverse = got, False
        self._render_rows()  # type: ignore[attr-defined]

    def sort_reversed(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self._render_rows()  # type: ignore[attr-defined]
