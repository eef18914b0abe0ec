"""The main screen: the panes' layout, what moves between them, and every action's handler.

Bindings, the palette, `:` commands and tab titles come from `sre_console.actions`;
this screen implements the handlers they name. Focus model: Escape always goes back
toward the panes (it cancels an investigation only while one runs); opening a tab
focuses its main widget.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane

from sre_console import actions as A
from sre_console.screens.command import CommandScreen
from sre_console.screens.contexts import context_palette_commands, open_context_picker
from sre_console.screens.help import HelpScreen
from sre_console.screens.related import RelatedRunbooksScreen
from sre_console.screens.serverlog import ServerLogScreen
from sre_console.settings import frozen
from sre_console.widgets.describe import DescribePane
from sre_console.widgets.events import EventsPane
from sre_console.widgets.health import HealthPane
from sre_console.widgets.logs import LogsPane
from sre_console.widgets.metrics import MetricsPane
from sre_console.widgets.pane import Pane
from sre_console.widgets.pods import ALL_NAMESPACES, PodsPane
from sre_console.widgets.resources import ResourceView
from sre_console.widgets.runbooks import RunbooksPane
from sre_console.widgets.statusbar import StatusBar


log = logging.getLogger("sre_console.main")
TAB_ID = {name: f"tab-{name}" for name in A.TAB_LABELS}
# The widget a tab's key lands on: reading keys (arrows, enter) work at once.
TAB_FOCUS = {"logs": "#log-view", "describe": "#describe-scroll", "events": "#events-table", "runbooks": "#runbooks-list",
             "metrics": "#metrics-scroll", "chat": "#chat-input"}


class MainScreen(Screen[None]):
    BINDINGS = A.bindings("screen")
    app: Any  # the SREConsoleApp (not imported: app.py imports this screen, imports run one way)

    def __init__(self, namespace: str, chat_factory: Callable[[Any], Widget] | None = None):
        super().__init__(id="main")
        self.namespace = namespace
        self.chat_factory = chat_factory
        self.related: list[dict] = []  # runbooks attached to recent results, newest first
        self._before_all: str | None = None  # the namespace `0` returns to

    # layout -------------------------------------------------------------------
    def tab_title(self, name: str) -> str:
        return f"{A.TAB_LABELS[name]} [dim]{A.key_text(A.TABS[name], self.app.keymap)}[/]"

    def compose(self) -> ComposeResult:
        yield Static("", id="banner")
        with Horizontal(id="top"):
            yield HealthPane(id="health")
            yield PodsPane(namespace=self.namespace, id="pods")
            # A cluster view (`:deploy`, `:svc`…) takes the pods pane's place, as k9s swaps its main table.
            view = ResourceView(namespace=self.namespace, id="resources")
            view.display = False
            yield view
        with TabbedContent(id="bottom", initial=TAB_ID["logs"]):
            with TabPane(self.tab_title("logs"), id=TAB_ID["logs"]):
                yield LogsPane(id="logs")
            with TabPane(self.tab_title("describe"), id=TAB_ID["describe"]):
                yield DescribePane(id="describe")
            with TabPane(self.tab_title("events"), id=TAB_ID["events"]):
                yield EventsPane(namespace=self.namespace, id="events")
            with TabPane(self.tab_title("runbooks"), id=TAB_ID["runbooks"]):
                yield RunbooksPane(id="runbooks")
            with TabPane(self.tab_title("metrics"), id=TAB_ID["metrics"]):
                yield MetricsPane(id="metrics")
            with TabPane(self.tab_title("chat"), id=TAB_ID["chat"]):
                with Vertical(id="chat-pane"):
                    yield self._chat_widget()
        yield StatusBar(id="status")
        yield Footer()

    def _chat_widget(self) -> Widget:
        """The chat pane; a placeholder when it cannot be built (the console runs without it)."""
        try:
            if self.chat_factory is not None:
                return self.chat_factory(self.app)
            from sre_console.widgets.chat import ChatPane

            return ChatPane()
        except Exception as exc:  # noqa: BLE001 - the console must run without the chat pane
            log.warning("chat pane unavailable: %s", exc)
            return Static("Chat: investigations appear here.", id="chat-placeholder")

    def on_mount(self) -> None:
        if frozen():  # snapshots: a steady cursor
            for box in self.query(Input):
                box.cursor_blink = False
        self.pods.table.focus()

    # panes --------------------------------------------------------------------
    @property
    def pods(self) -> PodsPane:
        return self.query_one("#pods", PodsPane)

    @property
    def resources(self) -> ResourceView:
        return self.query_one("#resources", ResourceView)

    @property
    def view_shown(self) -> bool:
        """A cluster view is where the pods pane usually is."""
        return bool(self.resources.display)

    def _show_top(self, view: bool) -> None:
        self.pods.display = not view
        self.resources.display = view
        if not view:
            self.resources.hide_view()

    def top_list(self) -> PodsPane | ResourceView:
        return self.resources if self.view_shown else self.pods

    def selected_ref(self) -> tuple[str, str | None, str] | None:
        """(Kind, namespace or None, name) of the object under the cursor of the focused list; when
        no list has focus, of the list in the top-right place (the pods pane unless a view replaced it)."""
        for pane in (self.resources, self.pods):
            if pane.display and self._focus_within(pane):
                return pane.selected_ref()
        return self.top_list().selected_ref()

    @property
    def logs(self) -> LogsPane:
        return self.query_one("#logs", LogsPane)

    @property
    def describe(self) -> DescribePane:
        return self.query_one("#describe", DescribePane)

    @property
    def events(self) -> EventsPane:
        return self.query_one("#events", EventsPane)

    @property
    def health(self) -> HealthPane:
        return self.query_one("#health", HealthPane)

    @property
    def runbooks(self) -> RunbooksPane:
        return self.query_one("#runbooks", RunbooksPane)

    @property
    def chat(self) -> Any | None:
        from sre_console.widgets.chat import ChatPane

        found = self.query(ChatPane)
        return found.first() if found else None

    @property
    def banner(self) -> Static:
        return self.query_one("#banner", Static)

    @property
    def active_tab(self) -> str:
        active = self.query_one("#bottom", TabbedContent).active
        return next((name for name, tab in TAB_ID.items() if tab == active), "logs")

    def refresh_status(self) -> None:
        for bar in self.query(StatusBar):
            bar.refresh_status()

    # loading ------------------------------------------------------------------
    def load_everything(self, services: list[dict] | None) -> None:
        self.refresh_panes(everything=True, services=services)

    def refresh_panes(self, everything: bool = False, services: list[dict] | None = None) -> None:
        if self.pods.namespace != self.app.namespace:
            self.pods.namespace = self.app.namespace
        self.events.namespace = self.app.namespace
        self.health.load(services)
        self.pods.load()
        if self.view_shown:
            self.resources.load()
        self.events.load()
        if self.describe.target:
            self.describe.load()
        if self.logs.source and (everything or self.logs.view.follow):
            self.logs.load()
        if everything:
            self.runbooks.load()
        self.refresh_status()

    def set_namespace(self, namespace: str) -> None:
        app = self.app
        app.namespace = namespace
        if namespace not in app.namespaces and namespace != ALL_NAMESPACES:
            app.namespaces.append(namespace)
        self.pods.set_namespace(namespace)
        self.resources.set_namespace(namespace)
        self.events.set_namespace(namespace)
        self.refresh_status()

    @on(PodsPane.PodHighlighted)
    def _pod_highlighted(self, event: PodsPane.PodHighlighted) -> None:
        # Both panes load at once, each in its own exclusive worker, so moving fast
        # through the list cancels stale calls instead of queueing them.
        self.logs.show_pod(event.namespace, event.pod)
        self.describe.show_pod(event.namespace, event.pod)

    @on(ResourceView.ShowPods)
    def _view_pods(self, event: ResourceView.ShowPods) -> None:
        """`enter` on a view's row: the pods pane, only that workload's (Service's, node's…) pods;
        `esc` goes back to the view."""
        if event.namespace is not None and self.app.namespace not in (ALL_NAMESPACES, event.namespace):
            self.set_namespace(event.namespace)
        self._show_top(view=False)
        self.pods.set_scope(event.pods)
        self.pods.table.focus()

    @on(HealthPane.ServiceHighlighted)
    def _service_highlighted(self, event: HealthPane.ServiceHighlighted) -> None:
        self.query_one("#metrics", MetricsPane).show_row(event.row)

    @on(HealthPane.ServiceChosen)
    def _service_chosen(self, event: HealthPane.ServiceChosen) -> None:
        if event.namespace and event.namespace != self.app.namespace:
            self.set_namespace(event.namespace)
        if self.view_shown:  # the filtered pods must be on screen, not behind a view
            self._show_top(view=False)
        self.pods.apply_filter(event.service.split("-")[0])
        self.logs.show_service(event.service)
        self.show_tab("logs")

    def add_related(self, tool: str, rel: dict) -> None:
        signals = rel.get("signals") or []
        for rb in reversed(rel.get("runbooks") or []):
            entry = {**rb, "tool": tool, "signals": [s if isinstance(s, str) else s.get("name", str(s)) for s in signals]}
            self.related = [r for r in self.related if r.get("runbook_id") != rb.get("runbook_id")]
            self.related.insert(0, entry)
        del self.related[20:]

    def server_state(self, server: str, state: str, message: str | None, down: set[str]) -> None:
        banner = self.banner
        if down:
            detail = f": {message}" if message and server in down else ""
            name = server if server in down else sorted(down)[0]
            key = A.key_text(A.BY_ID["serverlog"], self.app.keymap)
            banner.update(f"⚠ server [b]{name}[/] is {state if server in down else 'down'}{detail} — "
                          f"panes will refill when it is back ({key}: server log)")
            banner.add_class("-shown")
        else:
            banner.remove_class("-shown")

    # tabs and focus -------------------------------------------------------------
    def show_tab(self, name: str) -> None:
        self.query_one("#bottom", TabbedContent).active = TAB_ID[name]

    def open_tab(self, name: str) -> None:
        """Show a tab and put the cursor on its main widget."""
        self.show_tab(name)
        found = self.query(TAB_FOCUS[name])
        if found:
            found.first().focus()
        elif name == "chat":
            focusable = [w for w in self.query_one("#chat-pane").query("*") if w.focusable]
            if focusable:
                focusable[0].focus()

    def _focus_within(self, widget: Widget) -> bool:
        focused = self.focused
        return focused is not None and (focused is widget or widget in focused.ancestors)

    def _selected_pod(self) -> tuple[str, str] | None:
        return self.pods.selected_pod()

    def _pod_namespace(self, pod: str) -> str | None:
        """A named pod's namespace: the current one, or across namespaces the one the pods pane shows it in."""
        if self.app.namespace != ALL_NAMESPACES:
            return self.app.namespace
        found = self.pods.namespace_of(pod)
        if found is None:
            self.app.notify(f"no pod {pod!r} in the pods pane: name its namespace", severity="warning")
        return found

    # actions: the handlers named in sre_console.actions -----------------------------
    def action_command(self) -> None:
        def done(text: str | None) -> None:
            if text:
                self.run_command(text)

        self.app.push_screen(CommandScreen(), done)

    def action_filter(self) -> None:
        if self._focus_within(self.logs):
            self.logs.open_find()
        elif self._focus_within(self.runbooks):
            self.query_one("#runbooks-search", Input).focus()
        else:
            self.top_list().open_filter()

    def action_back(self) -> None:
        """Escape: one step back toward the panes; never a trap."""
        focused = self.focused
        if focused is not None and focused.id == "pods-filter":
            self.pods.close_filter(clear=True)
        elif focused is not None and focused.id == "resources-filter":
            self.resources.close_filter(clear=True)
        elif focused is not None and focused.id == "logs-find":
            self.logs.close_find(clear=True)
        elif focused is not None and focused.id == "runbooks-search":
            self.query_one("#runbooks-list").focus()
        elif self.maximized is not None:
            self.minimize()
        elif self.pods.filter_text and self._focus_within(self.pods):
            self.pods.close_filter(clear=True)
        elif self.view_shown and self.resources.filter_text and self._focus_within(self.resources):
            self.resources.close_filter(clear=True)
        elif (self.pods.scope is not None and self.resources.spec is not None and not self.view_shown
              and self._focus_within(self.pods)):
            self.action_view(self.resources.spec.name)  # back from a workload's pods to the view (k9s)
        else:
            self.top_list().table.focus()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.app.keymap))

    def action_health(self) -> None:
        self.query_one("#health-table").focus()

    def action_pods(self, namespace: str | None = None) -> None:
        if namespace:
            self.set_namespace(namespace)
        if self.view_shown:
            self._show_top(view=False)
        elif not namespace and self._focus_within(self.pods):
            self.pods.set_scope(None)  # on the pods of one workload: all of them again
        self.pods.table.focus()

    def action_sort_next(self, column: str | None = None) -> None:
        """`>` / `:sort COLUMN`: the list on screen top right (pods or a view) sorts itself."""
        self.top_list().sort_next(column)

    def action_sort_reverse(self) -> None:
        self.top_list().sort_reversed()

    def action_view(self, kind: str, namespace: str | None = None) -> None:
        """A cluster view (`:deploy`, `:svc`…, see sre_console.views) in the pods pane's place."""
        if namespace:
            self.set_namespace(namespace)
        self.pods.set_scope(None)
        self._show_top(view=True)
        self.resources.show(kind, self.app.namespace)
        self.resources.table.focus()

    def action_namespace(self, step: int) -> None:
        app = self.app
        if app.namespaces:
            i = app.namespaces.index(app.namespace) if app.namespace in app.namespaces else -1
            self.set_namespace(app.namespaces[(i + step) % len(app.namespaces)])

    def action_set_namespace(self, namespace: str) -> None:
        self.set_namespace(namespace)

    def action_all_namespaces(self) -> None:
        """k9s `0`: every namespace the server may read; again: back to the namespace before."""
        app = self.app
        if app.namespace == ALL_NAMESPACES:
            self.set_namespace(self._before_all or (app.namespaces[0] if app.namespaces else "default"))
        else:
            self._before_all = app.namespace
            self.set_namespace(ALL_NAMESPACES)

    def action_maximize(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        # The pane around the cursor (not the table inside it): its title and messages come along.
        pane = next((w for w in ([focused, *focused.ancestors] if focused else [])
                     if isinstance(w, Pane) or (w is not None and w is self.chat)), None)
        if pane is not None:
            self.maximize(pane, container=False)

    def action_logs(self, pod: str | None = None, namespace: str | None = None) -> None:
        if pod:
            ns = namespace or self._pod_namespace(pod)
            if ns is None:
                return
            self.logs.show_pod(ns, pod)
            self.pods.select(pod)
        else:
            target = self._selected_pod()
            if target and (self.logs.source is None or self.logs.source.name != target[1] or self.logs.source.previous):
                self.logs.show_pod(*target)
        self.open_tab("logs")

    def action_describe(self, pod: str | None = None) -> None:
        if pod:
            ns = self._pod_namespace(pod)
            if ns is None:
                return
            self.describe.show_pod(ns, pod)
            self.pods.select(pod)
        else:
            target = self._selected_pod()
            if target and self.describe.target != target:
                self.describe.show_pod(*target)
        self.open_tab("describe")

    def action_events(self, namespace: str | None = None) -> None:
        if namespace:
            self.set_namespace(namespace)
        self.open_tab("events")

    def action_runbooks(self, *query: str) -> None:
        self.open_tab("runbooks")
        if query:
            self.runbooks.search(" ".join(query))

    def action_metrics(self, service: str | None = None) -> None:
        """The metrics tab: the highlighted service, or the one named (`:metrics payment-gateway`)."""
        pane = self.query_one("#metrics", MetricsPane)
        row = next((r for r in self.health.rows if r.get("service") == service), None) if service else self.health.highlighted_row()
        if service and row is None:
            known = ", ".join(sorted(str(r.get("service")) for r in self.health.rows))
            pane.message.show(f"no service {service!r} in the health pane (services: {known})", error=True)
        elif row is not None:
            pane.show_row(row)
        self.open_tab("metrics")

    def action_chat(self) -> None:
        self.open_tab("chat")

    def action_previous_logs(self) -> None:
        target = self._selected_pod()
        src = self.logs.source
        if src and src.kind == "pod" and (target is None or src.name == target[1]):
            self.logs.toggle_previous()
        elif target:
            self.logs.show_pod(*target, previous=True)
        self.open_tab("logs")

    def action_toggle_log(self, attr: str) -> None:
        self.logs.toggle(attr)

    def action_log_window(self, window: str) -> None:
        problem = self.logs.set_window(window)
        if problem:
            self.app.notify(problem, severity="warning")

    def action_log_level(self) -> None:
        problem = self.logs.cycle_level()
        if problem:
            self.app.notify(problem, severity="warning")

    def action_find(self) -> None:
        self.open_tab("logs")
        self.logs.open_find()

    def action_find_next(self) -> None:
        self.logs.next_match()

    def action_find_prev(self) -> None:
        self.logs.next_match(backwards=True)

    def pane_text(self) -> tuple[str, str]:
        """What `y` copies: the tab in view's own copy text, (text, what it is)."""
        pane = {"logs": self.logs, "describe": self.describe, "events": self.events, "runbooks": self.runbooks,
                "chat": self.chat}.get(self.active_tab)
        copy = getattr(pane, "copy_text", None)
        return copy() if copy else ("", "")

    def action_copy_pane(self) -> None:
        text, what = self.pane_text()
        if not text:
            self.app.notify("nothing to copy here: open logs, describe, events or a runbook", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.app.notify(f"copied {what} to the clipboard")

    def action_yaml(self, *words: str) -> None:
        from sre_console.screens.yaml import open_yaml

        open_yaml(self, words)

    def action_history(self, *words: str) -> None:
        from sre_console.screens.history import open_history

        open_history(self, words)

    def action_related_runbooks(self) -> None:
        def opened(choice: dict | None) -> None:
            if choice:
                self.show_tab("runbooks")
                self.runbooks.open(choice.get("uri") or f"runbook://{choice.get('runbook_id')}", choice.get("section"))

        self.app.push_screen(RelatedRunbooksScreen(self.related), opened)

    def action_investigate(self, service: str | None = None) -> None:
        """The guided flow, preselecting the given service or the one under the health cursor."""
        from sre_console.widgets.chat import open_guided

        open_guided(self.app, preselect=service or self.health.selected_service())

    def _chat_or_warn(self) -> Any | None:
        chat = self.chat
        if chat is None:
            self.app.notify("the chat pane is not available", severity="warning")
        return chat

    def action_export(self) -> None:
        chat = self._chat_or_warn()
        if chat is not None:
            self.app.notify(chat.export(), timeout=6)

    def action_copy_report(self) -> None:
        chat = self._chat_or_warn()
        if chat is not None:
            self.app.notify(chat.copy_report())

    def action_refresh(self) -> None:
        self.refresh_panes(everything=True)
        self.app.notify("refreshing", timeout=1)

    def action_toggle_auto_refresh(self) -> None:
        self.app.auto_paused = not self.app.auto_paused
        self.refresh_status()

    def action_server_log(self) -> None:
        if isinstance(self.app.screen, ServerLogScreen):
            self.app.pop_screen()
        else:
            self.app.push_screen(ServerLogScreen())

    def action_ctx(self, name: str | None = None) -> None:
        """`:ctx` picks a kube context from the kubeconfig; `:ctx NAME` switches (app.switch_context)."""
        if name:
            self.app.switch_context(name)
        else:
            open_context_picker(self.app)

    def forget_cluster(self) -> None:
        """Every pane drops what it read (a context switch); they reload when the server is up."""
        for pane in self.query(Pane):
            pane.forget()
        self.related = []
        self.refresh_status()

    def action_theme(self, name: str) -> None:
        if name in self.app.available_themes:
            self.app.theme = name
        else:
            self.app.notify(f"no theme {name!r}; themes: {', '.join(sorted(self.app.theme_specs))}", severity="error")

    # `:` commands -------------------------------------------------------------------
    def run_command(self, text: str) -> None:
        """Run a `:` line: the verb's action with the line's words as its arguments."""
        verb, args = A.parse_command(text)
        if not verb:
            return
        action = A.VERBS.get(verb)
        if action is None:
            key = A.key_text(A.BY_ID["help"], self.app.keymap)
            self.app.notify(f"unknown command :{verb}  ({key} for help)", severity="warning")
            return
        self.run_action_with_args(action, args)

    def run_action_with_args(self, action: A.Action, args: list[str]) -> None:
        import ast

        name, _, params = action.handler.partition("(")
        fixed = list(ast.literal_eval(f"({params.rstrip(')')},)")) if params.rstrip(")") else []
        target: Any = self.app if name.startswith("app.") else self.action_target(action)
        method = getattr(target, f"action_{name.removeprefix('app.')}", None) if target is not None else None
        if method is None:
            self.app.notify(f":{action.verbs[0]} is not available here", severity="error")
            return
        try:
            import inspect

            inspect.signature(method).bind(*fixed, *args)
        except TypeError:
            usage = f":{action.verbs[0]} {action.usage}".strip()
            self.app.notify(f"usage: {usage}", severity="warning")
            return
        result = method(*fixed, *args)
        if inspect.isawaitable(result):  # e.g. App.action_quit
            self.run_worker(result, exit_on_error=False)

    # palette --------------------------------------------------------------------------
    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        """Every action with the keys of the current keymap, then namespaces, themes and prompts."""
        app = self.app
        cmds: list[tuple[str, str, Callable[[], Any]]] = []
        for action in A.ACTIONS:
            if not action.palette_visible:
                continue
            hints = [h for h in (A.key_text(action, app.keymap), f":{action.verbs[0]}" if action.verbs else "") if h]
            help_text = (action.detail or action.description) + (f"  ({' · '.join(hints)})" if hints else "")
            cmds.append((action.title, help_text, lambda a=action: self._run_from_palette(a)))
        try:
            from sre_console.widgets.chat import chat_palette_commands

            cmds += chat_palette_commands(app)
        except ImportError:  # the chat pane is optional in tests that build the app without it
            pass
        for ns in app.namespaces:
            cmds.append((f"Namespace: {ns}", "switch pods and events to this namespace", lambda ns=ns: self.set_namespace(ns)))
        for name in app.theme_specs:
            cmds.append((f"Theme: {name}", "switch theme (remembered)", lambda name=name: setattr(app, "theme", name)))
        cmds += context_palette_commands(app)
        return cmds

    def action_target(self, action: A.Action) -> Any | None:
        """Where an action's handler lives: this screen, or the pane of its scope."""
        if action.scope == "screen":
            return self
        return {"pods": self.pods, "resources": self.resources, "events": self.events, "chat": self.chat}.get(action.scope)

    def _run_from_palette(self, action: A.Action) -> None:
        # The palette runs an action whatever has focus: the same path as a `:` command.
        self.run_action_with_args(action, [])
