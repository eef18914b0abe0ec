"""Pods: list_pods for one namespace; `/` filter (regex, `!` inverts), faulty-only toggle; the pods
of one workload, Service, volume or node when a cluster view's `enter` asks for them (a scope)."""

from __future__ import annotations

import asyncio
import json
import re

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import DataTable, Input

from sre_console.actions import bindings
from sre_console.host.host import ServerDown
from sre_console.server_facts import Tool
from sre_console.themes import palette
from sre_console.views import PodsOf, sort_key
from sre_console.widgets.pane import ListHabits, Pane, PaneMessage, _cell_width, fill_table

ALL_NAMESPACES = "*"  # every namespace the server may read (k9s `0`): rows name their namespace
COLUMNS = ("name", "ready", "status", "restarts", "age", "node", "ip")
FAILED = {"CrashLoopBackOff", "Error", "OOMKilled", "ImagePullBackOff", "ErrImagePull", "Evicted", "Failed", "NotReady"}
PAGE_ROWS = 500  # rows per list_pods call: well under the server's result size cap
PENDING = {"Pending", "ContainerCreating", "Terminating", "Init"}


def pod_colour_key(pod: dict) -> str:
    status = str(pod.get("status", ""))
    if status in FAILED or (status == "Running" and not pod.get("healthy", True)):
        return "pod-failed"
    if status in PENDING:
        return "pod-pending"
    if status in ("Completed", "Succeeded"):
        return "pod-completed"
    return "pod-running"


def compile_filter(text: str) -> tuple[re.Pattern[str] | None, bool]:
    """k9s filter: a regex (bad ones taken literally), case-insensitive; a leading `!` inverts."""
    text = text.strip()
    invert = text.startswith("!")
    if invert:
        text = text[1:]
    if not text:
        return None, False
    try:
        return re.compile(text, re.IGNORECASE), invert
    except re.error:
        return re.compile(re.escape(text), re.IGNORECASE), invert


