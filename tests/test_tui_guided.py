"""The guided investigate-service flow in the full console, over the real server in demo mode."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList

from sre_console.screens.investigate import InvestigateScreen
from sre_console.widgets.chat import ChatPane, Checklist
from tests.tui_helpers import SIZE, make_app, wait_loaded, wait_until


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("SRE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SRE_CONFIG_DIR", str(tmp_path / "config"))


async def open_picker(pilot, app) -> InvestigateScreen:
    await wait_loaded(pilot, app)
    app.pods.query_one("#pods-table").focus()
    await pilot.press("i")
    await wait_until(pilot, lambda: isinstance(app.screen, InvestigateScreen) and app.screen.services, what="service picker")
    return app.screen


async def test_pick_worst_service_add_symptoms_and_investigate():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_picker(pilot, app)
        statuses = [s.get("status") for s in screen.services]
        rank = {"critical": 0, "degraded": 1, "unknown": 2, "healthy": 3}
        assert statuses == sorted(statuses, key=lambda s: rank.get(s, 2)), "worst first"
        options = screen.query_one(OptionList)
        assert options.highlighted == 0 and screen.services[0]["service"] == "payment-gateway"
        await pilot.press("enter")  # choose the highlighted service; focus moves to symptoms
        await wait_until(pilot, lambda: screen.query_one("#inv-symptoms", Input).has_focus, what="symptoms focused")
        await pilot.press(*"card payments failing")
        await pilot.press("enter")

        chat = app.query_one(ChatPane)
        await wait_until(pilot, lambda: not isinstance(app.screen, InvestigateScreen), what="picker closed")
        await wait_until(pilot, lambda: chat.last_result is not None, timeout=60, what="investigation finished")
        result = chat.last_result
        assert result.status == "done"
        assert result.prompt_name == "investigate-service"
        assert result.prompt_args == {"service": "payment-gateway", "symptoms": "card payments failing"}
        checklist = chat.query_one(Checklist)
        assert checklist.done == {s.number for s in checklist.steps}
        assert "OutOfMemory" in result.report.text or "memory" in result.report.text.lower()


async def test_escape_cancels_without_starting_anything():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_picker(pilot, app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, InvestigateScreen), what="picker closed")
        assert app.query_one(ChatPane).last_result is None
