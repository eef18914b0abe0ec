"""Kill the server mid-session: the banner says so, the host restarts it, the panes refill."""

from __future__ import annotations

import os
import signal

import pytest

from tests.tui_helpers import SIZE, make_app, server_pids, wait_loaded, wait_until

pytestmark = pytest.mark.timeout(60)


async def test_server_killed_shows_banner_then_recovers():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        pids = server_pids()
        assert pids, "no server child process found"
        calls_before = app.host.calls
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        # A refresh makes calls that hit the dead pipe (the host's watchdog notices too).
        await pilot.press("ctrl+r")
        banner = app.query_one("#banner")
        await wait_until(pilot, lambda: banner.has_class("-shown"), timeout=15, what="server-down banner")
        assert "sre" in str(banner.render())
        await wait_until(pilot, lambda: not banner.has_class("-shown") and app.host.status()["sre"] == "ready",
                         timeout=20, what="recovery")
        new_pids = server_pids()
        assert new_pids and not set(new_pids) & set(pids)
        # Panes refill from the new server.
        app.pods.pods = []
        await wait_until(pilot, lambda: app.pods.pods, timeout=10, what="pods after recovery")
        assert app.host.calls > calls_before
