"""Rollout history of a Deployment, StatefulSet or DaemonSet, with the diff between two revisions
(`H` on a workload or a pod's row, `:history [NAME [NS]]`, `:rollout`).

Left: the revisions, newest first (revision, change kind, images, age, change cause; `●` marks
the current one, config-only revisions stand out). Right: what changed between two of them,
in words (image, env, resources, probes, ConfigMap/Secret references and checksums) and as a
unified YAML diff of their pod templates, from get_rollout_history's `compare`. By default the
current revision against the one before; `enter` compares the highlighted revision with the
current one, `space` marks revisions (two marks: those two, one: it and the current).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Static

from sre_console.screens.yaml import DocumentScreen, FindBar, Ref, YamlView, error_text
from sre_console.server_facts import Tool
from sre_console.themes import palette

HISTORY_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
# What a rollout writes: the workload, and a new ReplicaSet (Deployment) or ControllerRevision.
_FEEDS = {"Deployment": ("deployments", "replicasets"), "StatefulSet": ("statefulsets", "controllerrevisions"),
          "DaemonSet": ("daemonsets", "controllerrevisions")}
_SHORT = {"deploy": "Deployment", "deployment": "Deployment", "deployments": "Deployment", "sts": "StatefulSet",
          "statefulset": "StatefulSet", "statefulsets": "StatefulSet", "ds": "DaemonSet", "daemonset": "DaemonSet",
          "daemonsets": "DaemonSet"}


def images(rev: dict[str, Any]) -> str:
    containers = ((rev.get("template") or {}).get("containers")) or {}
    return ", ".join(str(c.get("image")) for c in containers.values())


def owner_of(pod: dict[str, Any]) -> tuple[str, str] | None:
    """The workload that runs a pod: (kind, name). A ReplicaSet's name is its Deployment's plus a hash."""
    owners = ((pod.get("metadata") or {}).get("ownerReferences")) or []
    ref = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
    if not ref:
        return None
    if ref.get("kind") == "ReplicaSet":
        return "Deployment", str(ref.get("name", "")).rsplit("-", 1)[0]
    return str(ref.get("kind")), str(ref.get("name"))


class HistoryScreen(DocumentScreen):
    BINDINGS = [
        Binding("space", "mark", "Mark", id="history.mark"),
        Binding("enter", "compare_current", "vs current", id="history.compare"),
        Binding("tab", "switch_focus", "Table/diff", id="history.focus"),
    ]
    DEFAULT_CSS = """
    HistoryScreen #history-body { height: 1fr; }
    HistoryScreen #history-table { width: 55%; height: 1fr; border: round $panel-lighten-2; }
    HistoryScreen #history-table:focus { border: round $primary; }
    HistoryScreen #history-diff { width: 1fr; height: 1fr; border: round $panel-lighten-2; }
    HistoryScreen #history-diff:focus-within { border: round $primary; }
    HistoryScreen #history-summary { height: auto; max-height: 50%; padding: 0 1; }
    """
    copy_what = "the diff"

    def __init__(self, namespace: str, name: str, kind: str | None = None, pod: str | None = None):
        super().__init__(id="history-screen")
        self.ns, self.target, self.kind, self.pod = namespace, name, kind, pod
        self.error = ""
        self.history: dict[str, Any] | None = None
        self.marked: list[int] = []
        self.pair: tuple[int, int] | None = None  # the revisions the diff pane shows (from, to)
        self.comparison: dict[str, Any] | None = None
        self.following_default = True  # the diff shows current vs the one before until the user picks
        self.live = False  # the server's change feed for this workload's revisions is open
        self._dirty = False
        self._listen_task: asyncio.Task | None = None

    # layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(self._title(), classes="doc-title", id="history-title")
        yield Static("", classes="doc-message", id="history-message")
        with Horizontal(id="history-body"):
            table = DataTable(id="history-table", cursor_type="row", zebra_stripes=False)
            table.add_columns(" ", "rev", "change", "images", "age", "cause")
            yield table
            with Vertical(id="history-diff"):
                yield Static("", id="history-summary")
                yield FindBar(placeholder="find in the diff: regex · enter keeps · esc clears · n / N", id="history-find")
                yield YamlView(diff=True, id="doc-view")
        yield Footer()

    @property
    def table(self) -> DataTable:
        return self.query_one("#history-table", DataTable)

    def _title(self, suffix: str = "loading…") -> str:
        what = f"{self.kind or 'workload'} {self.ns}/{self.target}"
        live = " · [b]live[/]" if self.live else ""
        return (f"[b]rollout history[/] {what}{live}  [dim]{suffix} · space mark · enter vs current · / find · y copy diff · "
                f"esc back[/]")

    def on_mount(self) -> None:
        super().on_mount()
        self.table.focus()
        self.load()
        # A rollout while the screen is open shows up with no key pressed (coalesced reloads).
        self.set_interval(0.5, self._reload_if_dirty)

    def on_unmount(self) -> None:
        if self._listen_task is not None:
            self._listen_task.cancel()

    def _follow(self) -> None:
        """Listen to the change feed of the workload's kind and of its revisions (a plain task, like
        the pods pane's: it never finishes)."""
        if self._listen_task is not None or self.kind not in _FEEDS:
            return
        uris = [f"k8s://{plural}/{self.ns}" for plural in _FEEDS[self.kind]]

        def on_update(_uri: str) -> None:
            self._dirty = True

        watching = False

        def on_state(open_: bool) -> None:
            # "live" only when the server watches the cluster: a fixture's feed is open but never changes.
            self.live = open_ and watching
            self._retitle()

        async def follow() -> None:
            nonlocal watching
            try:
                watching = bool(json.loads(await self.app.host.read_resource(uris[0])).get("watching"))
            except Exception:  # noqa: BLE001 - an older server, or none yet: not live, the screen still loads
                watching = False
            try:
                await self.app.host.listen_resources(uris, on_update, on_state=on_state)
            except asyncio.CancelledError:
                pass

        self._listen_task = asyncio.get_running_loop().create_task(follow(), name="history-listen")

    def _reload_if_dirty(self) -> None:
        if self._dirty and self.history is not None:
            self._dirty = False
            self.load()

    # data ----------------------------------------------------------------------------
    async def _call(self, arguments: dict[str, Any]) -> dict[str, Any] | None:
        result = await self.app.host.call_tool(Tool.GET_ROLLOUT_HISTORY, arguments)
        if not result.ok:
            self.show_error(f"{Tool.GET_ROLLOUT_HISTORY}: {error_text(result)}")
            return None
        return result.payload() or {}

    async def _resolve_pod(self) -> bool:
        """A pod's row: the history of the workload that runs it."""
        result = await self.app.host.call_tool(Tool.GET_OBJECT, {"kind": "Pod", "name": self.pod, "namespace": self.ns})
        if not result.ok:
            self.show_error(f"{Tool.GET_OBJECT}: {error_text(result)}")
            return False
        owner = owner_of((result.payload() or {}).get("object") or {})
        if owner is None or owner[0] not in HISTORY_KINDS:
            self.show_error(f"pod {self.pod} is not run by a Deployment, StatefulSet or DaemonSet"
                            + (f" (its owner is {owner[0]} {owner[1]})" if owner else " (it has no owner)")
                            + ": no rollout history")
            return False
        self.kind, self.target = owner
        return True

    def _args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"namespace": self.ns, "name": self.target}
        if self.kind in HISTORY_KINDS:
            args["kind"] = self.kind
        return args

    @work(exclusive=True, group="history", exit_on_error=False)
    async def load(self) -> None:
        """The revisions (again, after a change in the feed); the diff moves with the current revision
        unless the user picked two."""
        title = self.query_one("#history-title", Static)
        if self.pod and not await self._resolve_pod():
            title.update(self._title("no history"))
            return
        self.pod = None  # resolved once: a reload reads the workload
        res = await self._call(self._args())
        if res is None:
            title.update(self._title("error"))
            return
        before = self.history
        self.history = res
        self.kind = res.get("kind") or self.kind
        self.show_error(res.get("note"))
        self._retitle()
        self._render_rows()
        self._follow()
        numbers = [r["revision"] for r in self.revisions]
        current = self.current
        if before is not None and not self.following_default and self.pair and set(self.pair) <= set(numbers):
            return  # the user's pick still stands: old revisions do not change
        self.following_default = True
        if current in numbers and numbers.index(current) > 0:
            pair = (numbers[numbers.index(current) - 1], current)
        elif len(numbers) >= 2:
            pair = (numbers[-2], numbers[-1])
        else:
            self.pair, self.comparison = None, None
            self.view.set_lines([])
            self._show_summary(Text("only one revision is kept: nothing to compare"
                                    if numbers else "no revisions kept", style="dim"))
            return
        if pair != self.pair or before is None:
            self.compare(*pair)

    def _retitle(self) -> None:
        if self.history is None:
            return
        revs, current = self.revisions, self.current
        config_only = self.history.get("config_only_revisions") or []
        self.query_one("#history-title", Static).update(self._title(
            f"{len(revs)} revisions · current {current}" + (f" · config-only: {', '.join(map(str, config_only))}" if config_only else "")))

    @property
    def revisions(self) -> list[dict[str, Any]]:
        return list((self.history or {}).get("revisions") or [])

    @property
    def current(self) -> int | None:
        return (self.history or {}).get("current_revision")

    def _render_rows(self) -> None:
        colours = palette(self.app)
        table = self.table
        keep = table.cursor_row if table.row_count else 0
        table.clear()
        for rev in reversed(self.revisions):
            n = rev["revision"]
            kind = ((rev.get("diff") or {}).get("change_kind")) or "—"
            config = kind == "config-only"
            mark = ("●" if rev.get("current") else " ") + ("◆" if n in self.marked else " ")
            row_style = Style(color=colours["log-warn"], bold=True) if config else Style()
            change = Text(kind.upper() if config else kind, style=row_style)
            table.add_row(Text(mark, style=Style(color=colours["pod-running"])), Text(str(n), style=row_style), change,
                          images(rev), f"{rev.get('age') or '?'} ago", (rev.get("change_cause") or "")[:80], key=str(n))
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)

    def highlighted_revision(self) -> int | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key
        return int(str(key.value))

    # picking two revisions ------------------------------------------------------------
    def action_mark(self) -> None:
        n = self.highlighted_revision()
        if n is None:
            return
        if n in self.marked:
            self.marked.remove(n)
        else:
            self.marked = (self.marked + [n])[-2:]
        self._render_rows()
        if len(self.marked) == 2:
            self.following_default = False
            self.compare(*sorted(self.marked))
        elif len(self.marked) == 1 and self.current is not None and self.marked[0] != self.current:
            self.following_default = False
            self.compare(*sorted((self.marked[0], self.current)))

    def action_compare_current(self) -> None:
        n = self.highlighted_revision()
        numbers = [r["revision"] for r in self.revisions]
        if n is None or self.current is None:
            return
        if n == self.current:
            i = numbers.index(n)
            if i == 0:
                self.app.notify("the current revision is the oldest kept: nothing before it", severity="warning")
                return
            n = numbers[i - 1]
        self.following_default = False
        self.compare(*sorted((n, self.current)))

    def action_switch_focus(self) -> None:
        (self.view if self.table.has_focus else self.table).focus()

    @work(exclusive=True, group="compare", exit_on_error=False)
    async def compare(self, a: int, b: int) -> None:
        self.pair = (a, b)
        self._show_summary(Text(f"revision {a} → {b}: comparing…", style="dim"))
        res = await self._call({**self._args(), "kind": self.kind, "compare": [a, b]})
        if res is None or self.pair != (a, b):
            return
        self.comparison = res.get("comparison") or {}
        self._show_comparison(self.comparison)

    def _show_summary(self, text: Text) -> None:
        self.query_one("#history-summary", Static).update(text)

    def _show_comparison(self, c: dict[str, Any]) -> None:
        colours = palette(self.app)
        kind = c.get("change_kind") or "none"
        text = Text()
        text.append(f"revision {c.get('from')} → {c.get('to')}: ", style=Style(bold=True))
        if kind == "config-only":
            text.append("CONFIG-ONLY", style=Style(color="black", bgcolor=colours["log-warn"], bold=True))
            text.append("  same images, new configuration", style=Style(color=colours["log-warn"]))
        else:
            text.append(kind, style=Style(bold=True, color=colours["log-info"]))
        for line in c.get("changes") or []:
            area = line.split(" ", 1)[0]
            style = Style(color=colours["log-warn"]) if area in ("env", "ConfigMap", "Secret", "annotations", "configmap") else Style()
            text.append("\n  • ")
            text.append(line, style=style)
        if not c.get("changes"):
            text.append("\n  no change in images, env, resources, probes or references", style="dim")
        self._show_summary(text)
        diff = str(c.get("yaml_diff") or "")
        self.view.set_lines(diff.splitlines() if diff else ["(the pod templates are the same)"])
        self.view.scroll_home(animate=False)

    def summary_text(self) -> str:
        return str(self.query_one("#history-summary", Static).render())

    def copy_text(self) -> str:
        c = self.comparison or {}
        head = [f"{self.kind} {self.ns}/{self.target}: revision {c.get('from')} → {c.get('to')} ({c.get('change_kind')})"]
        return "\n".join(head + [f"  {line}" for line in c.get("changes") or []] + [""] + self.view.lines)

    def action_back(self) -> None:
        if self.focused is self.find_bar:
            super().action_back()
            return
        self.app.pop_screen()

    @on(DataTable.RowSelected, "#history-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_compare_current()


def parse_target(words: tuple[str, ...] | list[str], selected: Ref | None, namespace: str) -> tuple[str | None, str, str, bool] | str:
    """`:history` words → (kind or None, namespace, name, is_pod), or what is wrong.

    none: the selected row (a workload, or a pod: its owner); `NAME [NS]`; `KIND/NAME [NS]`.
    """
    words = [w for w in words if w]
    if not words:
        if selected is None:
            return "no workload under the cursor: select a row, or :history NAME [NS]"
        kind, ns, name = selected
        if kind == "Pod":
            return None, ns or namespace, name, True
        if kind not in HISTORY_KINDS:
            return f"{kind} {name} has no rollout history: Deployments, StatefulSets and DaemonSets do"
        return kind, ns or namespace, name, False
    if len(words) > 2:
        return "usage: :history [NAME [NS]]"
    kind: str | None = None
    name = words[0]
    if "/" in name:
        k, _, name = name.partition("/")
        kind = _SHORT.get(k.lower()) or (k if k in HISTORY_KINDS else None)
        if kind is None:
            return f"{k}: rollout history is for deploy, sts or ds"
    return kind, (words[1] if len(words) > 1 else namespace), name, False


def open_history(screen: Any, words: tuple[str, ...]) -> None:
    """The `history` action: the rollout history of the selected or named workload."""
    target = parse_target(words, screen.selected_ref() if not words else None, screen.app.namespace)
    if isinstance(target, str):
        screen.app.notify(target, severity="warning")
        return
    kind, namespace, name, is_pod = target
    if namespace == "*":
        screen.app.notify(f"all namespaces are shown: say which one, :history {name} NS", severity="warning")
        return
    if is_pod:
        screen.app.push_screen(HistoryScreen(namespace, name="", pod=name))
    else:
        screen.app.push_screen(HistoryScreen(namespace, name, kind=kind))
