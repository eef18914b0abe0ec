"""The chat pane: investigations run here, with every tool call live as it happens.

Free text is a question; slash commands run the server's prompts, their arguments
taken from the prompt's own argument list (list_prompts):
`/investigate payment-gateway OOM after deploy`, `/trace tx-abc123`,
`/predeploy payment-gateway payments`, `/daily`. The last argument takes the rest of
the line. Escape cancels a running investigation (and only then: otherwise it goes
back to the panes); PageUp/PageDown (and Home/End on an empty input) scroll the chat.

The app gives the pane `app.host` (an McpHost) and, optionally, `app.ask_approval`.
"""

from __future__ import annotations

import os
import re
import time
from types import SimpleNamespace
from typing import Any

from textual import work
from textual.binding import Binding
from rich.markup import escape
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Markdown, Static

from sre_console.investigate import Investigation, InvestigationResult
from sre_console.investigate.events import (
    Approval, Cancelled, Done, Error, Notice, Retry, Started, TextDelta, ToolCallFinished, ToolCallStarted, Usage,
)
from sre_console.actions import bindings
from sre_console.approval import approver
from sre_console.server_facts import Tool
from sre_console.settings import frozen
from sre_console.investigate.report import export_incident, incident_markdown, render_markdown
from sre_console.widgets.trace import ToolCallTrace

# Short names for the server's prompts; any other prompt is reachable by its own name.
ALIASES = {"investigate": "investigate-service", "trace": "trace-transaction", "predeploy": "pre-deploy-check",
           "daily": "daily-health-report"}
# What `?` help lists for the chat input (free text is a question to the investigator).
CHAT_COMMANDS = [
    ("/investigate SERVICE [symptoms]", "investigate a service (the investigate-service prompt)"),
    ("/trace TRACE_ID", "follow one transaction across services"),
    ("/predeploy SERVICE NAMESPACE", "is it safe to deploy now?"),
    ("/daily", "the daily health report"),
    ("/PROMPT-NAME args…", "any prompt a server offers, by its own name"),
    ("any other text", "a free question, investigated with the same tools"),
    ("PageUp / PageDown / Home / End", "scroll the chat from the input (Home/End when the input is empty)"),
    ("esc", "cancel a running investigation; otherwise back to the panes"),
]
_TRACE_ID = re.compile(r"\b((?:tx|trace|txn|req)[-_][A-Za-z0-9]{4,}|[0-9a-f]{16,32})\b")


def parse_slash(line: str, prompts: list[Any]) -> tuple[str, dict[str, str]] | str:
    """`/name a b rest…` → (prompt name, arguments), or an error sentence."""
    parts = line[1:].split()
    if not parts:
        return "type /investigate, /trace, /predeploy, /daily or a prompt name"
    name = ALIASES.get(parts[0], parts[0])
    prompt = next((p for p in prompts if p.name == name), None)
    if prompt is None:
        return f"no prompt {parts[0]!r}; prompts: " + ", ".join(sorted(p.name for p in prompts))
    names = [a["name"] for a in prompt.arguments]
    values = parts[1:]
    args: dict[str, str] = {}
    for i, arg in enumerate(names):
        if i >= len(values):
            break
        args[arg] = " ".join(values[i:]) if i == len(names) - 1 else values[i]
    missing = [a["name"] for a in prompt.arguments if a["required"] and not args.get(a["name"])]
    if missing:
        usage = " ".join(f"<{a['name']}>" if a["required"] else f"[{a['name']}]" for a in prompt.arguments)
        return f"/{parts[0]} needs {', '.join(missing)}: /{parts[0]} {usage}"
    return name, args


class Checklist(Static):
    """The prompt's steps (from its `_meta`, never parsed from prose), in order: ✔ when a step's calls
    succeeded, ✗ when one failed, ○ until then."""

    def __init__(self, structure: dict):
        self.steps = [SimpleNamespace(number=int(s["number"]), text=str(s.get("text", "")), tools=list(s.get("tools") or []))
                      for s in structure.get("steps") or []]
        self.done: set[int] = set()
        self.failed: set[int] = set()
        super().__init__(self._render_text(), classes="checklist")

    def _render_text(self) -> str:
        lines = []
        for s in self.steps:
            mark = "[red]✗[/]" if s.number in self.failed else "[green]✔[/]" if s.number in self.done else "[dim]○[/]"
            text = s.text if len(s.text) < 110 else s.text[:109] + "…"
            lines.append(f"{mark} {s.number}. {escape(text)}")
        return "\n".join(lines)

    def tool_finished(self, tool: str, ok: bool) -> None:
        for s in self.steps:
            if tool in s.tools and s.number not in self.done | self.failed:
                (self.done if ok else self.failed).add(s.number)
                break
        self.update(self._render_text())