class PodsPane(ListHabits, Pane):
    title = "pods"
    FILTER_ID = "pods-filter"
    BINDINGS = bindings("pods")  # from the action table (sre_console.actions)

    class PodHighlighted(Message):
        def __init__(self, namespace: str, pod: str):
            super().__init__()
            self.namespace, self.pod = namespace, pod

    def __init__(self, namespace: str = "default", **kw):
        super().__init__(**kw)
        self.namespace = namespace
        self.pods: list[dict] = []
        self.filter_text = ""
        self.faulty_only = False
        self.selected: str | None = None
        self._shown: list[dict] = []
        self.total: int | None = None  # pods in the namespace as the server counts them
        self.loading = False
        self.live = False  # a change stream for this namespace is open (server watches the cluster)
        self._dirty = False
        self.generation: int | None = None  # the server's version of the list we hold
        self._watching = False
        self._listening_ns: str | None = None
        self._listen_task: asyncio.Task | None = None
        self.scope: PodsOf | None = None  # only these pods (a cluster view's `enter`), None: all of the namespace
        self.sort_column: int | None = None  # an index into _columns(); None: the server's order (unhealthy first)
        self.sort_reverse = False

    def compose(self):
        yield PaneMessage()
        yield Input(placeholder="filter: regex, !regex inverts · enter keeps · esc clears", id="pods-filter", classes="filter")
        table = DataTable(id="pods-table", cursor_type="row")
        for label in self._columns():
            table.add_column(label, key=label)
        yield table

    @property
    def all_namespaces(self) -> bool:
        return self.namespace == ALL_NAMESPACES

    def _columns(self) -> tuple[str, ...]:
        return (("namespace",) if self.all_namespaces else ()) + COLUMNS

    def _key(self, pod: dict) -> str:
        """A row's key: the name, or `namespace/name` across namespaces (as the server names deleted pods)."""
        return f"{pod.get('namespace')}/{pod.get('name')}" if self.all_namespaces else str(pod.get("name"))

    def _split(self, key: str) -> tuple[str, str]:
        if self.all_namespaces and "/" in key:
            ns, name = key.split("/", 1)
            return ns, name
        return self.namespace, key

    def selected_pod(self) -> tuple[str, str] | None:
        """(namespace, name) of the pod under the cursor."""
        return self._split(self.selected) if self.selected else None

    @property
    def table(self) -> DataTable:
        return self.query_one("#pods-table", DataTable)

    def set_namespace(self, namespace: str) -> None:
        if namespace != self.namespace:
            columns_change = ALL_NAMESPACES in (namespace, self.namespace)
            self.namespace = namespace
            self.scope = None  # a selector or node picked in another namespace
            self.total = None
            self.generation = None
            self.pods = []
            self.selected = None
            if columns_change:
                self.sort_column, self.sort_reverse = None, False  # the column indexes moved
                table = self.table
                table.clear(columns=True)
                for label in self._columns():
                    table.add_column(label, key=label)
            self._render_rows()
        self.load()

    def forget(self) -> None:
        # Another cluster: its generations mean nothing here, and its change feed is another's.
        self.pods, self.total, self.generation, self.selected, self.scope = [], None, None, None, None
        self.live, self._listening_ns = False, None
        super().forget()

    def on_mount(self) -> None:
        super().on_mount()
        self._listen()
        # Changes arrive as events; coalesce them into at most a few reloads a second.
        self.set_interval(0.3, self._reload_if_dirty)

    def _listen(self) -> None:
        """Follow the server's change feed for this namespace's pods (subscriptions/listen):
        a pod that changes in the cluster reloads the pane with no key pressed. A plain task,
        not a worker: it never finishes, and "every worker idle" must still mean settled."""
        if self._listen_task is not None:
            self._listen_task.cancel()
        self._listen_task = asyncio.get_running_loop().create_task(self._follow(), name="pods-listen")

    def on_unmount(self) -> None:
        if self._listen_task is not None:
            self._listen_task.cancel()

    async def _follow(self) -> None:
        ns = self.namespace
        self._listening_ns = ns
        uri = f"k8s://pods/{ns}"
        host = self.app.host

        def on_update(_uri: str) -> None:
            self._dirty = True

        def on_state(open_: bool) -> None:
            self.live = open_ and self._watching
            self._update_subtitle()

        self._watching = False
        for _ in range(240):  # the server may still be starting: ask until it answers
            try:
                info = json.loads(await host.read_resource(uri))
                self._watching = bool(info.get("watching"))
                break
            except ServerDown:
                await asyncio.sleep(0.5)
            except Exception:  # noqa: BLE001 - an older server without the feed: the auto refresh remains
                break
        try:
            await host.listen_resources([uri], on_update, on_state=on_state)
        except asyncio.CancelledError:
            pass

    def _reload_if_dirty(self) -> None:
        if self._dirty and not self.loading:
            self._dirty = False
            self.load()

    @work(exclusive=True, group="pods", exit_on_error=False)
    async def load_changes(self) -> None:
        """Only what changed since the last answer (the server's watch cache keeps the log);
        a full load when the server cannot say (a relist, or an old server)."""
        ns, since = self.namespace, self.generation
        self.loading = True
        try:
            result = await self.call(Tool.LIST_PODS, {"namespace": ns, "changed_since": since, "limit": 1})
            if result is None or ns != self.namespace:
                return
            res = result.payload() or {}
            if "changed" not in res:
                self.loading = False
                self.load_all()
                return
            gone = set(res.get("deleted") or [])
            fresh = {self._key(p): p for p in res.get("changed") or []}
            rows = [fresh.pop(self._key(p), p) for p in self.pods if self._key(p) not in gone]
            rows.extend(fresh.values())
            rows.sort(key=lambda r: (bool(r.get("healthy")), -int(r.get("restarts") or 0), str(r.get("name")), str(r.get("namespace"))))
            self.pods, self.total, self.generation = rows, res.get("total"), res.get("generation")
            self._render_changes(res.get("changed") or [], gone)
        finally:
            self.loading = False

    def set_scope(self, scope: PodsOf | None) -> None:
        """Only the pods of one workload, Service, volume or node (None: every pod of the namespace)."""
        if scope == self.scope:
            return
        self.scope = scope
        self.pods, self.total, self.generation, self.selected = [], None, None, None
        self._render_rows()
        self.load_all()

    def selected_ref(self) -> tuple[str, str | None, str] | None:
        """("Pod", namespace, name) of the row under the cursor (Contract 2 of issue 12)."""
        target = self.selected_pod()
        return ("Pod", *target) if target else None

    def load(self) -> None:
        """A refresh: only the changes when the pane follows the server's watch cache, else all.
        A scope by selector or node is listed again (the change log does not know labels)."""
        if self.scope is None and self.live and self.generation is not None and self.pods and self.namespace == self._listening_ns:
            self.load_changes()
        else:
            self.load_all()

    @work(exclusive=True, group="pods", exit_on_error=False)
    async def load_all(self) -> None:
        """Every pod of the namespace, a page at a time (the model's size cap is per call, the pane
        has none): rows show as pages arrive and the footer counts what is loaded of the total."""
        ns, scope = self.namespace, self.scope
        scope_args = scope.list_args() if scope is not None else {}
        if ns != self._listening_ns:  # the namespace was set directly: follow its feed instead
            self.live = False
            self._listen()
        self.loading = True
        try:
            if not self.pods:
                self.set_subtitle(f"{ns} · loading…")
            rows: list[dict] = []
            offset = 0
            first_generation = None
            while True:
                result = await self.call(Tool.LIST_PODS, {"namespace": ns, "offset": offset, "limit": PAGE_ROWS, **scope_args})
                if result is None or ns != self.namespace or scope is not self.scope:
                    self._update_subtitle()
                    return
                res = result.payload() or {}
                if offset == 0:
                    first_generation = res.get("generation")
                rows.extend(res.get("pods") or [])
                self.total = res.get("total")  # with a selector or node: the pods that match it
                nxt = (res.get("page") or {}).get("next_offset")
                if nxt is None or "truncated" in res:
                    break
                offset = nxt
                if offset == len(rows) and len(rows) >= PAGE_ROWS and not self.pods:
                    self.pods = rows  # the first page on screen at once; the rest follows
                    self._render_rows(partial=True)
            self.message.hide()
            if "truncated" in res:  # never silent: a page cut by the server's size cap
                self.message.show(f"list_pods cut a page at {offset + len(res.get('pods') or [])} of {self.total} pods "
                                  f"(server size cap); {res['truncated'].get('how_to_get_more', '')}", error=True)
            self.pods = rows
            # Changes during the paging are fetched again from here: applying them twice is harmless.
            self.generation = first_generation
            self._render_rows()
        finally:
            self.loading = False

    def _visible(self) -> list[dict]:
        pattern, invert = compile_filter(self.filter_text)
        scoped = re.compile(self.scope.pattern) if self.scope is not None and self.scope.pattern else None
        out = []
        for pod in self.pods:
            if self.faulty_only and pod_colour_key(pod) == "pod-running":
                continue
            if self.scope is not None and self.scope.namespace and pod.get("namespace") not in (None, self.scope.namespace):
                continue
            if pattern is not None or scoped is not None:
                hay = " ".join(str(pod.get(k, "")) for k in ("name", "status", "node", "ip", "app"))
                if pattern is not None and bool(pattern.search(hay)) == invert:
                    continue
                if scoped is not None and not scoped.search(hay):
                    continue
            out.append(pod)
        if self.sort_column is not None:
            key = self._columns()[self.sort_column]
            out.sort(key=lambda p: sort_key(str(p.get(key, ""))), reverse=self.sort_reverse)
        elif self.sort_reverse:
            out.reverse()
        return out

    def _cells(self, pod: dict, colours: dict) -> list:
        colour = colours[pod_colour_key(pod)]
        restarts = pod.get("restarts", 0) or 0
        return ([str(pod.get("namespace", ""))] if self.all_namespaces else []) + [
            Text(pod.get("name", "?"), style=colour),
            pod.get("ready", ""),
            Text(str(pod.get("status", "")), style=f"bold {colour}" if colour != colours["pod-running"] else colour),
            Text(str(restarts), style=colours["pod-failed"] if restarts else ""),
            str(pod.get("age", "")),
            str(pod.get("node", "")),
            str(pod.get("ip", "")),
        ]

    def _render_changes(self, changed: list[dict], deleted: set[str]) -> None:
        """Apply a few changed rows to the table in place: refilling 5,000 rows costs seconds of
        layout, updating three costs milliseconds. With a filter on, the whole view is redrawn."""
        table = self.table
        if (self.filter_text or self.faulty_only or self.scope is not None or self.sort_column is not None or self.sort_reverse
                or len(changed) + len(deleted) > 200):
            return self._render_rows()
        colours = palette(self.app)
        columns = [c.key for c in table.ordered_columns]
        have = {k.value for k in table.rows}
        for key in deleted:
            if key in have:
                table.remove_row(key)
        widened = False
        for pod in changed:
            cells = self._cells(pod, colours)
            key = self._key(pod)
            if key in have:
                for col, cell in zip(columns, cells):
                    table.update_cell(key, col, cell)
            else:
                table.add_row(*cells, key=key)
            for col, cell in zip(columns, cells):  # fill_table fixed the widths: widen for a longer cell
                column = table.columns[col]
                if _cell_width(cell) > column.width:
                    column.width = _cell_width(cell)
                    widened = True
        if widened:
            table._require_update_dimensions = True  # noqa: SLF001 - DataTable has no public "re-measure"
            table.refresh(layout=True)
        rank = {self._key(p): i for i, p in enumerate(self.pods)}

        def plain(cell) -> str:
            return cell.plain if isinstance(cell, Text) else str(cell)

        if self.all_namespaces:  # the key is namespace/name: the first two cells
            table.sort(columns[0], columns[1], key=lambda cells: rank.get(f"{plain(cells[0])}/{plain(cells[1])}", len(rank)))
        else:
            table.sort(columns[0], key=lambda cell: rank.get(plain(cell), len(rank)))
        self._shown = list(self.pods)
        if self.selected in rank:
            self._cursor_to(rank[self.selected])
        self._update_subtitle()

    def _cursor_to(self, row: int) -> None:
        """The cursor stays on the selected pod; near the top the view stays at the top, where a
        pod that just broke sorts and must be seen."""
        table = self.table
        # (The table can report height 0 between layouts: then assume a small screen.)
        near_top = row < max(table.size.height - 2, 8)
        table.move_cursor(row=row, animate=False, scroll=not near_top)
        if near_top:
            # After the cursor watcher's own scroll-into-view, which runs after the next refresh.
            table.call_after_refresh(table.scroll_to, y=0, animate=False, immediate=True)

    def _render_rows(self, partial: bool = False) -> None:
        table = self.table
        colours = palette(self.app)
        shown = self._visible()
        self._shown = shown
        rows = [(self._cells(pod, colours), self._key(pod)) for pod in shown]
        fill_table(table, rows)
        keys = [self._key(p) for p in shown]
        if self.selected in keys:
            self._cursor_to(keys.index(self.selected))
        self._update_title()
        self._update_subtitle()

    def _update_subtitle(self) -> None:
        loaded = len(self.pods)
        parts = [self.namespace] + ([self.scope.what] if self.scope is not None else [])
        if self.total is not None and loaded < self.total:
            # Still paging in (or the namespace grew since): say what is loaded, not a rounder number.
            parts.append(f"{len(self._shown)}/{loaded} pods, loading {loaded}/{self.total}" if self.loading
                         else f"{len(self._shown)}/{loaded} pods of {self.total}")
        else:
            parts.append(f"{len(self._shown)}/{loaded} pods")
        if self.live:
            parts.append("live")
        if self.filter_text:
            parts.append(f"/{self.filter_text}/")
        if self.faulty_only:
            parts.append("faulty only")
        self.set_subtitle(" · ".join(parts))

    # filter, faulty only, sort: ListHabits (widgets/pane.py) -----------------------------
    def _sort_headers(self) -> tuple[str, ...]:
        return self._columns()

    def _sort_label(self) -> str:
        return "pods"

    def _update_title(self) -> None:
        if self.sort_column is None and not self.sort_reverse:
            self.border_title = self.title
            return
        order = (f"{self._columns()[self.sort_column]} {'↓' if self.sort_reverse else '↑'}" if self.sort_column is not None
                 else "unhealthy first (reversed)")
        self.border_title = f"{self.title} · sort: {order}"

    # selection --------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        key = event.row_key.value if event.row_key is not None else None
        if key and key != self.selected:
            self.selected = key
            self.post_message(self.PodHighlighted(*self._split(key)))

    def select(self, name: str) -> bool:
        """Put the cursor on a pod (a name, or `namespace/name` across namespaces)."""
        found = next((i for i, p in enumerate(self._shown) if name in (p.get("name"), self._key(p))), None)
        if found is None:
            return False
        self.table.move_cursor(row=found, animate=False)
        return True

    def namespace_of(self, name: str) -> str | None:
        """The namespace of a pod in the pane (across namespaces, the first one that has it)."""
        if not self.all_namespaces:
            return self.namespace
        return next((str(p.get("namespace")) for p in self.pods if p.get("name") == name), None)
