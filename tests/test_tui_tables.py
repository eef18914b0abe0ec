"""Tables are drawn at their final column widths from the first frame."""

from __future__ import annotations

from rich.text import Text
from textual.app import App
from textual.widgets import DataTable

from sre_console.widgets.pane import fill_table


class TableApp(App):
    def compose(self):
        table = DataTable()
        table.add_columns("name", "status")
        yield table


async def test_fill_table_sizes_columns_before_the_table_goes_idle():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(DataTable)
        rows = [([Text("payment-gw-def34", style="red"), "CrashLoopBackOff"], "a"), (["x", "ok"], "b")]
        fill_table(table, rows)
        # Synchronously, before any idle: a repaint now must already use the real widths
        # (auto-width columns would still be at their header widths here).
        widths = [c.get_render_width(table) - 2 * table.cell_padding for c in table.ordered_columns]
        assert widths == [len("payment-gw-def34"), len("CrashLoopBackOff")]
        assert [str(c.label) for c in table.ordered_columns] == ["name", "status"]
        assert table.row_count == 2 and table.get_row("a")[1] == "CrashLoopBackOff"
        fill_table(table, [(["a-much-longer-pod-name-than-before", "Running"], "c")])
        assert table.ordered_columns[0].get_render_width(table) - 2 * table.cell_padding == len("a-much-longer-pod-name-than-before")
        fill_table(table, [])  # no rows: header widths
        assert [c.get_render_width(table) - 2 * table.cell_padding for c in table.ordered_columns] == [4, 6]
        await pilot.pause()
