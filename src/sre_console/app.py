"""The Textual app: wiring. The host, settings, themes and keymap live here; the main
screen (`screens/main.py`) owns the panes and the handlers of every action
(`actions.py`).

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

from textual import work
from textual.app import App
from textual.message import Message
from textual.widget import Widget

from sre_console.approval import NO, ApprovalMemory, ApprovalRequest
from sre_console.contexts import ContextError, KubeContexts, Skin
from sre_console.host.build import build_host
from sre_console.host.config import BUILTIN, ConfigError, builtin_server
from sre_console.host.host import HostEvent, McpHost
from sre_console.screens.approval import ApprovalScreen
from sre_console.screens.main import MainScreen
from sre_console.screens.palette import ConsoleCommands
from sre_console.screens.serverlog import ServerLogScreen
from sre_console.settings import DEFAULT_THEME, Settings, config_dir, frozen
from sre_console.themes import load_themes
from sre_console.server_facts import Tool

log = logging.getLogger("sre_console.app")


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
    """Wiring: the host, settings, themes and keymap; the main screen owns the panes and actions."""

    TITLE = "sre-console"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ConsoleCommands}

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
        kube: KubeContexts | None = None,
    ):
        super().__init__()
        self.settings = settings or Settings.load()
        self.keymap: dict[str, str] = dict(self.settings.keymap)
        self.host: McpHost = host_factory()
        self.host.subscribe(self._host_event)
        self.scenario = scenario
        self.namespace = namespace or "default"
        self._namespace_given = namespace is not None
        self.namespaces: list[str] = [self.namespace]
        self.refresh_interval = self.settings.refresh_interval if refresh_interval is None else refresh_interval
        self.auto_paused = False
        self.approvals = ApprovalMemory()  # the session's one "always" memory (per investigation inside)
        self.chat_factory = chat_factory
        self._down: set[str] = set()
        self._persist_theme = False
        self.theme_specs = load_themes()
        for spec in self.theme_specs.values():
            self.register_theme(spec.to_textual_theme())
        wanted = theme or self.settings.theme
        self.user_theme = wanted if wanted in self.available_themes else DEFAULT_THEME  # the user's choice
        self._applied_theme: str | None = None  # a theme set by the console (a context's skin), never saved
        # Kube contexts (`:ctx`): the kubeconfig the server reads, the context in use, its skin.
        self.kube = kube or KubeContexts.from_server_args(_server_args_of(self.host), self.settings.contexts,
                                                          server_yaml=config_dir() / "server.yaml")
        self.context: str | None = self.kube.current
        current = self.kube.current_context()
        skin = self.kube.skin(current) if current is not None else None
        self.context_prod = bool(skin and skin.prod)
        if skin and skin.namespace and namespace is None:
            self.namespace, self._namespace_given, self.namespaces = skin.namespace, True, [skin.namespace]
        self.theme = self.user_theme
        if skin is not None:
            problem = self._apply_skin(skin)
            if problem:
                self.kube.problems.append(problem)
        if self.keymap:
            self.set_keymap(self.keymap)

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.namespace, self.chat_factory)

    @property
    def main(self) -> MainScreen:
        # The main screen is the bottom of the stack: a modal or the server log may be on top.
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    # The panes, for tests and callers that hold the app.
    pods = property(lambda self: self.main.pods)
    logs = property(lambda self: self.main.logs)
    describe = property(lambda self: self.main.describe)
    events = property(lambda self: self.main.events)
    health = property(lambda self: self.main.health)
    runbooks = property(lambda self: self.main.runbooks)

    def run_command(self, text: str) -> None:
        self.main.run_command(text)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        return self.main.palette_commands()

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._persist_theme = True
        for problem in self.kube.problems:  # a broken `contexts:` entry is ignored, and said
            self.notify(problem, severity="warning", timeout=10)
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

    @work(exclusive=True, group="initial", exit_on_error=False)
    async def _load_everything(self) -> None:
        listed = await self.host.call_tool(Tool.LIST_SERVICES, {})
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
        self.main.load_everything(services)

    def refresh_panes(self, everything: bool = False, services: list[dict] | None = None) -> None:
        self.main.refresh_panes(everything, services)

    def _auto_refresh(self) -> None:
        if not self.auto_paused and self.host.connected:
            self.main.refresh_panes()

    def set_namespace(self, namespace: str) -> None:
        self.main.set_namespace(namespace)

    # host events ----------------------------------------------------------------
    def _host_event(self, event: HostEvent) -> None:
        # Called on our loop by the host (stderr comes via call_soon_threadsafe).
        self.post_message(HostEventMessage(event))

    def on_host_event_message(self, message: HostEventMessage) -> None:
        if not self.screen_stack or not self.is_running or not isinstance(self.screen_stack[0], MainScreen):
            return  # starting or shutting down: nothing to update
        ev = message.event
        if ev.kind == "server":
            self._server_state(ev)
        elif ev.kind == "stderr":
            screen = self.screen
            if isinstance(screen, ServerLogScreen):
                screen.add_line(ev.server, ev.message or "")
        elif ev.kind == "call_finished" and ev.call is not None:
            self._collect_related(ev.call)
            self.main.refresh_status()

    def _server_state(self, ev: HostEvent) -> None:
        if ev.state in ("down", "restarting"):
            self._down.add(ev.server)
        elif ev.state == "ready":
            was_down = ev.server in self._down
            self._down.discard(ev.server)
            if ev.server == BUILTIN:
                if was_down:
                    self.notify(f"server {ev.server} is back", timeout=3)
                self._load_everything()
        self.main.server_state(ev.server, ev.state or "", ev.message, self._down)
        self.main.refresh_status()

    def _collect_related(self, call) -> None:
        """Remember runbooks the server attached to a result (b lists them)."""
        if not isinstance(call.structured, dict):
            return
        rel = call.structured.get("related_runbooks")
        if isinstance(rel, dict):
            self.main.add_related(call.tool, rel)

    # themes -----------------------------------------------------------------------
    def _theme_changed(self, theme) -> None:
        # Colours baked into table cells need a re-render; the choice is remembered.
        if self.screen_stack and isinstance(self.screen_stack[0], MainScreen):
            for pane in (self.health, self.pods, self.events):
                pane._render_rows()
        if theme.name == self._applied_theme:
            return  # the console's own doing (a context's skin, or the user's theme restored): not a preference
        self._applied_theme = None
        if self._persist_theme:
            self.user_theme = theme.name
            self.settings.save_theme(theme.name)

    # kube contexts (`:ctx`) ----------------------------------------------------------
    def _apply_skin(self, skin: Skin) -> str | None:
        """The context's theme, or the user's own; either way not written back as a preference.
        Returns a sentence when the configured theme does not exist."""
        theme, problem = skin.theme or self.user_theme, None
        if theme not in self.available_themes:
            problem = f"context theme {theme!r} is not installed (themes: {', '.join(sorted(self.theme_specs))}); using {self.user_theme}"
            theme = self.user_theme
        if theme != self.theme:
            self._applied_theme = theme
            self.theme = theme
        return problem

    def switch_context(self, name: str) -> bool:
        """Restart our server in kube context `name`, skin the console for it and reload every
        pane. A bad name (did you mean …) or no kubeconfig changes nothing. True when switched."""
        try:
            plan = self.kube.plan(name)
        except ContextError as exc:
            self.notify(str(exc), title=":ctx", severity="error", timeout=10)
            return False
        if plan.context.name == self.context:
            self.notify(f"already in context {name}", timeout=3)
            return False
        chat = self.main.chat
        if chat is not None and getattr(chat, "running", False):
            # Its next tool calls would read (or write to) the other cluster, under approvals given for this one.
            self.notify(f"an investigation is running in context {self.context}: let it finish or cancel it (esc in the chat), "
                        "then switch", title=":ctx", severity="error", timeout=10)
            return False
        try:
            self.host.respawn(BUILTIN, builtin_server(plan.server_args), f"switching to context {name}")
        except (KeyError, ValueError) as exc:
            self.notify(f"cannot switch context: {exc}", title=":ctx", severity="error", timeout=10)
            return False
        self.workers.cancel_group(self, "initial")  # a late answer of the old server must not set the namespaces
        self.kube.current = self.context = plan.context.name
        self.context_prod = plan.skin.prod
        problem = self._apply_skin(plan.skin)
        if problem:
            self.notify(problem, severity="warning", timeout=8)
        # Start where the context says; else where its services are (decided when the server is up).
        self.namespace = plan.skin.namespace or "default"
        self.namespaces = [self.namespace]
        self._namespace_given = plan.skin.namespace is not None
        self.main.forget_cluster()  # the other cluster's rows must not stay on screen under this name
        self.notify(f"context {name} ({plan.context.cluster or 'cluster ?'}): restarting the server", timeout=4)
        return True

    # approval ---------------------------------------------------------------------
    async def ask_approval(self, request: ApprovalRequest) -> str:
        """The plain ask callback of approval.decide: the modal's answer. Call from a worker."""
        info = self.host.tool(request.tool)
        destructive = info.destructive if info is not None else True
        answer = await self.push_screen_wait(ApprovalScreen(request, destructive))
        return answer or NO


