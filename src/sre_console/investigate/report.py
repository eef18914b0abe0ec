"""Reports: parse the model's final text into sections, render it, export incident notes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sre_console.server_facts import REPORT_SECTIONS as SECTIONS  # one list of section names

# A heading the way models write them: "ROOT CAUSE:", "## Root cause", "**ROOT CAUSE**:", "1. ROOT CAUSE -".
_HEADING = re.compile(
    r"^\s*(?:#{1,6}\s*)?(?:\d+[.)]\s*)?(?:\*\*|__)?\s*(" + "|".join(re.escape(s) for s in SECTIONS)
    + r"|FOLLOW UP|FOLLOWUP|RUNBOOK|RUNBOOKS|ACTIONS)\s*(?:\*\*|__)?\s*(?::|-|—|$)\s*(?:\*\*|__)?",
    re.I,
)
_ALIASES = {"FOLLOW UP": "FOLLOW-UP", "FOLLOWUP": "FOLLOW-UP", "RUNBOOK": "RUNBOOK REFERENCE",
            "RUNBOOKS": "RUNBOOK REFERENCE", "ACTIONS": "IMMEDIATE ACTIONS"}


@dataclass
class Report:
    text: str
    sections: dict[str, str] = field(default_factory=dict)
    decision: str | None = None  # GO | NO-GO (pre-deploy-check)
    overall: str | None = None  # GREEN | YELLOW | RED (daily-health-report)

    @property
    def root_cause(self) -> str:
        return self.sections.get("ROOT CAUSE", "")

    @property
    def confidence(self) -> str | None:
        """high / medium / low, when the report states it."""
        m = re.search(r"\b(high|medium|low)\b", self.sections.get("CONFIDENCE", ""), re.I)
        return m.group(1).lower() if m else None

    @property
    def evidence(self) -> list[str]:
        """The evidence lines the report cites (each names the tool call it comes from)."""
        return [ln.strip()[2:] for ln in self.sections.get("EVIDENCE", "").splitlines() if ln.strip().startswith("- ")]

    @property
    def complete(self) -> bool:
        return all(self.sections.get(s) for s in ("ROOT CAUSE", "SEVERITY", "IMMEDIATE ACTIONS"))


def parse_report(text: str) -> Report:
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        m = _HEADING.match(line)
        if m:
            name = m.group(1).upper()
            current = _ALIASES.get(name, name)
            sections.setdefault(current, [])
            rest = line[m.end():].strip()
            if rest:
                sections[current].append(rest)
        elif current is not None:
            sections[current].append(line)
    clean = {k: "\n".join(v).strip() for k, v in sections.items()}
    decision = overall = None
    d = re.search(r"\b(NO-GO|NO GO|GO)\b", clean.get("DECISION", ""), re.I)
    if d:
        decision = "NO-GO" if "NO" in d.group(1).upper() else "GO"
    o = re.search(r"\b(GREEN|YELLOW|RED)\b", clean.get("OVERALL", ""), re.I)
    if o:
        overall = o.group(1).upper()
    return Report(text=text.strip(), sections=clean, decision=decision, overall=overall)


def render_markdown(report: Report) -> str:
    """The report as Markdown: known sections become headings, the rest is kept as written."""
    if not report.sections:
        return report.text
    out = []
    for name in SECTIONS:
        body = report.sections.get(name)
        if body is None:
            continue
        out.append(f"## {name.title().replace('Go', 'GO')}\n\n{body}\n")
    return "\n".join(out).strip() + "\n"


def _fence(value: Any) -> str:
    text = json.dumps(value, indent=2, default=str, ensure_ascii=False)
    return f"```json\n{text}\n```"


def incident_markdown(result: Any) -> str:
    """Incident notes: the report, then every tool call with its time, arguments and result."""
    title = result.prompt_name or "question"
    args = ", ".join(f"{k}={v}" for k, v in (result.prompt_args or {}).items())
    lines = [
        f"# Incident notes: {title}{f' ({args})' if args else ''}",
        "",
        f"- Started: {result.started_at}",
        f"- Finished: {result.finished_at}",
        f"- Status: {result.status}" + (f" ({result.error})" if result.error else ""),
        f"- Model: {result.model}",
        f"- Tool calls: {len(result.tool_calls)}; tokens in/out: {result.usage.input_tokens}/{result.usage.output_tokens}; "
        f"estimated cost ${result.usage.cost_usd:.4f}",
        "",
        "## Report",
        "",
        render_markdown(result.report) if result.report else "_no report_",
        "",
        "## Tool calls",
        "",
    ]
    for i, c in enumerate(result.tool_calls, 1):
        status = "ok" if c.ok else f"error: {c.error}"
        extra = " (repeat, answered from the earlier result)" if c.cached else ""
        extra += f" — {c.approval} by a human" if c.approval else ""
        lines += [
            f"### {i}. `{c.name}` at {c.started_at} — {status}, {c.latency_ms:.0f} ms{extra}",
            "",
            f"{c.summary}",
            "",
            "Arguments:",
            "",
            _fence(c.arguments),
            "",
            "<details><summary>Result</summary>",
            "",
            _fence(c.result),
            "",
            "</details>",
            "",
        ]
    approvals = [t for t in result.transcript if t.get("kind") == "approval"]
    if approvals:
        lines += ["## Approvals", ""]
        lines += [f"- {a['at']}: {a['tool']} {json.dumps(a['arguments'])} → {'approved' if a['approved'] else 'denied'}" for a in approvals]
        lines.append("")
    return "\n".join(lines)


def state_dir() -> Path:
    """Where incident notes go: $SRE_STATE_DIR, else $XDG_STATE_HOME/sre-console, else ~/.local/state/sre-console."""
    import os

    if os.environ.get("SRE_STATE_DIR"):
        return Path(os.environ["SRE_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "sre-console"


def export_incident(result: Any, directory: Path | None = None) -> Path:
    directory = directory or state_dir() / "incidents"
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    slug = re.sub(r"[^a-z0-9]+", "-", " ".join([result.prompt_name or "question", *map(str, (result.prompt_args or {}).values())]).lower()).strip("-")
    path = directory / f"incident-{stamp}-{slug[:60]}.md"
    n = 1
    while path.exists():
        n += 1
        path = directory / f"incident-{stamp}-{slug[:60]}-{n}.md"
    path.write_text(incident_markdown(result), encoding="utf-8")
    return path
