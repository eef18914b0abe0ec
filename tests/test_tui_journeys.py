"""Journeys as snapshots (Posting's style): what a user sees at the moments that matter.

Deterministic with SRE_CONSOLE_FROZEN=1 (no clock, latencies or call counts; no blink),
log timestamps hidden with `t`, and a fixed terminal size. Regenerate with
`pytest tests/test_tui_journeys.py --snapshot-update` and look at the report."""

from __future__ import annotations

import sys

import pytest

from sre_console.approval import ApprovalRequest
from sre_console.app import SREConsoleApp
from sre_console.host.config import ServerSpec
from sre_console.host.host import McpHost
from sre_console.settings import Settings
from sre_console.widgets.chat import ChatPane
from tests.tui_helpers import SIZE, ScriptedModel, make_app, wait_loaded, wait_until

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def frozen(monkeypatch, tmp_path):
    monkeypatch.setenv("SRE_CONSOLE_FROZEN", "1")
    monkeypatch.setenv("SRE_STATE_DIR", str(tmp_path))


async def settled(pilot, app) -> None:
    await wait_until(pilot, lambda: all(w.is_finished for w in app.workers), what="workers idle")
    await pilot.pause(0.2)


async def loaded_without_timestamps(pilot, app) -> None:
    await wait_loaded(pilot, app)
    await pilot.press("t")
    await settled(pilot, app)


def test_help(snap_compare):
    app = make_app(watchdog=False)

    async def run_before(pilot):
        await loaded_without_timestamps(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(120, 60), run_before=run_before)


def test_command_line(snap_compare):
    app = make_app(watchdog=False)

    async def run_before(pilot):
        await loaded_without_timestamps(pilot, app)
        await pilot.press("colon", *"pods pay")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_approval_modal(snap_compare):
    app = make_app(watchdog=False)
    request = ApprovalRequest(
        "scale_deployment", {"namespace": "payments", "deployment_name": "payment-gateway", "replicas": 0},
        {"action": "scale", "target": "deployment/payment-gateway", "changes": {"replicas": {"from": 5, "to": 0}},
         "warnings": ["scaling to 0 stops the service entirely"]},
        source="the model, in chat investigation #2 (/investigate payment-gateway); it acts on tool results, "
               "which may carry text written by anyone",
        investigation="chat-2")

    async def run_before(pilot):
        await loaded_without_timestamps(pilot, app)
        app.run_worker(app.ask_approval(request))
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ApprovalScreen", what="modal")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


REPORT = """ROOT CAUSE: payment-gateway v2.3.1 loads every unreconciled row at once (BatchReconciliation) and is OOMKilled.
SEVERITY: P1: 15% of card payments fail while two of five pods crash-loop.
IMMEDIATE ACTIONS:
1. `kubectl -n payments rollout undo deployment/payment-gateway`
2. Keep the crash evidence: `kubectl -n payments logs payment-gw-def34 --previous`
RUNBOOK REFERENCE: pod-crashloop-oomkilled (runbook://pod-crashloop-oomkilled)
FOLLOW-UP: stream the reconciliation in pages; alert on heap above 85%."""


def test_chat_report(snap_compare):
    model = ScriptedModel([[("check_service_health", {"service_name": "payment-gateway"}),
                            ("list_pods", {"namespace": "payments", "status_filter": "unhealthy"})],
                           [("get_pod_logs", {"namespace": "payments", "pod_name": "payment-gw-def34", "previous": True})],
                           REPORT])
    app = make_app(watchdog=False, chat_factory=lambda app: ChatPane(model_factory=lambda: model))

    async def run_before(pilot):
        await loaded_without_timestamps(pilot, app)
        await pilot.press("c")
        chat = app.query_one(ChatPane)
        chat.start("investigate-service", {"service": "payment-gateway"}, None, shown="/investigate payment-gateway")
        await wait_until(pilot, lambda: chat.last_result is not None, timeout=60, what="report")
        await settled(pilot, app)
        chat.log_view.scroll_end(animate=False)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_server_down_banner(snap_compare, tmp_path):
    # A server that never answers: the host waits for it, and we say it went down.
    hang = ServerSpec(name="sre", command=sys.executable, args=["-c", "import time; time.sleep(600)"], builtin=True)
    app = SREConsoleApp(host_factory=lambda: McpHost([hang]), settings=Settings(refresh_interval=0, path=tmp_path / "c.yaml"),
                        refresh_interval=0, scenario="payments-incident")

    async def run_before(pilot):
        await pilot.pause(0.5)
        app.host.servers["sre"]._set("down", "the server stopped answering; restarting in 1s")
        await wait_until(pilot, lambda: app.query_one("#banner").has_class("-shown"), what="banner")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)
