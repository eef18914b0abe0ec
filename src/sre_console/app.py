"""The Textual app: panes fed by MCP tool calls through one host, k9s keys, themes as data.

`SREConsoleApp(host_factory=...)` takes a factory so tests build it around any host;
`run_app(server_args, ...)` is what the CLI calls. The host starts in a worker at
mount, so the first frame never waits for a server.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any, Callable

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane

from sre_console.host.config import BUILTIN, ConfigError, audit_log_for, builtin_server, load_servers
from sre_console.host.host import HostEvent, McpHost
from sre_console.screens.approval import ApprovalScreen
from sre_console.screens.command import CommandScreen, parse_command
from sre_console.screens.help import HelpScreen
from sre_console.screens.palette import ConsoleCommands
from sre_console.screens.related import RelatedRunbooksScreen
from sre_console.screens.serverlog import ServerLogScreen
from sre_console.settings import DEFAULT_THEME, Settings, frozen
from sre_console.themes import load_themes, palette
from sre_console.widgets.describe import DescribePane, render_describe
from sre_console.widgets.events import EventsPane
from sre_console.widgets.health import HealthPane
from sre_console.widgets.logs import LogsPane
from sre_console.widgets.pods import PodsPane
from sre_console.widgets.runbooks import RunbooksPane
from sre_console.widgets.statusbar import StatusBar

log = logging.getLogger("sre_console.app")
TABS = {"logs": "tab-logs", "describe": "tab-describe", "events": "tab-events", "runbooks": "tab-runbooks", "chat": "tab-chat"}


class HostEventMessage(Message):
    def __init__(self, event: HostEvent):
        super().__init__()
        self.event = event


def scenario_of(server_args: list[str]) -> str | None:
    for i, arg in enumerate(server_args):
        if arg == "--scenario" and i + 1 < len(server_args):
            return Path(server_args[i + 1]).name
        if arg.startswith("--scenario="):
            return Path(arg.split("=", 1)[1]).name
    return None


class SREConsoleApp(App[int]):
    TITLE = "sre-console"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ConsoleCommands}
    BINDINGS = [
        Binding("colon", "command", ":cmd", id="command"),
        Binding("slash", "filter", "/filter", id="filter"),
        Binding("escape", "back", "Back", show=False, id="back"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("l", "logs", "Logs", id="logs"),
        Binding("d", "describe", "Describe", id="describe"),
        Binding("p", "previous_logs", "Prev logs", id="previous"),
        Binding("e", "tab('events')", "Events", id="events"),
        Binding("r", "tab('runbooks')", "Runbooks", id="runbooks"),
        Binding("b", "related_runbooks", "Related rb", id="related"),
        Binding("c", "tab('chat')", "Chat", show=False, id="chat"),
        Binding("s", "toggle_log('follow')", "Follow", show=False, id="follow"),
        Binding("w", "toggle_log('wrap')", "Wrap", show=False, id="wrap"),
        Binding("t", "toggle_log('show_timestamps')", "Timestamps", show=False, id="timestamps"),
        Binding("1", "log_window('15m')", "Logs 15m", show=False, id="window.15m"),
        Binding("2", "log_window('1h')", "Logs 1h", show=False, id="window.1h"),
        Binding("3", "log_window('6h')", "Logs 6h", show=False, id="window.6h"),
        Binding("4", "log_window('24h')", "Logs 24h", show=False, id="window.24h"),
        Binding("5", "log_window('7d')", "Logs 7d", show=False, id="window.7d"),
        Binding("v", "log_level", "Log level", show=False, id="logs.level"),
        Binding("y", "copy_pane", "Copy", show=False, id="copy"),
        Binding("n", "find_next", "Next match", show=False, id="find.next"),
        Binding("N", "find_prev", "Prev match", show=False, id="find.prev"),
        Binding("h", "focus_pane('health')", "Health", show=False, id="focus.health"),
        Binding("o", "focus_pane('pods')", "Pods", show=False, id="focus.pods"),
        Binding("right_square_bracket", "namespace(1)", "Next ns", show=False, id="ns.next"),
        Binding("left_square_bracket", "namespace(-1)", "Prev ns", show=False, id="ns.prev"),
        Binding("ctrl+r,R", "refresh", "Refresh", id="refresh"),
        Binding("A", "toggle_auto_refresh", "Auto-refresh", show=False, id="autorefresh"),
        Binding("S", "server_log", "Server log", show=False, id="serverlog"),
        Binding("i", "investigate", "Investigate", id="investigate"),
        Binding("ctrl+q", "quit", "Quit", id="quit"),
    ]

    def __init__(
        self,
        host_factory: Callable[[], McpHost],
        *,
        settings: Settings | None = None,
        refresh_interval: float | None = None,
        theme: str | None = None,
        scenario: str | None = None,
        namespace: str | None = None,
        chat_factory: Callable[["SREConsoleApp"], Widget] | None = None,
    ):
        super().__init__()
        self.settings = settings or Settings.load()
        self.host: McpHost = host_factory()
        self.host.subscribe(self._host_event)
        self.scenario = scenario
        self.namespace = namespace or "default"
        self._namespace_given = namespace is not None
        self.namespaces: list[str] = [self.namespace]
        self.refresh_interval = self.settings.refresh_interval if refresh_interval is None else refresh_interval
        self.auto_paused = False
        self.related: list[dict] = []  # runbooks attached to recent results, newest first
        self.always_approved: set[str] = set()
        self.chat_factory = chat_factory
        self._down: set[str] = set()
        self._persist_theme = False
        self.theme_specs = load_themes()
        for spec in self.theme_specs.values():
            self.register_theme(spec.to_textual_theme())
        wanted = theme or self.settings.theme
        self.theme = wanted if wanted in self.available_themes else DEFAULT_THEME
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)

    # layout -------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="banner")
        with Horizontal(id="top"):
            yield HealthPane(id="health")
            yield PodsPane(namespace=self.namespace, id="pods")
        with TabbedContent(id="bottom", initial="tab-logs"):
            with TabPane("Logs [dim]l[/]", id="tab-logs"):
                yield LogsPane(id="logs")
            with TabPane("Describe [dim]d[/]", id="tab-describe"):
                yield DescribePane(id="describe")
            with TabPane("Events [dim]e[/]", id="tab-events"):
                yield EventsPane(namespace=self.namespace, id="events")
            with TabPane("Runbooks [dim]r[/]", id="tab-runbooks"):
                yield RunbooksPane(id="runbooks")
            with TabPane("Chat [dim]c[/]", id="tab-chat"):
                with Vertical(id="chat-pane"):
                    yield self._chat_widget()
        yield StatusBar(id="status")
        yield Footer()

    def _chat_widget(self) -> Widget:
        """The chat helper's pane when it is there; a placeholder while it is not."""
        try:
            if self.chat_factory is not None:
                return self.chat_factory(self)
            from sre_console.widgets.chat import ChatPane  # type: ignore[import-not-found]

            return ChatPane()
        except Exception as exc:  # noqa: BLE001 - the console must run without the chat pane
            if not isinstance(exc, ImportError):
                log.warning("chat pane unavailable: %s", exc)
            return Static("Chat: investigations appear here.", id="chat-placeholder")

    def on_mount(self) -> None:
        if frozen():
            for box in self.query(Input):
                box.cursor_blink = False
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._persist_theme = True
        self.query_one("#pods", PodsPane).query_one("#pods-table").focus()
        self._start_host()
        if self.refresh_interval and not frozen():
            self.set_interval(self.refresh_interval, self._auto_refresh, name="auto-refresh")

    @work(exclusive=True, group="host", exit_on_error=False)
    async def _start_host(self) -> None:
        # Servers report "ready" through host events; panes load from there, so a slow
        # or dead server never holds the UI and a restarted one refills the panes.
        await self.host.start()

    async def on_unmount(self) -> None:
        try:
            await asyncio.wait_for(self.host.stop(), 5)
        except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - we are leaving anyway
            pass

    # panes --------------------------------------------------------------------
    def _main(self, selector: str, kind=Widget):
        # Look in the main screen, not the active one: a modal or the server log may be on top.
        return self.screen_stack[0].query_one(selector, kind)

    @property
    def pods(self) -> PodsPane:
        return self._main("#pods", PodsPane)

    @property
    def logs(self) -> LogsPane:
        return self._main("#logs", LogsPane)

    @property
    def describe(self) -> DescribePane:
        return self._main("#describe", DescribePane)

    @property
    def events(self) -> EventsPane:
        return self._main("#events", EventsPane)

    @property
    def health(self) -> HealthPane:
        return self._main("#health", HealthPane)

    @property
    def runbooks(self) -> RunbooksPane:
        return self._main("#runbooks", RunbooksPane)

    @work(exclusive=True, group="initial", exit_on_error=False)
    async def _load_everything(self) -> None:
        listed = await self.host.call_tool("list_services", {})
        services = None
        if listed.ok:
            services = (listed.payload() or {}).get("services") or []
            seen: list[str] = []
            for svc in services:
                ns = svc.get("namespace")
                if ns and ns not in seen:
                    seen.append(ns)
            if seen:
                self.namespaces = seen + [n for n in self.namespaces if n not in seen]
                if not self._namespace_given:
                    # Start where the services are (the first one listed), once.
                    self.namespace = seen[0]
                    self._namespace_given = True
        self.refresh_panes(everything=True, services=services)

    def refresh_panes(self, everything: bool = False, services: list[dict] | None = None) -> None:
        if self.pods.namespace != self.namespace:
            self.pods.namespace = self.namespace
        self.events.namespace = self.namespace
        self.health.load(services)
        self.pods.load()
        self.events.load()
        if self.describe.target:
            self.describe.load()
        if self.logs.source and (everything or self.logs.view.follow):
            self.logs.load()
        if everything:
            self.runbooks.load()
        self._refresh_status()

    def _auto_refresh(self) -> None:
        if not self.auto_paused and self.host.connected:
            self.refresh_panes()

    @on(PodsPane.PodHighlighted)
    def _pod_highlighted(self, event: PodsPane.PodHighlighted) -> None:
        # Both panes load at once, each in its own exclusive worker, so moving fast
        # through the list cancels stale calls instead of queueing them.
        self.logs.show_pod(event.namespace, event.pod)
        self.describe.show_pod(event.namespace, event.pod)

    @on(HealthPane.ServiceChosen)
    def _service_chosen(self, event: HealthPane.ServiceChosen) -> None:
        if event.namespace and event.namespace != self.namespace:
            self.set_namespace(event.namespace)
        self.pods.apply_filter(event.service.split("-")[0])
        self.logs.show_service(event.service)
        self._show_tab("logs")

    def _refresh_status(self) -> None:
        if self.screen_stack and self.is_running:
            for bar in self.screen_stack[0].query(StatusBar):
                bar.refresh_status()

    def set_namespace(self, namespace: str) -> None:
        self.namespace = namespace
        if namespace not in self.namespaces:
            self.namespaces.append(namespace)
        self.pods.set_namespace(namespace)
        self.events.set_namespace(namespace)
        self._refresh_status()

    # host events ----------------------------------------------------------------
    def _host_event(self, event: HostEvent) -> None:
        # Called on our loop by the host (stderr comes via call_soon_threadsafe).
        self.post_message(HostEventMessage(event))

    def on_host_event_message(self, message: HostEventMessage) -> None:
        if not self.screen_stack or not self.is_running:
            return  # shutting down: nothing left to update
        ev = message.event
        if ev.kind == "server":
            self._server_state(ev)
        elif ev.kind == "stderr":
            screen = self.screen
            if isinstance(screen, ServerLogScreen):
                screen.add_line(ev.server, ev.message or "")
        elif ev.kind == "call_finished" and ev.call is not None:
            self._collect_related(ev.call)
            self._refresh_status()

    def _server_state(self, ev: HostEvent) -> None:
        banner = self._main("#banner", Static)
        if ev.state in ("down", "restarting"):
            self._down.add(ev.server)
            detail = f": {ev.message}" if ev.message else ""
            banner.update(f"⚠ server [b]{ev.server}[/] is {ev.state}{detail} — panes will refill when it is back (S: server log)")
            banner.add_class("-shown")
        elif ev.state == "ready":
            was_down = ev.server in self._down
            self._down.discard(ev.server)
            if not self._down:
                banner.remove_class("-shown")
            if ev.server == BUILTIN:
                if was_down:
                    self.notify(f"server {ev.server} is back", timeout=3)
                self._load_everything()
        self._refresh_status()

    def _collect_related(self, call) -> None:
        data = call.structured if isinstance(call.structured, dict) else None
        rel = (data or {}).get("related_runbooks") if data else None
        if not isinstance(rel, dict):
            return
        signals = rel.get("signals") or []
        for rb in reversed(rel.get("runbooks") or []):
            entry = {**rb, "tool": call.tool, "signals": [s if isinstance(s, str) else s.get("name", str(s)) for s in signals]}
            self.related = [r for r in self.related if r.get("runbook_id") != rb.get("runbook_id")]
            self.related.insert(0, entry)
        del self.related[20:]

    # actions ------------------------------------------------------------------------
    def _show_tab(self, name: str) -> None:
        self._main("#bottom", TabbedContent).active = TABS[name]

    def action_tab(self, name: str) -> None:
        self._show_tab(name)
        pane = {"logs": "#log-view", "events": "#events-table", "runbooks": "#runbooks-search", "describe": "#describe-scroll"}.get(name)
        if pane:
            self.query_one(pane).focus()
        elif name == "chat":
            # Straight to the prompt line: `c` then typing must reach the chat, not the panes' keys.
            inputs = self.query("#chat-input")
            focusable = list(inputs) or [w for w in self.query_one("#chat-pane").query("*") if w.focusable]
            if focusable:
                focusable[0].focus()

    def _selected_pod(self) -> tuple[str, str] | None:
        pods = self.pods
        return (pods.namespace, pods.selected) if pods.selected else None

    def action_logs(self) -> None:
        target = self._selected_pod()
        if target and (self.logs.source is None or self.logs.source.name != target[1] or self.logs.source.previous):
            self.logs.show_pod(*target)
        self.action_tab("logs")

    def action_previous_logs(self) -> None:
        target = self._selected_pod()
        src = self.logs.source
        if src and src.kind == "pod" and (target is None or src.name == target[1]):
            self.logs.toggle_previous()
        elif target:
            self.logs.show_pod(*target, previous=True)
        self.action_tab("logs")

    def action_describe(self) -> None:
        target = self._selected_pod()
        if target and self.describe.target != target:
            self.describe.show_pod(*target)
        self.action_tab("describe")

    def action_toggle_log(self, attr: str) -> None:
        self.logs.toggle(attr)

    def pane_text(self) -> tuple[str, str]:
        """What `y` copies from the tab in view: (text, what it is)."""
        active = self._main("#bottom", TabbedContent).active
        if active == TABS["logs"]:
            view = self.logs.view
            if view.matches:
                return "\n".join(view.lines[i] for i in view.matches), f"{len(view.matches)} matching log lines"
            return "\n".join(view.lines), f"{len(view.lines)} log lines"
        if active == TABS["describe"] and self.describe.data:
            return render_describe(self.describe.data, palette(self)).plain, "the describe output"
        if active == TABS["events"]:
            rows = [[str(e.get(k, "")) for k in ("type", "reason", "object", "count", "last_seen", "message")]
                    for e in self.events.events if not self.events.warnings_only or e.get("type") == "Warning"]
            return "\n".join("\t".join(r) for r in rows), f"{len(rows)} events"
        return "", ""

    def action_copy_pane(self) -> None:
        """Copy the logs (or only the find matches), the describe output or the events to the clipboard."""
        text, what = self.pane_text()
        if not text:
            self.notify("nothing to copy here: open logs, describe or events", severity="warning")
            return
        self.copy_to_clipboard(text)
        self.notify(f"copied {what} to the clipboard")

    def action_log_window(self, window: str) -> None:
        if not self.logs.set_window(window):
            self.notify("time windows apply to a service's logs: enter on a service in the health pane", severity="warning")

    def action_log_level(self) -> None:
        if not self.logs.cycle_level():
            self.notify("the level filter applies to a service's logs: enter on a service in the health pane", severity="warning")

    def action_find_next(self) -> None:
        self.logs.next_match()

    def action_find_prev(self) -> None:
        self.logs.next_match(backwards=True)

    def action_focus_pane(self, name: str) -> None:
        self.query_one("#health-table" if name == "health" else "#pods-table").focus()

    def action_namespace(self, step: int) -> None:
        if self.namespaces:
            i = self.namespaces.index(self.namespace) if self.namespace in self.namespaces else -1
            self.set_namespace(self.namespaces[(i + step) % len(self.namespaces)])

    def _focus_within(self, widget: Widget) -> bool:
        focused = self.focused
        return focused is not None and (focused is widget or widget in focused.ancestors)

    def action_filter(self) -> None:
        if self._focus_within(self.logs):
            self.logs.open_find()
        elif self._focus_within(self.runbooks):
            self.query_one("#runbooks-search", Input).focus()
        else:
            self.pods.open_filter()

    def action_back(self) -> None:
        focused = self.focused
        if focused is not None and focused.id == "pods-filter":
            self.pods.close_filter(clear=True)
        elif focused is not None and focused.id == "logs-find":
            self.logs.close_find(clear=True)
        elif self.pods.filter_text and self._focus_within(self.pods):
            self.pods.close_filter(clear=True)
        else:
            self.pods.table.focus()

    def action_refresh(self) -> None:
        self.refresh_panes(everything=True)
        self.notify("refreshing", timeout=1)

    def action_toggle_auto_refresh(self) -> None:
        self.auto_paused = not self.auto_paused
        self._refresh_status()

    def action_server_log(self) -> None:
        if isinstance(self.screen, ServerLogScreen):
            self.pop_screen()
        else:
            self.push_screen(ServerLogScreen())

    def action_help(self) -> None:
        keymap = self.settings.keymap
        rows = []
        for widget_cls in (type(self), PodsPane, EventsPane):
            for b in widget_cls.BINDINGS:
                if isinstance(b, Binding) and b.id:
                    rows.append((keymap.get(b.id, b.key), b.description, b.id))
        self.push_screen(HelpScreen(rows))

    def action_related_runbooks(self) -> None:
        def opened(choice: dict | None) -> None:
            if choice:
                self._show_tab("runbooks")
                self.runbooks.open(choice.get("uri") or f"runbook://{choice.get('runbook_id')}", choice.get("section"))

        self.push_screen(RelatedRunbooksScreen(self.related), opened)

    def action_command(self) -> None:
        def done(text: str | None) -> None:
            if text:
                self.run_command(text)

        self.push_screen(CommandScreen(), done)

    def run_command(self, text: str) -> None:
        """k9s-style commands; also used by tests and the palette."""
        verb, args = parse_command(text)
        if verb == "q":
            self.exit(0)
        elif verb == "pods":
            if args:
                self.set_namespace(args[0])
            self.action_focus_pane("pods")
        elif verb == "ns" and args:
            self.set_namespace(args[0])
        elif verb == "logs":
            if args:
                self.logs.show_pod(args[1] if len(args) > 1 else self.namespace, args[0]) if len(args) == 1 else self.logs.show_pod(args[1], args[0])
                self.pods.select(args[0])
            self.action_tab("logs")
        elif verb == "describe":
            if args:
                self.describe.show_pod(self.namespace, args[0])
                self.pods.select(args[0])
            self.action_tab("describe")
        elif verb == "events":
            if args:
                self.set_namespace(args[0])
            self.action_tab("events")
        elif verb == "runbook":
            self.action_tab("runbooks")
            self.runbooks.search(" ".join(args))
        elif verb == "health":
            self.health.load()
            self.action_focus_pane("health")
        elif verb == "theme" and args:
            if args[0] in self.available_themes:
                self.theme = args[0]
            else:
                self.notify(f"no theme {args[0]!r}", severity="error")
        elif verb == "server":
            self.action_server_log()
        elif verb == "refresh":
            self.action_refresh()
        elif verb == "help":
            self.action_help()
        elif verb:
            self.notify(f"unknown command :{verb}  (? for help)", severity="warning")

    # themes -----------------------------------------------------------------------
    def _theme_changed(self, theme) -> None:
        # Colours baked into table cells need a re-render; the choice is remembered.
        for pane in (self.health, self.pods, self.events):
            pane._render_rows() if hasattr(pane, "_render_rows") else None
        if self._persist_theme:
            self.settings.save_theme(theme.name)

    # palette ----------------------------------------------------------------------
    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        cmds: list[tuple[str, str, Callable[[], Any]]] = [
            ("Pods: focus", "the pods list (o)", lambda: self.action_focus_pane("pods")),
            ("Pods: filter", "regex filter, ! inverts (/)", self.pods.open_filter),
            ("Pods: toggle faulty only", "show only unhealthy pods (f)", self.pods.action_toggle_faulty),
            ("Health: focus", "service health (h)", lambda: self.action_focus_pane("health")),
            ("Logs: selected pod", "logs of the selected pod (l)", self.action_logs),
            ("Logs: previous container", "logs of the crashed instance (p)", self.action_previous_logs),
            ("Logs: toggle follow", "autoscroll to new lines (s)", lambda: self.action_toggle_log("follow")),
            ("Logs: toggle wrap", "wrap long lines (w)", lambda: self.action_toggle_log("wrap")),
            ("Logs: service level filter", "all → ERROR → WARN (v)", self.action_log_level),
            ("Copy: logs / describe / events in view", "to the clipboard; only the find matches when a find is active (y)", self.action_copy_pane),
            *[(f"Logs: service logs, last {w}", f"search_logs time_range={w} ({k})", lambda w=w: self.action_log_window(w))
              for k, w in enumerate(("15m", "1h", "6h", "24h", "7d"), start=1)],
            ("Logs: toggle timestamps", "show or hide timestamps (t)", lambda: self.action_toggle_log("show_timestamps")),
            ("Logs: find", "find in logs, then n / N", lambda: (self.action_tab("logs"), self.logs.open_find())),
            ("Describe: selected pod", "describe the selected pod (d)", self.action_describe),
            ("Events: show", "events of the namespace (e)", lambda: self.action_tab("events")),
            ("Events: toggle warnings only", "only Warning events", self.events.action_toggle_warnings),
            ("Runbooks: search", "search runbooks (r)", lambda: self.action_tab("runbooks")),
            ("Runbooks: attached to results", "runbooks the server attached (b)", self.action_related_runbooks),
            ("Chat: open", "the investigation chat (c)", lambda: self.action_tab("chat")),
            ("Refresh now", "reload every pane (ctrl+r)", self.action_refresh),
            ("Auto-refresh: pause/resume", f"every {self.refresh_interval:g}s (A)", self.action_toggle_auto_refresh),
            ("Server log", "the servers' stderr (S)", self.action_server_log),
            ("Command mode", "k9s commands (:)", self.action_command),
            ("Help", "keys and commands (?)", self.action_help),
        ]
        cmds.append(("Investigate a service", "guided investigate-service, worst first (i)", self.action_investigate))
        try:
            from sre_console.widgets.chat import chat_palette_commands

            cmds += chat_palette_commands(self)
        except ImportError:  # the chat pane is optional in tests that build the app without it
            pass
        for ns in self.namespaces:
            cmds.append((f"Namespace: {ns}", "switch pods and events to this namespace", lambda ns=ns: self.set_namespace(ns)))
        for name in self.theme_specs:
            cmds.append((f"Theme: {name}", "switch theme (remembered)", lambda name=name: setattr(self, "theme", name)))
        return cmds

    def action_investigate(self) -> None:
        """The guided flow, preselecting the service under the health cursor."""
        from sre_console.widgets.chat import open_guided

        preselect = None
        try:
            preselect = self.health.selected_service() if hasattr(self.health, "selected_service") else None
        except Exception:
            preselect = None
        open_guided(self, preselect=preselect)

    # approval ---------------------------------------------------------------------
    async def ask_approval(self, tool: str, arguments: dict[str, Any], description: str = "", destructive: bool = True) -> str:
        """Ask the human about a write call; returns "yes", "always" or "no". Call from a worker."""
        if tool in self.always_approved:
            return "yes"
        answer = await self.push_screen_wait(ApprovalScreen(tool, arguments, description, destructive))
        if answer == "always":
            self.always_approved.add(tool)
        return answer or "no"


