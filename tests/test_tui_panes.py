"""Pilot tests of each pane against the real server (demo scenario over stdio)."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from tests.tui_helpers import CRASHING_POD, SIZE, make_app, wait_loaded, wait_until

pytestmark = pytest.mark.timeout(60)


async def test_startup_fills_health_and_pods_worst_first():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        # Health: worst first, the critical payment gateway on top.
        assert app.health.rows[0]["service"] == "payment-gateway"
        assert app.health.rows[0]["status"] == "critical"
        # Pods of the services' first namespace; the crash-looping pod is there.
        assert app.namespace == "payments"
        names = [p["name"] for p in app.pods.pods]
        assert CRASHING_POD in names
        assert app.host.calls > 0
        assert app.host.status() == {"sre": "ready"}
        # Under the table: why the highlighted service is what it is, one line per firing alert.
        detail = lambda: str(app.health.query_one("#health-detail").render())  # noqa: E731
        assert detail().startswith("payment-gateway: error_rate")
        assert "▲ PaymentGatewayHighErrorRate" in detail() and "▲ KubePodCrashLooping" in detail()
        app.health.query_one("#health-table").focus()
        await pilot.press("down")
        await wait_until(pilot, lambda: "▲ FraudModelLatencyHigh" in detail(), what="detail follows the cursor")
        assert "PaymentGateway" not in detail()


async def test_pod_selection_updates_logs_and_describe():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        first = app.pods.selected
        await pilot.press("down")
        second = app.pods.selected
        assert second != first
        await wait_until(pilot, lambda: app.logs.loaded_source.name == second and app.describe.shown_target[1] == second,
                         timeout=5, what="logs+describe for the next pod")
        # The describe pane's data is describe_pod's answer for that pod.
        assert app.describe.data["name"] == second


async def test_pods_filter_regex_invert_and_faulty_toggle():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        table = app.pods.query_one("#pods-table", DataTable)
        total = len(app.pods.pods)
        await pilot.press("slash")
        for ch in "payment-gw":
            await pilot.press(ch)
        await pilot.press("enter")
        gw = [p for p in app.pods.pods if "payment-gw" in p["name"]]
        assert table.row_count == len(gw) < total
        app.pods.apply_filter("!payment-gw")
        assert table.row_count == total - len(gw)
        await pilot.press("escape")  # clears the filter (focus is in the pods pane)
        assert table.row_count == total
        await pilot.press("f")
        unhealthy = [p for p in app.pods.pods if not p.get("healthy", True)]
        assert 0 < table.row_count == len(unhealthy)
        assert CRASHING_POD in [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_logs_previous_container_find_and_toggles():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        assert app.pods.select(CRASHING_POD)
        await pilot.press("l")
        await wait_until(pilot, lambda: app.logs.loaded_source.name == CRASHING_POD, what="logs of crashing pod")
        await pilot.press("p")
        await wait_until(pilot, lambda: app.logs.loaded_source.previous, what="previous container logs")
        view = app.logs.view
        assert any("OutOfMemoryError" in line for line in view.lines)
        # find: / in the logs pane, then n / N through the matches
        await pilot.press("slash")
        for ch in "outofmemory":
            await pilot.press(ch)
        await pilot.press("enter")
        assert len(view.matches) >= 1 and view.match_index == 0
        await pilot.press("n")
        assert view.match_index == (1 % len(view.matches))
        assert not view.follow  # jumping to a match stops following
        await pilot.press("s", "w", "t")
        assert view.follow and view.wrap and not view.show_timestamps
        await pilot.press("p")
        await wait_until(pilot, lambda: not app.logs.loaded_source.previous, what="current container again")


async def test_service_logs_from_health_pane():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("h")
        await pilot.press("enter")  # the top row: payment-gateway
        await wait_until(pilot, lambda: app.logs.loaded_source.kind == "service", what="search_logs for the service")
        assert app.logs.loaded_source.name == "payment-gateway"
        assert app.logs.view.line_count > 0
        assert app.logs.loaded_source.window == "1h" and app.logs.loaded_source.level is None

        # `v` cycles the level, 1-5 pick the window: each is a new search_logs call.
        lines = lambda: app.logs.view.lines  # noqa: E731
        await pilot.press("v")
        await wait_until(pilot, lambda: app.logs.loaded_source.level == "ERROR", what="ERROR only")
        assert lines() and all(" ERROR " in line for line in lines())
        await pilot.press("5")
        await wait_until(pilot, lambda: app.logs.loaded_source.window == "7d", what="7d window")
        week = app.logs.view.line_count
        await pilot.press("1")
        await wait_until(pilot, lambda: app.logs.loaded_source.window == "15m", what="15m window")
        assert app.logs.view.line_count <= week
        assert "last 15m · ERROR only" in str(app.logs.query_one("#logs-status").render())
        await pilot.press("v", "v")
        await wait_until(pilot, lambda: app.logs.loaded_source.level is None, what="all levels again")
        assert app.logs.loaded_source.window == "15m"  # the window stays

        # A pod's logs have no window: the keys say so and change nothing.
        app.logs.show_pod("payments", "payment-gw-def34")
        await wait_until(pilot, lambda: app.logs.loaded_source.kind == "pod", what="pod logs")
        await pilot.press("3")
        await pilot.pause(0.1)
        assert app.logs.source.kind == "pod"


async def test_events_warnings_only():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("e")
        table = app.events.query_one(DataTable)
        total = table.row_count
        warnings = sum(1 for e in app.events.events if e.get("type") == "Warning")
        assert 0 < warnings < total
        await pilot.press("f")
        assert table.row_count == warnings


async def test_runbooks_search_open_and_describe():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        await wait_until(pilot, lambda: app.runbooks.catalogue, what="runbook resources")
        app.run_command(":runbook pod restarting exit 137 oomkilled")
        from textual.widgets import OptionList

        options = app.runbooks.query_one("#runbooks-list", OptionList)
        await wait_until(pilot, lambda: "results for" in str(app.runbooks.border_subtitle), what="search results")
        assert options.option_count > 0
        await pilot.press("r")
        options.focus()
        options.highlighted = 0
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.runbooks.opened is not None, what="runbook opened")
        assert app.runbooks.opened.startswith("runbook://")
        await pilot.press("d")
        assert app.query_one("#bottom").active == "tab-describe"


async def test_command_mode_and_namespace_switch():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("colon")
        for ch in "pods auth":
            await pilot.press(ch if ch != " " else "space")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.pods.namespace == "auth" and app.pods.pods and app.pods.pods[0]["namespace"] == "auth",
                         what="auth pods")
        assert app.events.namespace == "auth"
        app.run_command(":nope")  # unknown: a notification, not a crash
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen", what="help")
        await pilot.press("escape")
        await pilot.press("S")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ServerLogScreen", what="server log")
        await pilot.press("escape")
        await pilot.press("colon")
        await pilot.press("q", "enter")
        await wait_until(pilot, lambda: not app.is_running, timeout=5, what="quit")


async def test_tool_error_is_one_line_in_the_pane():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        app.describe.show_pod("payments", "no-such-pod-zzz")
        await wait_until(pilot, lambda: app.describe.message.has_class("-error"), what="error line")
        text = str(app.describe.message.render())
        assert "describe_pod" in text and "\n" not in text.strip() and "Traceback" not in text


async def test_chat_key_puts_typing_into_the_chat_input():
    """`c` then a slash command must reach the chat, not the panes' single-key bindings."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("c")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "chat-input"
        for key in "/investigate":
            await pilot.press(key)
        assert app.query_one("#chat-input").value == "/investigate"
        assert len(app.screen_stack) == 1  # no modal opened by `i`, no pods filter by `/`


