"""The chat pane in a real Textual app over the real server: slash commands, live traces, checklist, report, export."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.app import App
from textual.widgets import Input, Markdown

from sre_console.host import McpHost, PromptInfo, builtin_server
from sre_console.investigate.offline import OfflineInvestigator
from sre_console.widgets.chat import ChatPane, Checklist, parse_slash
from sre_console.widgets.trace import ToolCallTrace
from tests.tui_helpers import wait_until as tui_wait_until


class ChatApp(App):
    def __init__(self):
        super().__init__()
        self.host = McpHost([builtin_server(["--scenario", "payments-incident", "--no-rag"])])
        self.copied = ""

    def compose(self):
        yield ChatPane(model_factory=OfflineInvestigator)

    async def on_mount(self) -> None:
        await self.host.start()

    def copy_to_clipboard(self, text: str) -> None:
        self.copied = text


async def wait_until(pilot, predicate, timeout=40.0):
    """The suite's one helper (tests/tui_helpers.py), with the chat's longer default timeout."""
    await tui_wait_until(pilot, predicate, timeout=timeout, interval=0.05)


async def ask_in_chat(pilot, app, text):
    """Type a line into the chat once the server is up; wait for the investigation's result."""
    await wait_until(pilot, lambda: app.host.connected)
    pane = app.query_one(ChatPane)
    box = app.query_one("#chat-input", Input)
    box.value = text
    await box.action_submit()
    await wait_until(pilot, lambda: pane.last_result is not None)
    await pilot.pause(0.1)
    return pane, pane.last_result


async def click_until(pilot, selector, predicate, timeout=10.0):
    """Click a button once its layout has settled, and wait for what the click should do."""
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.click(selector)
    await wait_until(pilot, predicate, timeout)


PROMPTS = [
    PromptInfo("investigate-service", "sre", None, "", [{"name": "service", "required": True}, {"name": "symptoms", "required": False}]),
    PromptInfo("trace-transaction", "sre", None, "", [{"name": "trace_id", "required": True}]),
    PromptInfo("daily-health-report", "sre", None, "", []),
]


def test_slash_commands_map_to_prompt_arguments():
    assert parse_slash("/investigate payment-gateway OOM after deploy", PROMPTS) == (
        "investigate-service", {"service": "payment-gateway", "symptoms": "OOM after deploy"})
    assert parse_slash("/trace tx-abc123", PROMPTS) == ("trace-transaction", {"trace_id": "tx-abc123"})
    assert parse_slash("/daily", PROMPTS) == ("daily-health-report", {})
    assert "needs trace_id" in parse_slash("/trace", PROMPTS)
    assert "no prompt" in parse_slash("/nope", PROMPTS)


def test_investigate_in_chat_pane(tmp_path, monkeypatch):
    monkeypatch.setenv("SRE_STATE_DIR", str(tmp_path))

    async def go():
        app = ChatApp()
        async with app.run_test(size=(140, 60)) as pilot:
            pane, result = await ask_in_chat(pilot, app, "/investigate payment-gateway card payments failing")
            assert result.status == "done"
            traces = list(app.query(ToolCallTrace))
            assert [t.tool for t in traces] == [c.name for c in result.tool_calls]
            assert all(t.finished and t.ok for t in traces)
            checklist = app.query_one(Checklist)
            assert checklist.done == {s.number for s in checklist.steps}
            assert app.query_one(".report", Markdown)
            usage = str(app.query_one("#chat-usage").render())
            assert f"{len(result.tool_calls)} tool calls" in usage and "no model tokens (offline investigator)" in usage
            incidents = Path(tmp_path, "incidents")
            await click_until(pilot, "#chat-export", lambda: any(incidents.glob("incident-*.md")))
            files = list(incidents.glob("incident-*.md"))
            assert len(files) == 1 and "check_service_health" in files[0].read_text()
            # Exporting adds a chat line, so the buttons may move: click where the copy button is now.
            await click_until(pilot, "#chat-copy", lambda: bool(app.copied))
            assert "## Report" in app.copied
            await app.host.stop()

    asyncio.run(go())