def _server_args_of(host: McpHost) -> list[str]:
    """Our server's arguments as the host starts it (`python -m sre_mcp ARGS`, or a team server)."""
    conn = host.servers.get(BUILTIN)
    if conn is None:
        return []
    if conn.spec.url:
        return ["--server-url", conn.spec.url]
    args = list(conn.spec.args)
    return args[2:] if args[:2] == ["-m", "sre_mcp"] else args


def context_start(server_args: list[str], settings: Settings) -> tuple[KubeContexts, list[str]]:
    """(contexts, the server's arguments in the starting context). The CLI prespawns with
    the same arguments, so the host adopts that process."""
    kube = KubeContexts.from_server_args(server_args, settings.contexts, server_yaml=config_dir() / "server.yaml")
    return kube, kube.start_args()


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
    kube, start_args = context_start(server_args, settings)
    try:
        build_host(start_args, servers_config=servers_config or settings.servers)  # the servers file is read now
    except ConfigError as exc:
        print(f"sre-console: {exc}", file=os.sys.stderr)
        return 2

    def make_host() -> McpHost:
        return build_host(start_args, servers_config=servers_config or settings.servers, prespawned=prespawned)

    app = SREConsoleApp(
        host_factory=make_host,
        settings=settings,
        refresh_interval=refresh_interval,
        theme=theme,
        scenario=scenario_of(server_args) or ("demo" if demo else None),
        namespace=namespace,
        kube=kube,
    )
    result = app.run()
    return int(result or app.return_code or 0)