async def test_hostile_commands_are_errors_in_panes_not_crashes():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        app.run_command(""":pods "' OR 1=1 --" """)
        await wait_until(pilot, lambda: app.pods.message.has_class("-error"), what="pods error line")
        assert "namespace" in str(app.pods.message.render()).lower()
        # Words a command does not take: its usage, and nothing changes.
        ns = app.namespace
        app.run_command(":pods payments extra args")
        await wait_until(pilot, lambda: any("usage: :pods [NS|*]" in n.message for n in app._notifications), what="usage")
        assert app.namespace == ns
        for text in [":ns " + "x" * 5000, ":logs ../../etc/passwd", ":logs a b c d e",
                     ":describe \x00\x1b[31m", ":runbook " + "ø" * 3000, ":theme", ":theme no-such-theme",
                     ":events {{7*7}}", ":" + " " * 50, ":pods payments extra args", ":q!x"]:
            app.run_command(text)
            await pilot.pause(0.05)
        await wait_until(pilot, lambda: not app.workers._workers or all(w.is_finished for w in app.workers._workers),
                         timeout=20, what="calls settled")
        assert app.is_running
        # Back to a real namespace: the panes answer as before.
        app.run_command(":pods payments")
        await wait_until(pilot, lambda: app.pods.namespace == "payments" and any(p["name"] == "payment-gw-def34" for p in app.pods.pods),
                         what="payments pods again")
        app.describe.show_pod("payments", "payment-gw-def34")
        await wait_until(pilot, lambda: app.describe.shown_target == ("payments", "payment-gw-def34"), what="describe again")


async def test_copy_logs_matches_describe_and_events():
    app = make_app()
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # the terminal's clipboard (OSC 52) is not readable here
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        assert app.pods.select(CRASHING_POD)
        await pilot.press("l", "p")
        await wait_until(pilot, lambda: app.logs.loaded_source.name == CRASHING_POD and app.logs.loaded_source.previous,
                         what="previous logs")
        view = app.logs.view
        await pilot.press("y")
        assert copied[-1].splitlines() == view.lines
        # With a find active, only the matching lines.
        await pilot.press("slash", *"outofmemory", "enter")
        await pilot.press("y")
        lines = copied[-1].splitlines()
        assert lines and len(lines) == len(view.matches) and all("outofmemory" in x.lower() for x in lines)
        await pilot.press("escape")
        await pilot.press("d")
        await wait_until(pilot, lambda: app.describe.shown_target == ("payments", CRASHING_POD), what="describe")
        await pilot.press("y")
        assert CRASHING_POD in copied[-1] and "OOMKilled" in copied[-1]
        await pilot.press("e")
        await wait_until(pilot, lambda: bool(app.events.events), what="events")
        await pilot.press("y")
        rows = [r.split("\t") for r in copied[-1].splitlines()]
        assert rows and all(len(r) == 6 for r in rows) and any(r[0] == "Warning" for r in rows)