class ClaudeChatApp(ChatApp):
    def compose(self):
        yield ChatPane()  # the model comes from the environment, as in the console


def test_claude_in_the_chat_pane_streams_traces_retries_and_counts_tokens(tmp_path, monkeypatch):
    """The real anthropic SDK (ANTHROPIC_API_KEY/ANTHROPIC_BASE_URL from the environment)
    against a local Messages API: a 429 that is retried and said, two tools in one turn,
    a streamed report, and the tokens it cost."""
    from tests.fake_anthropic import FakeAnthropic, error_reply, text_reply, tool_reply

    report = ("ROOT CAUSE: payment-gateway pods are OOMKilled (heap exhausted by BatchReconciliation).\n"
              "SEVERITY: P1\nIMMEDIATE ACTIONS:\n1. `kubectl -n payments rollout undo deployment/payment-gateway`\n"
              "RUNBOOK REFERENCE: runbook://pod-crashloop-oomkilled\nFOLLOW-UP: stream the reconciliation.")
    script = [
        error_reply(429, "rate_limit_error", retry_after="0"),
        tool_reply([("check_service_health", {"service_name": "payment-gateway"}),
                    ("list_pods", {"namespace": "payments", "status_filter": "unhealthy"})],
                   text="Checking health and pods.", usage={"input_tokens": 1200, "output_tokens": 40}),
        text_reply(report, usage={"input_tokens": 2500, "output_tokens": 120}),
    ]
    monkeypatch.setenv("SRE_STATE_DIR", str(tmp_path))

    async def go():
        with FakeAnthropic(script) as fake:
            monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
            monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
            app = ClaudeChatApp()
            async with app.run_test(size=(140, 60)) as pilot:
                pane, result = await ask_in_chat(pilot, app, "/investigate payment-gateway")
                assert result.status == "done", result.error
                assert [t.tool for t in app.query(ToolCallTrace)] == ["check_service_health", "list_pods"]
                assert all(t.finished and t.ok for t in app.query(ToolCallTrace))
                said = " ".join(str(w.render()) for w in pane.query(".chat-line, Static"))
                assert "Claude is busy" in said and "retry 1" in said, said  # the retry is shown
                usage = str(app.query_one("#chat-usage").render())
                assert "2 tool calls" in usage and "tokens in 3700" in usage and "out 160" in usage
                assert "OOMKilled" in result.report.text
                assert fake.requests[-1]["messages"][-1]["role"] == "user"  # tool results went back
                await app.host.stop()

    asyncio.run(go())


def test_checklist_ticks_only_succeeded_steps_and_marks_failed_ones():
    """Steps come from the prompt's structure (its `_meta`), in order; a failed call shows ✗, never ✔."""
    from sre_mcp.prompts import get

    structure = get("investigate-service").structure({"service": "payment-gateway"})
    checklist = Checklist(structure)
    assert [s.number for s in checklist.steps] == list(range(1, len(structure["steps"]) + 1))
    checklist.tool_finished("check_service_health", True)
    checklist.tool_finished("list_pods", False)
    assert checklist.done == {1} and checklist.failed == {2}
    text = checklist._render_text()
    assert text.splitlines()[0].startswith("[green]✔[/] 1.") and text.splitlines()[1].startswith("[red]✗[/] 2.")
    assert "○" in text.splitlines()[2]


def test_a_misspelt_service_in_the_chat_is_a_message_with_the_nearest_name_and_no_report():
    async def go():
        app = ChatApp()
        async with app.run_test(size=(140, 60)) as pilot:
            pane, result = await ask_in_chat(pilot, app, "/investigate payment-gatway")
            assert result.status == "error" and result.error_kind == "unknown-target" and result.report is None
            assert not result.tool_calls and not list(app.query(ToolCallTrace))
            said = " ".join(str(w.render()) for w in app.query(".notice"))
            assert "did you mean payment-gateway?" in said and "Nothing was investigated" in said
            assert not list(app.query(".report"))
            await app.host.stop()

    asyncio.run(go())
