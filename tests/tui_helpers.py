"""Helpers for the console's Pilot tests: an app over the real server, waiting on conditions."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Callable

from sre_console.app import SREConsoleApp
from sre_console.host.config import builtin_server
from sre_console.host.host import McpHost
from sre_console.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "servers" / "sre_mcp" / "scenarios" / "payments-incident"
CRASHING_POD = "payment-gw-def34"
SIZE = (160, 48)


def server_args() -> list[str]:
    return ["--scenario", str(SCENARIO), "--no-rag"]


def make_app(*, refresh_interval: float = 0, theme: str | None = None, settings: Settings | None = None,
             watchdog: bool = True, **kw) -> SREConsoleApp:
    def factory() -> McpHost:
        host = McpHost([builtin_server(server_args())])
        if not watchdog:
            # Snapshots: no liveness ping, so a restart cannot land in the middle of a frame.
            for conn in host.servers.values():
                conn.PING_EVERY = 3600
        return host

    settings = settings or Settings(refresh_interval=refresh_interval, path=Path(os.environ.get("SRE_CONFIG_DIR", "/tmp")) / "config.yaml")
    return SREConsoleApp(host_factory=factory, settings=settings, refresh_interval=refresh_interval, theme=theme,
                         scenario="payments-incident", **kw)


async def wait_until(pilot, predicate: Callable[[], bool], timeout: float = 15.0, interval: float = 0.02, what: str = "") -> float:
    """Pump the app until `predicate()` holds; returns the seconds it took. Fails with `what` on timeout."""
    start = time.perf_counter()
    while True:
        try:
            if predicate():
                return time.perf_counter() - start
        except Exception:  # noqa: BLE001 - a widget not mounted yet is "not yet"
            pass
        if time.perf_counter() - start > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        await pilot.pause(interval)


def loaded(app: SREConsoleApp) -> bool:
    return bool(
        app.pods.pods and app.health.rows and app.logs.loaded_source is not None
        and app.describe.shown_target is not None and app.events.events
    )


async def wait_loaded(pilot, app: SREConsoleApp, timeout: float = 40.0) -> float:
    return await wait_until(pilot, lambda: loaded(app), timeout, what="panes loaded")


def server_pids(name: str = "sre_mcp") -> list[int]:
    """Children of this process running our server (for kill -9 tests)."""
    me = os.getpid()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me and name in cmd:
            pids.append(int(entry.name))
    return pids


async def settle(pilot, seconds: float = 0.05) -> None:
    await pilot.pause(seconds)
    await asyncio.sleep(0)


class ScriptedModel:
    """A model whose turns are written down: each is a list of (tool, arguments), or a final text.
    The chat pane and the approval path under test, not an investigator's judgement."""

    name = "scripted"

    def __init__(self, turns):
        self.turns = list(turns)

    async def turn(self, system, messages, tools, emit, *, tool_choice=None):
        from sre_console.investigate.events import TextDelta
        from sre_console.investigate.models import ModelTurn

        step = self.turns.pop(0) if self.turns else "Done."
        if isinstance(step, str):
            await emit(TextDelta(step))
            return ModelTurn([{"type": "text", "text": step}], "end_turn")
        blocks = [{"type": "tool_use", "id": f"call_{len(messages)}_{i}", "name": n, "input": a} for i, (n, a) in enumerate(step)]
        return ModelTurn(blocks, "tool_use")