class ChatInput(Input):
    """The chat's prompt line: Home/End scroll the chat when there is nothing to move through."""

    def action_home(self, select: bool = False) -> None:
        if not self.value:
            self.screen.query_one("#chat-log", VerticalScroll).scroll_home(animate=False)
        else:
            super().action_home(select)

    def action_end(self, select: bool = False) -> None:
        if not self.value:
            self.screen.query_one("#chat-log", VerticalScroll).scroll_end(animate=False)
        else:
            super().action_end(select)


class ChatPane(Vertical):
    ALLOW_MAXIMIZE = True
    # Escape cancels only while an investigation runs (check_action hides it otherwise,
    # so the key falls through to the screen's "back" and the footer does not offer it).
    BINDINGS = [
        *bindings("chat"),
        Binding("pageup", "scroll_chat('page_up')", "Scroll up", show=False),
        Binding("pagedown", "scroll_chat('page_down')", "Scroll down", show=False),
    ]
    DEFAULT_CSS = """
    ChatPane { height: 1fr; }
    ChatPane #chat-log { height: 1fr; }
    ChatPane .user { color: $accent; margin-top: 1; }
    ChatPane .assistant { margin: 0 0 0 2; }
    ChatPane .notice { color: $warning; }
    ChatPane .checklist { border: round $primary; padding: 0 1; height: auto; }
    ChatPane .report { border: round $success; height: auto; }
    ChatPane .actions { height: auto; }
    ChatPane .actions Button { margin-right: 1; }
    ChatPane #chat-usage { color: $text-muted; height: 1; }
    """

    def __init__(self, *, model_factory: Any = None, **kw: Any):
        super().__init__(**kw)
        self.model_factory = model_factory
        self.investigation: Investigation | None = None
        self.last_result: InvestigationResult | None = None
        self.results: list[InvestigationResult] = []
        self._traces: dict[str, ToolCallTrace] = {}
        self._text: Static | None = None
        self._text_buf = ""
        self._checklist: Checklist | None = None
        self._calls, self._usage, self._started = 0, None, time.monotonic()
        self._offline = False
        self._number = 0  # investigations started in this pane
        self._shown = ""
        self._report_text: Static | None = None  # the streamed text the rendered report replaces

    def compose(self):
        yield VerticalScroll(id="chat-log")
        yield Static("", id="chat-usage")
        yield ChatInput(placeholder="Ask a question, or /investigate SERVICE [symptoms] · /trace ID · /predeploy SERVICE NS · /daily",
                        id="chat-input")

    @property
    def log_view(self) -> VerticalScroll:
        return self.query_one("#chat-log", VerticalScroll)

    @property
    def running(self) -> bool:
        return self.investigation is not None and self.last_result is None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.running
        return True

    def action_scroll_chat(self, how: str) -> None:
        getattr(self.log_view, f"scroll_{how}")(animate=False)

    def _say(self, text: str, classes: str = "notice") -> None:
        self.log_view.mount(Static(text, classes=classes, markup=False))
        self.log_view.scroll_end(animate=False)

    # input ------------------------------------------------------------------------
    async def on_input_submitted(self, event: Input.Submitted) -> None:
        line = event.value.strip()
        event.input.value = ""
        if not line:
            return
        if self.running:
            self._say("An investigation is running; press Escape to cancel it first.")
            return
        if line.startswith("/"):
            prompts = await self.app.host.list_prompts()
            parsed = parse_slash(line, prompts)
            if isinstance(parsed, str):
                self._say(parsed)
                return
            self.start(parsed[0], parsed[1], None, shown=line)
        else:
            self.start(None, {}, line, shown=line)

    def start(self, prompt_name: str | None, args: dict[str, Any], free_text: str | None, shown: str | None = None) -> None:
        """Start an investigation (also used by the palette and the guided flow)."""
        self._shown = shown or prompt_name or free_text or ""
        self._say(f"› {self._shown}", "user")
        self.last_result = None
        self._calls, self._usage, self._started = 0, None, time.monotonic()
        self._run(prompt_name, args, free_text)

    def _model(self) -> Any:
        if self.model_factory is not None:
            model = self.model_factory()
            self._offline = getattr(model, "name", "") == "offline"
            return model
        from sre_console.headless import make_model

        offline = not os.environ.get("ANTHROPIC_API_KEY")
        self._offline = offline
        if offline:
            self._say("No ANTHROPIC_API_KEY: the offline investigator (deterministic rules) runs the tools instead of Claude.")
        return make_model(offline, None, quiet=True)

    @work(exclusive=True, group="chat", exit_on_error=False)
    async def _run(self, prompt_name: str | None, args: dict[str, Any], free_text: str | None) -> None:
        self._number += 1
        scope = f"chat-{id(self)}-{self._number}"
        source = (f"the model, in chat investigation #{self._number} ({self._shown}); it acts on tool results, "
                  "which may carry text written by anyone")
        memory = getattr(self.app, "approvals", None)
        ask = getattr(self.app, "ask_approval", None)
        approve = approver(memory, ask, source=source, investigation=scope, host=self.app.host)
        inv = Investigation(self.app.host, self._model(), approve=approve, on_event=self._on_event)
        self.investigation = inv
        self.refresh_bindings()
        try:
            result = await inv.run(prompt_name, args, free_text)
        finally:
            self.refresh_bindings()
        if memory is not None:
            memory.forget(scope)  # an "always" ends with its investigation
        self.last_result = result
        self.results.append(result)
        self.refresh_bindings()
        if result.status == "done":
            self._show_report(result)

    def action_cancel(self) -> None:
        if self.running and self.investigation is not None:
            self.investigation.cancel()
        else:
            self.app.notify("no investigation is running", severity="warning")

    # events ---------------------------------------------------------------------------
    def _on_event(self, ev: Any) -> None:
        log = self.log_view
        if isinstance(ev, Started):
            if ev.prompt_name and ev.structure and ev.structure.get("steps"):
                self._checklist = Checklist(ev.structure)
                log.mount(self._checklist)
        elif isinstance(ev, TextDelta):
            if self._text is None:
                self._text, self._text_buf = Static("", classes="assistant", markup=False), ""
                self._report_text = self._text
                log.mount(self._text)
            self._text_buf += ev.text
            self._text.update(self._text_buf)
        elif isinstance(ev, ToolCallStarted):
            self._text = None
            trace = ToolCallTrace(ev.id, ev.name, ev.args)
            self._traces[ev.id] = trace
            log.mount(trace)
        elif isinstance(ev, ToolCallFinished):
            trace = self._traces.get(ev.id)
            if trace is not None:
                trace.finish(ev.ok, ev.latency_ms, ev.summary, ev.result, ev.error, ev.cached)
            if self._checklist is not None:
                self._checklist.tool_finished(ev.name, ev.ok)
            self._calls += 1
            self._show_usage()
        elif isinstance(ev, Retry):
            self._say(f"Claude is busy ({ev.reason}); retry {ev.attempt} in {ev.wait:.1f}s")
        elif isinstance(ev, Approval) and ev.approved is not None:
            self._say(f"{'Approved' if ev.approved else 'Denied'}: {ev.tool}")
        elif isinstance(ev, Notice):
            if not (self._offline and "for the model" in ev.message):  # there is no model to shorten for
                self._say(ev.message)
        elif isinstance(ev, Usage):
            self._usage = ev
            self._show_usage()
        elif isinstance(ev, Done):
            self._text = None
        elif isinstance(ev, Error):
            self._say(f"Investigation failed: {ev.message}")
        elif isinstance(ev, Cancelled):
            self._say("Investigation cancelled; what it found so far is kept (export it below).")
            self._text = None
        log.scroll_end(animate=False)

    def _show_usage(self) -> None:
        """Tool calls, time, and what the model cost (the offline investigator costs nothing)."""
        parts = [f"{self._calls} tool call{'s' if self._calls != 1 else ''}"]
        if not frozen():  # snapshots: no clock
            parts.append(f"{time.monotonic() - self._started:.1f} s")
        u = self._usage
        if u is not None and (u.input_tokens or u.output_tokens):
            parts.append(f"tokens in {u.input_tokens} · out {u.output_tokens} · cache read {u.cache_read_tokens} · ≈ ${u.cost_usd:.4f}")
        else:
            parts.append("no model tokens (offline investigator)" if u is not None else "waiting for the model")
        if self._traces:
            parts.append("enter or click a ▶ tool call to expand it")
        self.query_one("#chat-usage", Static).update(" · ".join(parts))

    def _show_report(self, result: InvestigationResult) -> None:
        log = self.log_view
        if result.report is not None and result.report.text:
            if self._report_text is not None:
                self._report_text.remove()  # the streamed report is replaced by its rendered form, not shown twice
            log.mount(Markdown(render_markdown(result.report), classes="report"))
        self._text = self._report_text = None
        buttons = [Button("Export notes", id="chat-export"), Button("Copy report", id="chat-copy")]
        trace_id = self._trace_id(result)
        if trace_id and result.prompt_name != "trace-transaction":
            buttons.append(Button(f"Trace {trace_id}", id="chat-trace", name=trace_id))
        log.mount(Horizontal(*buttons, classes="actions"))
        log.scroll_end(animate=False)

    @staticmethod
    def _trace_id(result: InvestigationResult) -> str | None:
        for c in result.tool_calls:
            if c.name == Tool.TRACE_TRANSACTION and c.ok:
                return c.arguments.get("trace_id")
        for c in result.tool_calls:
            if c.name == Tool.SEARCH_LOGS and isinstance(c.result, dict):
                for row in c.result.get("rows") or []:
                    if row.get("trace_id"):
                        return row["trace_id"]
        return None

    def export(self) -> str:
        """Write the last investigation's incident notes; the sentence says where (or why not)."""
        if self.last_result is None:
            return "no investigation to export yet: run one in the chat (c) first"
        said = f"Incident notes written to {export_incident(self.last_result)}"
        self._say(said)
        return said

    def copy_report(self) -> str:
        if self.last_result is None:
            return "no report to copy yet: run an investigation in the chat (c) first"
        self.app.copy_to_clipboard(incident_markdown(self.last_result))
        self._say("Report and tool calls copied to the clipboard.")
        return "copied the report and its tool calls to the clipboard"

    def copy_text(self) -> tuple[str, str]:
        """What `y` copies from the chat tab: the last report with its tool calls."""
        if self.last_result is None:
            return "", ""
        return incident_markdown(self.last_result), "the last report and its tool calls"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        result = self.last_result
        if result is None:
            return
        if event.button.id == "chat-export":
            self.export()
        elif event.button.id == "chat-copy":
            self.copy_report()
        elif event.button.id == "chat-trace" and event.button.name:
            self.start("trace-transaction", {"trace_id": event.button.name}, None, shown=f"/trace {event.button.name}")
        event.stop()


