"""The headless commands (`sre-console investigate`, `prompt`, `ask`): the same loop as the chat pane.

Progress goes to stderr, the report to stdout (Markdown or JSON), so the output can be
piped. Failures exit non-zero with the reason on stderr, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from sre_console.approval import NO, YES, ApprovalRequest, approver
from sre_console.investigate import Investigation, InvestigationResult, LoopConfig
from sre_console.investigate.events import Approval, Error, Event, Notice, Retry, ToolCallFinished, ToolCallStarted
from sre_console.investigate.report import render_markdown

NO_KEY = ("sre-console: ANTHROPIC_API_KEY is not set, so Claude is not available; using the offline investigator "
          "(deterministic rules over the same tools). Set ANTHROPIC_API_KEY to use Claude, or pass --offline to silence this.")


def make_model(offline: bool, model: str | None = None, *, quiet: bool = False, err: TextIO | None = None) -> Any:
    """Claude when a key is set and --offline is not; otherwise the offline investigator (with a note why)."""
    from sre_console.investigate.offline import OfflineInvestigator

    if offline:
        return OfflineInvestigator()
    if not os.environ.get("ANTHROPIC_API_KEY"):
        if not quiet:
            print(NO_KEY, file=err or sys.stderr)
        return OfflineInvestigator()
    from sre_console.investigate.anthropic_model import AnthropicModel

    return AnthropicModel(model=model)


class _Progress:
    """One stderr line per tool call and retry: what a human watching a CI log wants."""

    def __init__(self, out: TextIO):
        self.out = out

    def __call__(self, ev: Event) -> None:
        if isinstance(ev, ToolCallStarted):
            print(f"→ {ev.name} {json.dumps(ev.args, default=str)}", file=self.out)
        elif isinstance(ev, ToolCallFinished):
            mark = "✓" if ev.ok else "✗"
            print(f"  {mark} {ev.name} {ev.latency_ms:.0f} ms: {ev.summary}", file=self.out)
        elif isinstance(ev, Retry):
            print(f"  … model busy ({ev.reason}); retry {ev.attempt} in {ev.wait:.1f}s", file=self.out)
        elif isinstance(ev, Approval) and ev.approved is not None:
            print(f"  {'approved' if ev.approved else 'DENIED'}: {ev.tool} {json.dumps(ev.args, default=str)}", file=self.out)
        elif isinstance(ev, Notice):
            print(f"  note: {ev.message}", file=self.out)
        elif isinstance(ev, Error):
            print(f"sre-console: {ev.message}", file=self.out)
        self.out.flush()


def format_result(result: InvestigationResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.as_json(), indent=2, default=str, ensure_ascii=False)
    body = render_markdown(result.report) if result.report else result.text
    calls = "\n".join(
        f"| {i} | {c.name} | {'ok' if c.ok else 'error'} | {c.latency_ms:.0f} | {c.summary.replace('|', '/')} |"
        for i, c in enumerate(result.tool_calls, 1)
    )
    u = result.usage
    return (f"{body}\n\n## Tool calls\n\n| # | tool | status | ms | summary |\n|---|---|---|---|---|\n{calls}\n\n"
            f"_{result.model}; {len(result.tool_calls)} tool calls; tokens in {u.input_tokens} / out {u.output_tokens}"
            f" (cache read {u.cache_read_tokens}); estimated cost ${u.cost_usd:.4f}_\n")


async def investigate(host: Any, model: Any, prompt_name: str | None, prompt_args: dict[str, Any], free_text: str | None, *,
                      approve_all: bool = False, max_steps: int | None = None, progress: TextIO | None = None) -> InvestigationResult:
    """Run one investigation on a started host (used by the CLI, `eval` and benchmarks)."""
    err = progress

    async def ask(request: ApprovalRequest) -> str:
        # No human at a headless run: --yes answers "yes, once" for each write; otherwise "no".
        if err is not None:
            print(f"  approval needed for {request.tool}: {json.dumps(request.preview, default=str)[:300]}", file=err)
            if not approve_all:
                print("  denied: headless runs approve write actions only with --yes", file=err)
        return YES if approve_all else NO

    source = "headless run with --yes" if approve_all else "headless run"
    approve = approver(None, ask, source=source, investigation=None, host=host)

    config = LoopConfig(max_steps=max_steps) if max_steps else LoopConfig()
    inv = Investigation(host, model, approve=approve, config=config, on_event=_Progress(err) if err else None)
    return await inv.run(prompt_name, prompt_args, free_text)


async def run_investigation(
    prompt_name: str | None,
    prompt_args: dict[str, Any],
    free_text: str | None,
    *,
    offline: bool,
    server_args: list[str],
    model: str | None = None,
    fmt: str = "markdown",
    approve_all: bool = False,
    max_steps: int | None = None,
    servers_config: str | Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Start the servers, run one investigation, print the report. Returns the exit code."""
    from sre_console.host import build_host
    from sre_console.host.config import ConfigError

    out, err = out or sys.stdout, err or sys.stderr
    try:
        host = build_host(server_args, servers_config=servers_config)
    except ConfigError as exc:
        print(f"sre-console: {exc}", file=err)
        return 2
    try:
        the_model = make_model(offline, model, err=err)
    except Exception as exc:  # e.g. the anthropic SDK refusing its configuration
        print(f"sre-console: cannot use Claude: {exc}. Use --offline for the offline investigator.", file=err)
        return 2
    await host.start()
    try:
        down = {n: c for n, c in host.servers.items() if c.state != "ready"}
        if "sre" in down:
            print(f"sre-console: the SRE server did not start: {down['sre'].error or down['sre'].state}", file=err)
            return 1
        for name, conn in down.items():
            print(f"sre-console: server {name} is {conn.state}: {conn.error} (continuing without it)", file=err)
        result = await investigate(host, the_model, prompt_name, prompt_args, free_text, approve_all=approve_all,
                                   max_steps=max_steps, progress=err)
    finally:
        await host.stop()
    if result.error_kind == "unknown-target":
        # Nothing to investigate: a usage error (exit 2), with the nearest real names; no report.
        if fmt == "json":
            print(json.dumps({"status": "error", "error_kind": result.error_kind, "error": result.error}, indent=2), file=out)
        return 2  # the message went to stderr as the investigation's error event
    if result.status != "done":
        if fmt == "json":
            print(format_result(result, fmt), file=out)
        print(f"sre-console: investigation {result.status}: {result.error or ''}".rstrip(": "), file=err)
        return 1
    if result.report is None or not result.report.text:
        print("sre-console: the model ended without a report", file=err)
        print(format_result(result, fmt), file=out)
        return 1
    print(format_result(result, fmt), file=out)
    return 0
