"""The action table and the focus model, driven through the real console over the real server.

One declaration per action: a key remapped in config.yaml shows in the palette, `?`
help and the tab title; help shows keys as typed; every action is in the palette.
Focus: Escape goes back toward the panes and cancels only a running investigation."""

from __future__ import annotations

import asyncio
import html
import re

import pytest
import yaml
from textual.widgets import Input, Markdown, Static

from sre_console import actions as A
from sre_console.screens.help import HelpScreen
from sre_console.screens.related import RelatedRunbooksScreen
from sre_console.settings import Settings
from sre_console.widgets.chat import ChatPane
from tests.tui_helpers import CRASHING_POD, SIZE, make_app, wait_loaded, wait_until


def screen_text(app) -> str:
    """What the terminal shows, as plain text (from the screenshot Textual renders)."""
    svg = app.export_screenshot()
    lines = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(re.sub(r"<[^>]+>", "", x) for x in lines)).replace("\xa0", " ")


def notified(app, text: str) -> bool:
    return any(text in n.message for n in app._notifications)


class SlowModel:
    """A model that thinks for a long time: an investigation that is still running."""

    name = "slow"

    async def turn(self, system, messages, tools, emit, *, tool_choice=None):
        await asyncio.sleep(60)
        raise AssertionError("not reached")


def test_table_is_consistent():
    # Every handler exists where its scope says; verbs and ids are unique (asserted at import).
    from sre_console.screens.main import MainScreen
    from sre_console.widgets.events import EventsPane
    from sre_console.widgets.pods import PodsPane
    from sre_console.widgets.resources import ResourceView

    where = {"screen": MainScreen, "pods": PodsPane, "events": EventsPane, "chat": ChatPane, "resources": ResourceView}
    for action in A.ACTIONS:
        name = action.handler.split("(")[0]
        if name.startswith("app."):
            continue
        assert hasattr(where[action.scope], f"action_{name}"), action.id
    assert A.display_key("question_mark") == "?" and A.display_key("right_square_bracket") == "]"
    assert A.key_text(A.BY_ID["refresh"], {"refresh": "ctrl+r,F5"}) == "ctrl+r / F5"


async def test_remapped_key_shows_in_palette_help_and_tab_title(tmp_path, monkeypatch):
    monkeypatch.setenv("SRE_CONFIG_DIR", str(tmp_path))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"refresh_interval": 0, "keymap": {"events": "E", "help": "f1"}}))
    app = make_app(settings=Settings.load(tmp_path / "config.yaml"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        # The tab title carries the key the user set, not the default.
        titles = {str(tab.label) for tab in app.query("Tab")}
        assert "Events E" in titles and "Events e" not in titles
        # The palette says which key runs it.
        palette = {title: help_text for title, help_text, _ in app.palette_commands()}
        assert "(E · :events)" in palette["Events: show"]
        assert "(f1 · :help)" in palette["Help"]
        # The key works, and `?` help lists it.
        await pilot.press("e")
        assert app.main.active_tab == "logs"
        await pilot.press("E")
        assert app.main.active_tab == "events"
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.pause(0.2)
        text = screen_text(app)
        assert re.search(r"E\s+events of the namespace", text)
        assert "question_mark" not in text and "right_square_bracket" not in text
        assert re.search(r"\]\s+cycle the namespaces", text)


async def test_help_lists_keys_as_typed_commands_and_chat_commands():
    app = make_app()
    async with app.run_test(size=(160, 140)) as pilot:  # tall enough to show all of it
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.pause(0.2)
        text = screen_text(app)
        assert re.search(r"\?\s+keys, commands and chat commands", text)
        assert "question_mark" not in text and "right_square_bracket" not in text and "left_square_bracket" not in text
        for chat_command in ("/investigate SERVICE", "/trace TRACE_ID", "/predeploy", "/daily"):
            assert chat_command in text
        assert ":runbook [QUERY]" in text and ":events [NS]" in text


async def test_every_action_is_in_the_palette_and_export_runs_from_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SRE_STATE_DIR", str(tmp_path))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        palette = {title: cb for title, _, cb in app.palette_commands()}
        assert {a.title for a in A.ACTIONS if a.palette_visible} <= set(palette)
        assert "Chat: export incident notes" in palette
        palette["Chat: export incident notes"]()  # nothing to export yet: a sentence, not a crash
        await wait_until(pilot, lambda: notified(app, "no investigation to export yet"), what="export refused")


async def test_escape_goes_back_and_cancels_only_a_running_investigation():
    app = make_app(chat_factory=lambda app: ChatPane(model_factory=SlowModel))
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("c")
        chat_input = app.query_one("#chat-input", Input)
        assert app.focused is chat_input
        # Nothing runs: escape leaves the chat for the panes, and the footer offers no cancel.
        assert "Cancel investigation" not in screen_text(app)
        await pilot.press("escape")
        assert app.focused is app.pods.table
        # While an investigation runs: the footer offers cancel, and escape cancels it.
        await pilot.press("c")
        chat = app.query_one(ChatPane)
        chat.start(None, {}, "why is checkout slow?")
        await wait_until(pilot, lambda: chat.running, what="running")
        await pilot.pause(0.1)
        assert "Cancel investigation" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: chat.last_result is not None and chat.last_result.status == "cancelled",
                         what="cancelled")
        await pilot.pause(0.1)
        assert "Cancel investigation" not in screen_text(app)
        await pilot.press("escape")
        assert app.focused is app.pods.table


async def test_tabs_focus_their_main_widget_and_b_in_runbooks_opens_the_attached_list():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("e")
        assert app.focused is app.query_one("#events-table")
        await pilot.press("r")
        assert app.focused is app.query_one("#runbooks-list")
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, RelatedRunbooksScreen), what="related runbooks")
        assert app.query_one("#runbooks-search", Input).value == ""
        await pilot.press("escape")
        # `/` in the runbooks tab searches; escape from the search goes back to the list, not further.
        await pilot.press("slash")
        assert app.focused is app.query_one("#runbooks-search")
        await pilot.press("escape")
        assert app.focused is app.query_one("#runbooks-list")