def open_guided(app: Any, preselect: str | None = None) -> None:
    """The guided investigate-service flow: pick a service, add symptoms, run it in the chat pane."""
    from sre_console.screens.investigate import InvestigateScreen

    def chosen(answer: tuple[str, str] | None) -> None:
        if answer:
            service, symptoms = answer
            chat = app.query_one(ChatPane)
            if hasattr(app, "action_tab"):
                app.action_tab("chat")
            args = {"service": service, **({"symptoms": symptoms} if symptoms else {})}
            chat.start("investigate-service", args, None, shown=f"/investigate {service} {symptoms}".strip())

    health = app.query("#health")  # the console's health pane already holds the verdicts, worst first
    rows = getattr(health.first(), "rows", None) if health else None
    app.push_screen(InvestigateScreen(app.host, preselect, rows), chosen)


def chat_palette_commands(app: Any) -> list[tuple[str, str, Any]]:
    """Palette entries that prefill or run the server's prompts (the main screen adds these)."""

    def chat() -> ChatPane:
        pane = app.query_one(ChatPane)
        if hasattr(app, "action_tab"):
            app.action_tab("chat")
        return pane

    def prefill(text: str) -> None:
        box = chat().query_one("#chat-input", Input)
        box.value = text
        box.cursor_position = len(text)
        box.focus()

    return [
        ("Prompt: trace a transaction", "/trace TRACE_ID", lambda: prefill("/trace ")),
        ("Prompt: pre-deploy check", "/predeploy SERVICE NAMESPACE", lambda: prefill("/predeploy ")),
        ("Prompt: daily health report", "/daily", lambda: chat().start("daily-health-report", {}, None, shown="/daily")),
    ]
