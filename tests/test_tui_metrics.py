"""Metric pictures in the console: health sparklines and the metrics tab, over the real
server (payments-incident, whose error rate and p99 step up about 25 minutes ago).

Snapshots are deterministic: the fixture samples its series on a grid through the
scenario's load time, and the tab says "24m ago", never a wall-clock time.
"""

from __future__ import annotations

import pytest
from rich.console import Console

from sre_console.widgets.metrics import Chart, buckets, spark, top_of
from tests.tui_helpers import SIZE, make_app, wait_loaded, wait_until

pytestmark = pytest.mark.timeout(90)


def test_spark_scales_from_zero_with_a_floor_and_keeps_spikes():
    assert buckets([1, 9, 1, 1, 1, 1], 3) == [9, 1, 1]  # the largest of each column: a spike survives
    flat = [0.002] * 60
    assert spark(flat, 10, top_of("error_rate", flat)) == "▂" * 10  # 0.2% under a 1% floor: low and flat
    step = [0.002] * 36 + [0.15] * 24
    line = spark(step, 10, top_of("error_rate", step))
    assert line.startswith("▁▁▁▁▁▁") and line.endswith("████")
    text = Console(width=40, record=True, color_system=None)
    text.print(Chart("error_rate", step, 3, "", onset_index=36, span_s=3600))
    lines = text.export_text().splitlines()
    assert lines[0].lstrip().startswith("15.0%┤") and lines[2].lstrip().startswith("0.0%┤")
    assert "▲" in lines[3] and lines[3].rstrip().endswith("now")


async def test_health_sparklines_show_the_onset_and_the_metrics_tab_follows_the_cursor():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        table = app.health.query_one("#health-table")
        row = [str(c) for c in table.get_row_at(0)]
        assert row[1] == "payment-gateway"
        err_spark, p99_spark = row[3], row[5]
        assert err_spark[0] == "▁" and err_spark[-1] == "█", err_spark  # flat, then the step up
        assert p99_spark[0] == "▁" and p99_spark[-1] == "█", p99_spark
        quiet = [str(c) for c in table.get_row_at(3)]  # auth-service: nothing happened
        assert set(quiet[3]) <= {"▁", "▂"}, quiet[3]

        await pilot.press("m")
        pane = app.screen.query_one("#metrics")
        body = lambda: str(pane.query_one("#metrics-body").render())  # noqa: E731 - a Group renders via console
        await wait_until(pilot, lambda: pane.row and pane.row["service"] == "payment-gateway", what="metrics tab")
        assert app.screen.active_tab == "metrics"
        assert pane.row["trends"]["error_rate"]["change"]["direction"] == "rose"
        assert set(pane.row["history"]) >= {"error_rate", "p99_ms", "rps", "cpu", "memory"}

        table.focus()
        await pilot.press("down")
        await wait_until(pilot, lambda: pane.row["service"] == "fraud-detection", what="tab follows the cursor")
        assert body() is not None

        # `:metrics NAME` picks a service; an unknown one is a message, not a crash.
        await pilot.press(":")
        await pilot.press(*"metrics auth-service", "enter")
        await wait_until(pilot, lambda: pane.row["service"] == "auth-service", what=":metrics auth-service")
        await pilot.press(":")
        await pilot.press(*"metrics nope", "enter")
        await wait_until(pilot, lambda: "no service 'nope'" in str(pane.message.render()), what="unknown service message")


def test_metrics_tab_snapshot(snap_compare, monkeypatch):
    monkeypatch.setenv("SRE_CONSOLE_FROZEN", "1")
    app = make_app(theme="sre-dark", watchdog=False)

    async def ready(pilot):
        await wait_loaded(pilot, app)
        await pilot.press("t")
        await pilot.press("m")
        await wait_until(pilot, lambda: app.screen.query_one("#metrics").row is not None, what="metrics tab")
        await wait_until(pilot, lambda: all(w.is_finished for w in app.workers), what="workers idle")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)
