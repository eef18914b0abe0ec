"""Snapshots of the main screen in every shipped theme.

Deterministic: SRE_CONSOLE_FROZEN=1 takes the clock, latencies and call counts out of
the status bar and stops cursor blink and timers; log timestamps (real time in the
fixture) are toggled off with `t`; pod ages are relative to the scenario's start, so
they read the same on every run; the terminal size is fixed.
"""

from __future__ import annotations

import pytest

from sre_console.themes import load_themes, shipped_themes_dir
from tests.tui_helpers import SIZE, make_app, wait_loaded, wait_until

pytestmark = pytest.mark.timeout(90)
SHIPPED = sorted(p.stem for p in shipped_themes_dir().glob("*.yaml"))


def test_four_themes_are_shipped():
    assert {"sre-dark", "sre-light", "sre-high-contrast", "sre-prod"} <= set(SHIPPED)
    assert set(SHIPPED) <= set(load_themes())


@pytest.mark.parametrize("theme", SHIPPED)
def test_main_screen_snapshot(theme, snap_compare, monkeypatch):
    monkeypatch.setenv("SRE_CONSOLE_FROZEN", "1")
    app = make_app(theme=theme, watchdog=False)

    async def ready(pilot):
        await wait_loaded(pilot, app)
        await pilot.press("t")  # timestamps come from the wall clock
        await wait_until(pilot, lambda: all(w.is_finished for w in app.workers), what="workers idle")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)