async def test_events_and_alerts_are_read_whole():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("e")
        longest = max(app.events.events, key=lambda e: len(str(e.get("message", ""))))
        index = app.events.shown.index(longest)
        app.query_one("#events-table").move_cursor(row=index)
        await pilot.pause(0.1)
        detail = str(app.query_one("#events-detail", Static).render())
        assert " ".join(str(longest["message"]).split()) in " ".join(detail.split())
        # The health detail wraps: an alert's whole summary is on screen.
        row = next(r for r in app.health.rows if r.get("alerts"))
        app.query_one("#health-table").move_cursor(row=app.health.rows.index(row))
        await pilot.pause(0.1)
        shown = " ".join(screen_text(app).split())
        summary = " ".join(str(row["alerts"][0]["summary"]).split())
        assert summary.split()[-1] in shown and "…" not in str(app.query_one("#health-detail", Static).render())


async def test_log_find_ends_with_the_pod_and_pod_logs_explain_1_to_5_and_v():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        assert app.pods.select(CRASHING_POD)
        await pilot.press("l")
        await wait_until(pilot, lambda: app.logs.loaded_source.name == CRASHING_POD, what="crashing pod logs")
        app.logs.find("error")
        assert app.logs.view.matches
        other = next(p["name"] for p in app.pods.pods if p["name"] != CRASHING_POD)
        app.pods.select(other)
        await wait_until(pilot, lambda: app.logs.loaded_source.name == other, what="another pod")
        assert not app.logs.view.matches and app.logs.query_one("#logs-find", Input).value == ""
        text, what = app.main.pane_text()
        assert what.endswith("log lines") and "matching" not in what
        await pilot.press("3")
        await wait_until(pilot, lambda: notified(app, "time windows (1-5) apply to a service's logs"), what="1-5 note")
        await pilot.press("v")
        await wait_until(pilot, lambda: notified(app, "level filters (v) apply to a service's logs"), what="v note")


@pytest.mark.parametrize("size", [(80, 24)])
async def test_small_terminal_keeps_status_words_whole(size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await wait_loaded(pilot, app)
        await pilot.pause(0.2)
        text = screen_text(app)
        for row in app.health.rows:
            assert f"● {row['status']}" in text or row["status"] == "unknown"
        # Maximize: one pane at a time.
        app.query_one("#health-table").focus()
        await pilot.press("z")
        assert app.screen.maximized is app.health
        await pilot.press("escape")
        assert app.screen.maximized is None


async def test_report_shows_once_and_chat_scrolls_from_the_input():
    from sre_console.investigate.offline import OfflineInvestigator

    app = make_app(chat_factory=lambda app: ChatPane(model_factory=OfflineInvestigator))
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("c")
        chat = app.query_one(ChatPane)
        chat.start("investigate-service", {"service": "payment-gateway"}, None)
        await wait_until(pilot, lambda: chat.last_result is not None, timeout=60, what="report")
        await pilot.pause(0.2)
        assert len([w for w in app.query(".report") if isinstance(w, Markdown)]) == 1
        streamed = [s for s in chat.query(".assistant") if "ROOT CAUSE" in str(s.render()).upper()]
        assert not streamed, "the report is shown once, rendered"
        # No model was used: nothing is "shortened for the model".
        assert not any("for the model" in str(s.render()) for s in chat.query(".notice"))
        assert "expand" in str(app.query_one("#chat-usage").render())
        log = chat.log_view
        assert app.focused is app.query_one("#chat-input")
        await pilot.press("home")
        await pilot.pause(0.05)
        assert log.scroll_y == 0
        await pilot.press("pagedown")
        await pilot.pause(0.05)
        assert log.scroll_y > 0
        await pilot.press("end")
        await pilot.pause(0.05)
        assert log.scroll_y == log.max_scroll_y
        await pilot.press("pageup")
        await pilot.pause(0.05)
        assert log.scroll_y < log.max_scroll_y


async def test_a_refused_runbook_query_shows_its_whole_reason():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        app.run_command(":runbook " + "why " * 800)
        await wait_until(pilot, lambda: app.runbooks.message.has_class("-error"), what="refused query")
        error = next(c for c in reversed(app.host.history) if c.tool == "search_runbooks").error
        shown = app.runbooks.message.shown_text
        assert " ".join(error.split())[:590] in shown  # the reason, not its first line cut at 300
