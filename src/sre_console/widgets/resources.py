"""A cluster view (k9s `:deploy`, `:svc`, …): any spec of `sre_console.views`, with the pods
pane's habits. `/` regex filter (`!` inverts), `f` faulty only, `>` / `<` sort, a true count,
unhealthy rows coloured, the highlighted row's problems under the table, and live: it follows
the server's change feed for the kinds the view reads."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from sre_console.actions import bindings
from sre_console.host.host import ServerDown
from sre_console.themes import palette
from sre_console.views import VIEWS, Column, PodsOf, ViewSpec, sort_key
from sre_console.widgets.pane import ListHabits, Pane, PaneMessage, fill_table
from sre_console.widgets.pods import compile_filter

RELOAD_EVERY = 0.3  # seconds: change events are coalesced into at most this many reloads
PAGE_ROWS = 200  # rows per call: well under the server's result size cap (a Service row carries its endpoints)
ALL_NAMESPACES = "*"
NAMESPACE = Column("namespace", lambda r: str(r.get("namespace") or "—"))


class ResourceView(ListHabits, Pane):
    DEFAULT_CSS = """
    ResourceView { width: 1fr; }
    #resources-detail { height: auto; max-height: 6; padding: 0 1; background: $panel; }
    """

    title = "view"
    FILTER_ID = "resources-filter"
    BINDINGS = bindings("resources")  # from the action table (sre_console.actions)

    class ShowPods(Message):
        """`enter` on a row: show these pods of the namespace in the pods pane."""

        def __init__(self, namespace: str | None, pods: PodsOf):
            super().__init__()
            self.namespace, self.pods = namespace, pods

    def __init__(self, namespace: str = "default", **kw):
        super().__init__(**kw)
        self.namespace = namespace
        self.spec: ViewSpec | None = None
        self.rows: list[dict[str, Any]] = []
        self.total: int | None = None
        self.filter_text = ""
        self.faulty_only = False
        self.sort_column: int | None = None  # None: the server's order (problems first)
        self.sort_reverse = False
        self.selected: str | None = None  # the key of the row under the cursor
        self._shown: list[dict[str, Any]] = []
        self.loading = False
        self.live = False
        self._watching = False
        self._dirty = False
        self._listen_task: asyncio.Task | None = None
        self._listening: tuple[str, ...] = ()

    def compose(self):
        yield PaneMessage()
        yield Input(placeholder="filter: regex, !regex inverts · enter keeps · esc clears", id="resources-filter",
                    classes="filter")
        yield DataTable(id="resources-table", cursor_type="row")
        yield Static(id="resources-detail")

    @property
    def table(self) -> DataTable:
        return self.query_one("#resources-table", DataTable)

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(RELOAD_EVERY, self._reload_if_dirty)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._render_rows())

    def on_unmount(self) -> None:
        self._stop_listening()

    # what is shown ---------------------------------------------------------------
    def show(self, name: str, namespace: str) -> None:
        """Switch to a view (or to another namespace of it) and load it."""
        spec = VIEWS[name]
        if spec is not self.spec or namespace != self.namespace:
            before = self.columns
            self.spec, self.namespace = spec, namespace
            if self.columns != before:  # another view, or the namespace column came or went
                self.sort_column, self.sort_reverse = None, False
            self.rows, self.total, self.selected = [], None, None
            self.message.hide()
            table = self.table
            table.clear(columns=True)
            for i, col in enumerate(self.columns):
                table.add_column(col.header, key=str(i))
            self._render_rows()
        self._listen()
        self.load()

    def forget(self) -> None:
        # Another cluster (a context switch): nothing of this one stays; the view reloads when its server is up.
        self.rows, self.total, self.selected, self._shown = [], None, None, []
        self.live = False
        self.query_one("#resources-detail", Static).update("")
        super().forget()

    def hide_view(self) -> None:
        """The pods pane is back in this place: stop following the feed."""
        self._stop_listening()
        self.live = False

    def set_namespace(self, namespace: str) -> None:
        if self.spec is not None and self.display:
            self.show(self.spec.name, namespace)
        else:
            self.namespace = namespace

    def _ns(self) -> str | None:
        return self.namespace if self.spec is not None and self.spec.namespaced else None

    @property
    def columns(self) -> tuple[Column, ...]:
        """The view's columns; across namespaces a namespace column first (k9s)."""
        if self.spec is None:
            return ()
        return ((NAMESPACE,) if self._ns() == ALL_NAMESPACES else ()) + self.spec.columns

    # loading -----------------------------------------------------------------------
    def load(self) -> None:
        if self.spec is not None:
            self._load()

    @work(exclusive=True, group="resources", exit_on_error=False)
    async def _load(self) -> None:
        spec, ns = self.spec, self._ns()
        if spec is None:
            return
        self.loading = True
        try:
            if not self.rows:
                self._update_subtitle()
            base = {**spec.args, **({"namespace": ns} if ns is not None else {})}
            rows: list[dict[str, Any]] = []
            offset = 0
            while True:  # every row, a page at a time (the model's size cap is per call, the view has none)
                args = {**base, "offset": offset, "limit": PAGE_ROWS} if spec.pages else base
                result = await self.call(spec.tool, args)
                if result is None or spec is not self.spec or ns != self._ns():
                    return
                res = result.payload() or {}
                page = res.get(spec.rows_key)
                if not isinstance(page, list):
                    self.message.show(f"{spec.tool}: no {spec.rows_key!r} in the answer", error=True)
                    return
                rows.extend(r for r in page if isinstance(r, dict))
                nxt = (res.get("page") or {}).get("next_offset")
                if not spec.pages or nxt is None or nxt <= offset or "truncated" in res:
                    break
                offset = nxt
            self.message.hide()
            if "truncated" in res:  # never silent: the server's size cap cut a page
                self.message.show(f"{spec.tool} was cut at {len(rows)} of {res.get('total')} rows (server size cap); "
                                  f"{(res.get('truncated') or {}).get('how_to_get_more', '')}", error=True)
            self.rows = rows
            self.total = res.get("total") if isinstance(res.get("total"), int) else len(rows)
            self._render_rows()
        finally:
            self.loading = False
            self._update_subtitle()

    def _reload_if_dirty(self) -> None:
        if self._dirty and not self.loading and self.display:
            self._dirty = False
            self.load()

    # live ----------------------------------------------------------------------------
    def _uris(self) -> tuple[str, ...]:
        spec, ns = self.spec, self._ns()
        if spec is None:
            return ()
        return tuple(f"k8s://{plural}/{ns}" if ns is not None and plural != "nodes" else f"k8s://{plural}" for plural in spec.watch)

    def _listen(self) -> None:
        """Follow the server's change feed (subscriptions/listen) for the kinds the view reads;
        a plain task, like the pods pane's: it never finishes."""
        uris = self._uris()
        if uris == self._listening and self._listen_task is not None and not self._listen_task.done():
            return
        self._stop_listening()
        self._listening = uris
        self.live = False
        self._listen_task = asyncio.get_running_loop().create_task(self._follow(uris), name="resources-listen")

    def _stop_listening(self) -> None:
        if self._listen_task is not None:
            self._listen_task.cancel()
        self._listen_task, self._listening = None, ()

    async def _follow(self, uris: tuple[str, ...]) -> None:
        host = self.app.host

        def on_update(_uri: str) -> None:
            self._dirty = True

        def on_state(open_: bool) -> None:
            self.live = open_ and self._watching
            self._update_subtitle()

        # Whether the server watches the cluster (the fixture does not): from any namespaced URI.
        probe = f"k8s://pods/{self.namespace}"
        self._watching = False
        for _ in range(240):  # the server may still be starting: ask until it answers
            try:
                self._watching = bool(json.loads(await host.read_resource(probe)).get("watching"))
                break
            except ServerDown:
                await asyncio.sleep(0.5)
            except Exception:  # noqa: BLE001 - an older server without the feed: the auto refresh remains
                break
        try:
            await host.listen_resources(list(uris), on_update, on_state=on_state)
        except asyncio.CancelledError:
            pass

    # rows ------------------------------------------------------------------------------
    def _key(self, row: dict[str, Any]) -> str:
        return f"{row.get('namespace') or ''}/{row.get('kind') or ''}/{row.get('name')}"

    def _texts(self, row: dict[str, Any]) -> list[str]:
        out = []
        for col in self.columns:
            try:
                out.append(str(col.cell(row)))
            except Exception:  # noqa: BLE001 - an odd row from another server version is a "?", not a crash
                out.append("?")
        return out

    def _visible(self) -> list[tuple[dict[str, Any], list[str]]]:
        spec = self.spec
        if spec is None:
            return []
        pattern, invert = compile_filter(self.filter_text)
        out = []
        for row in self.rows:
            if self.faulty_only and not spec.faulty(row):
                continue
            texts = self._texts(row)
            if pattern is not None:
                hay = " ".join([*texts, str(row.get("namespace") or "")])
                if bool(pattern.search(hay)) == invert:
                    continue
            out.append((row, texts))
        if self.sort_column is not None:
            i = self.sort_column
            out.sort(key=lambda rt: sort_key(rt[1][i]), reverse=self.sort_reverse)
        elif self.sort_reverse:
            out.reverse()
        return out

    def _render_rows(self) -> None:
        spec = self.spec
        if spec is None:
            return
        colours = palette(self.app)
        visible = self._visible()
        self._shown = [row for row, _ in visible]
        table_rows = []
        for row, texts in visible:
            colour = ""
            if spec.faulty(row):
                colour = colours["pod-failed"] if spec.problems(row) else colours["pod-pending"]
            cells: list[Any] = [Text(t, style=colour) for t in texts]
            if colour:
                cells[0] = Text(texts[0], style=f"bold {colour}")
            table_rows.append((cells, self._key(row)))
        table = self.table
        fill_table(table, table_rows)
        keys = [self._key(r) for r in self._shown]
        if self.selected in keys:
            table.move_cursor(row=keys.index(self.selected), animate=False)
        self._update_title()
        self._update_subtitle()
        self._show_detail()

    def _update_title(self) -> None:
        spec = self.spec
        if spec is None:
            return
        if self.sort_column is None:
            order = "problems first" + (" (reversed)" if self.sort_reverse else "")
        else:
            order = f"{self.columns[self.sort_column].header} {'↓' if self.sort_reverse else '↑'}"
        self.border_title = f"{spec.name} · sort: {order}"

    def _update_subtitle(self) -> None:
        spec = self.spec
        if spec is None:
            return
        parts = [self.namespace] if spec.namespaced else []
        loaded = len(self.rows)
        if self.loading and not self.rows and self.total is None:
            parts.append("loading…")
        elif self.total is not None and loaded < self.total:
            parts.append(f"{len(self._shown)}/{loaded} {spec.name} of {self.total}")
        else:
            parts.append(f"{len(self._shown)}/{loaded} {spec.name}")
        if self.live:
            parts.append("live")
        if self.filter_text:
            parts.append(f"/{self.filter_text}/")
        if self.faulty_only:
            parts.append("faulty only")
        self.set_subtitle(" · ".join(parts))

    def highlighted_row(self) -> dict[str, Any] | None:
        table = self.table
        if not self._shown or not (0 <= table.cursor_row < len(self._shown)):
            return None
        return self._shown[table.cursor_row]

    def _show_detail(self) -> None:
        """The highlighted row's problems as the server wrote them (the table has no room)."""
        detail = self.query_one("#resources-detail", Static)
        row, spec = self.highlighted_row(), self.spec
        if row is None or spec is None:
            detail.update("")
            return
        colours = palette(self.app)
        problems = spec.problems(row)
        text = Text()
        text.append(str(row.get("name", "?")), style="bold")
        if problems:
            for p in problems:
                text.append("\n▲ ", style=colours["pod-failed"])
                text.append(p)
        else:
            text.append(": " + (str(row.get("state") or row.get("status") or row.get("phase") or "no problems")))
        detail.update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key is not None and event.row_key.value:
            self.selected = event.row_key.value
        self._show_detail()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a column header sorts by it; a second click reverses."""
        event.stop()
        if self.sort_column == event.column_index:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = event.column_index, False
        self._render_rows()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row, spec = self.highlighted_row(), self.spec
        target = spec.pods(row) if spec is not None and spec.pods is not None and row is not None else None
        if row is None or spec is None:
            return
        if target is None:
            self.app.notify(f"{spec.name}: no pods to show for {row.get('name')}", severity="warning", timeout=3)
            return
        ns = str(row.get("namespace") or self.namespace) if spec.namespaced else None
        self.post_message(self.ShowPods(ns, dataclasses.replace(target, namespace=ns)))

    def selected_ref(self) -> tuple[str, str | None, str] | None:
        """(Kind, namespace or None for nodes, name) of the row under the cursor (Contract 2)."""
        row, spec = self.highlighted_row(), self.spec
        if row is None or spec is None or not row.get("name"):
            return None
        ns = (row.get("namespace") or self.namespace) if spec.namespaced else None
        return spec.row_kind(row), ns, str(row["name"])

    def copy_text(self) -> tuple[str, str]:
        """The rows in view as TSV (headers first), for `y`."""
        if self.spec is None:
            return "", ""
        lines = ["\t".join(c.header for c in self.columns)]
        lines += ["\t".join(self._texts(r)) for r in self._shown]
        return "\n".join(lines) + "\n", f"{len(self._shown)} {self.spec.name}"

    # habits: filter, faulty only, sort: ListHabits (widgets/pane.py) ----------------------------
    def _sort_headers(self) -> list[str] | None:
        return None if self.spec is None else [c.header for c in self.columns]

    def _sort_label(self) -> str:
        return self.spec.name if self.spec is not None else "view"
