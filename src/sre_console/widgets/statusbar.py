"""The bottom line: server connections, calls, last latency, kube context (or scenario), namespace, auto-refresh."""

from __future__ import annotations

import time

from rich.markup import escape
from textual.widgets import Static

from sre_console.settings import frozen

STATE_STYLE = {"ready": "green", "starting": "yellow", "restarting": "yellow", "down": "red", "stopped": "red"}


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def on_mount(self) -> None:
        if not frozen():
            self.set_interval(1.0, self.refresh_status)
        self.refresh_status()

    def refresh_status(self) -> None:
        app = self.app
        host = getattr(app, "host", None)
        parts = []
        if host is not None:
            for name, state in host.status().items():
                parts.append(f"[{STATE_STYLE.get(state, 'yellow')}]●[/] {name} {state}")
            if frozen():
                parts.append("calls —  last —")
            else:
                last = host.last_latency_ms
                parts.append(f"calls {host.calls}  last {'—' if last is None else f'{last:.0f} ms'}")
        context = getattr(app, "context", None)
        if context:
            # Production in the skin's alert colour: the one line always in view says where you are.
            if getattr(app, "context_prod", False):
                parts.append(f"[b {alert_colour(app)}]⚠ ctx {escape(context)}[/]")
            else:
                parts.append(f"ctx {escape(context)}")
        else:
            parts.append(f"scenario {getattr(app, 'scenario', None) or '—'}")
        parts.append(f"ns {getattr(app, 'namespace', '—')}")
        interval = getattr(app, "refresh_interval", 0)
        if interval:
            paused = getattr(app, "auto_paused", False)
            parts.append(f"auto {interval:g}s {'[yellow]paused[/]' if paused else '[green]on[/]'}")
        else:
            parts.append("auto off")
        try:
            main = app.main
            top = main.top_list()
            feeds = [(getattr(getattr(top, "spec", None), "name", None) or "pods", top), ("events", main.events)]
        except Exception:  # noqa: BLE001 - no main screen yet
            feeds = []
        live = [name for name, pane in feeds if getattr(pane, "live", False)]
        if live:
            # These panes follow the cluster's change feed: they update without the timer.
            parts.append(f"[green]live: {', '.join(live)}[/]")
        if not frozen():
            parts.append(time.strftime("%H:%M:%S"))
        self.update("  [dim]│[/]  ".join(parts))


def alert_colour(app) -> str:
    """The theme's error colour (red in `sre-prod`)."""
    try:
        return str(app.current_theme.error or "red")
    except Exception:  # noqa: BLE001 - before the app has a theme
        return "red"