def run_app(
    server_args: list[str],
    *,
    servers_config: Path | None = None,
    refresh_interval: float | None = None,
    theme: str | None = None,
    demo: bool = False,
    namespace: str | None = None,
    prespawned: Any = None,
    **_: Any,
) -> int:
    """Run the console over our server (started with `server_args`) plus any configured servers.

    `prespawned`: our server already started by the CLI (host/prespawn.py) with these args."""
    settings = Settings.load()
    if demo and not scenario_of(server_args):
        server_args = [*server_args, "--scenario", "payments-incident"]
    try:
        extra = load_servers(servers_config or settings.servers)
    except ConfigError as exc:
        print(f"sre-console: {exc}", file=os.sys.stderr)
        return 2
    def make_host() -> McpHost:
        host = McpHost([builtin_server(server_args), *extra], audit_log=audit_log_for(server_args))
        if prespawned is not None and prespawned.spec.args == host.servers[BUILTIN].spec.args:
            host.servers[BUILTIN].prespawned = prespawned
        return host

    app = SREConsoleApp(
        host_factory=make_host,
        settings=settings,
        refresh_interval=refresh_interval,
        theme=theme,
        scenario=scenario_of(server_args) or ("demo" if demo else None),
        namespace=namespace,
    )
    result = app.run()
    return int(result or app.return_code or 0)
