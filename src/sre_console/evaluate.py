"""`sre-console eval`: run an investigation on every scenario and score it, no LLM judge.

The investigation starts where an on-call starts: at the service that pages (the
answer file's `start: {service, symptoms}`, or else the worst service by
check_service_health), and runs the investigate-service prompt through the same
loop as the chat pane. The scorer is `scoring.py`.

Scenarios written blind (`written: blind` in answer.yaml: by someone who saw only a
story and the scenario format, never the investigator) measure generalization, so
their pass rate is reported apart from the rest. Four cases check honesty on the
reference scenario: an unknown service, a misspelt one, a free-text question, and an
investigation in which every tool call fails. Every report is swept for placeholders.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sre_console.server_facts import ROOT_CAUSE, Tool, worst_first

from sre_console.scoring import Score, score

CASES_SCENARIO = "payments-incident"
# What no report may contain: an unfilled template slot, a Python None, a namespace nobody saw.
PLACEHOLDERS = (
    re.compile(r"<(?!/)[A-Za-z][A-Za-z0-9 _+.-]*>"),
    re.compile(r"\bNone\b"),
    re.compile(r"(?:-n|--namespace)[ =]default\b"),
    re.compile(r"\b(?:SERVICE|NAMESPACE|POD_NAME|DEPLOYMENT)\b"),
)


def placeholders(text: str) -> list[str]:
    """Placeholders found in a report (empty when it is clean)."""
    return [m.group(0) for rx in PLACEHOLDERS for m in rx.finditer(text or "")]


@dataclass
class Run:
    score: Score
    service: str
    wall_s: float
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    root_cause: str = ""
    status: str = "done"
    error: str | None = None
    report: str = ""


@dataclass
class ScenarioResult:
    name: str
    difficulty: str | None
    runs: list[Run] = field(default_factory=list)
    blind: bool = False

    @property
    def pass_rate(self) -> float:
        return sum(r.score.passed for r in self.runs) / len(self.runs) if self.runs else 0.0


def select_scenarios(spec: str | None, difficulty: str | None) -> list[tuple[str, Path, dict[str, Any]]]:
    from sre_console.scenarios import list_shipped, resolve

    names = [s.strip() for s in spec.split(",")] if spec else list_shipped()
    out = []
    for name in names:
        folder = resolve(name)
        answer_path = folder / "answer.yaml"
        if not answer_path.is_file():
            continue
        answer = yaml.safe_load(answer_path.read_text()) or {}
        if difficulty and answer.get("difficulty") != difficulty:
            continue
        out.append((folder.name, folder, answer))
    return out


async def paging_service(host: Any) -> tuple[str, str | None]:
    """The service an on-call would be paged for: worst verdict, then highest error rate."""
    services = (await host.call_tool(Tool.LIST_SERVICES, {})).payload().get("services", [])
    healths = await asyncio.gather(*(host.call_tool(Tool.CHECK_SERVICE_HEALTH, {"service_name": s["name"]}) for s in services))
    ranked = sorted(({**(h.payload() if h.ok else {}), "service": svc["name"]} for svc, h in zip(services, healths)), key=worst_first)
    return ranked[0]["service"], None


async def run_scenario(name: str, folder: Path, answer: dict[str, Any], iterations: int, model_id: str | None,
                       server_args: list[str] | None = None) -> ScenarioResult:
    """`server_args`: the user's server options (e.g. --audit-log, --role); the scenario is ours to choose."""
    from sre_console.headless import investigate, make_model
    from sre_console.host import build_host

    result = ScenarioResult(name, answer.get("difficulty"), blind=answer.get("written") == "blind")
    extra = list(server_args or [])
    if "--audit-log" not in extra:
        extra += ["--audit-log", str(Path(tempfile.mkdtemp(prefix="sre-eval-")) / "audit.jsonl")]
    if "--no-rag" not in extra:
        extra.append("--no-rag")
    host = build_host(["--scenario", str(folder), *extra])
    await host.start()
    try:
        start = answer.get("start") or {}
        service, symptoms = (start.get("service"), start.get("symptoms")) if start.get("service") else await paging_service(host)
        for _ in range(iterations):
            model = make_model(offline=model_id is None, model=model_id, quiet=True)
            t0 = time.perf_counter()
            args = {"service": service, **({"symptoms": symptoms} if symptoms else {})}
            inv = await investigate(host, model, "investigate-service", args, None)
            wall = time.perf_counter() - t0
            root_cause = (inv.report.sections.get(ROOT_CAUSE, "") if inv.report else "") or ""
            calls = [c.as_dict() for c in inv.tool_calls]
            s = score(name, answer, root_cause, calls, inv.steps)
            if inv.status != "done":
                s.passed = False
                s.reasons.append(f"investigation {inv.status}: {inv.error}")
            report = inv.report.text if inv.report else ""
            found = placeholders(report)
            if found:
                s.passed = False
                s.reasons.append("placeholders in the report: " + ", ".join(sorted(set(found))[:5]))
            u = inv.usage
            result.runs.append(Run(s, service, wall, u.input_tokens, u.output_tokens, u.cost_usd, root_cause, inv.status, inv.error, report))
    finally:
        await host.stop()
    return result


@dataclass
class CaseResult:
    name: str
    passed: bool
    detail: str
    report: str = ""


def _rate(results: list[ScenarioResult]) -> float | None:
    runs = [r for res in results for r in res.runs]
    return round(sum(r.score.passed for r in runs) / len(runs), 4) if runs else None


def summary(results: list[ScenarioResult], cases: list[CaseResult] | None = None) -> dict[str, Any]:
    runs = [r for res in results for r in res.runs]
    n = len(runs) or 1
    blind = [r for r in results if r.blind]
    rest = [r for r in results if not r.blind]
    return {
        "scenarios": len(results),
        "runs": len(runs),
        "pass_rate": round(sum(r.score.passed for r in runs) / n, 4),
        "blind_scenarios": len(blind),
        "blind_pass_rate": _rate(blind),
        "rest_scenarios": len(rest),
        "rest_pass_rate": _rate(rest),
        "cases_passed": sum(c.passed for c in cases or []),
        "cases": len(cases or []),
        "avg_tool_calls": round(sum(r.score.tool_calls for r in runs) / n, 2),
        "avg_wall_s": round(sum(r.wall_s for r in runs) / n, 3),
        "tokens_in": sum(r.tokens_in for r in runs),
        "tokens_out": sum(r.tokens_out for r in runs),
        "cost_usd": round(sum(r.cost_usd for r in runs), 4),
    }


def to_json(results: list[ScenarioResult], model: str, cases: list[CaseResult] | None = None) -> str:
    return json.dumps(
        {
            "model": model,
            "summary": summary(results, cases),
            "cases": [c.__dict__ for c in cases or []],
            "scenarios": [
                {
                    "name": res.name,
                    "difficulty": res.difficulty,
                    "written": "blind" if res.blind else "beside the rules",
                    "pass_rate": res.pass_rate,
                    "runs": [
                        {**r.score.as_dict(), "service": r.service, "wall_s": round(r.wall_s, 3), "tokens_in": r.tokens_in,
                         "tokens_out": r.tokens_out, "cost_usd": r.cost_usd, "root_cause": r.root_cause, "report": r.report}
                        for r in res.runs
                    ],
                }
                for res in results
            ],
        },
        indent=2,
    )


def to_markdown(results: list[ScenarioResult], model: str, cases: list[CaseResult] | None = None) -> str:
    lines = [
        f"Model: {model}",
        "",
        "| scenario | written | difficulty | started at | pass | tool calls (optimal) | wall s | tokens in/out | why not |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for res in sorted(results, key=lambda r: (not r.blind, r.name)):
        for r in res.runs:
            s = r.score
            lines.append(
                f"| {res.name} | {'blind' if res.blind else 'beside'} | {res.difficulty or '-'} | {r.service} | {'✅' if s.passed else '❌'} "
                f"| {s.tool_calls} ({s.optimal_steps or '-'}) | {r.wall_s:.2f} | {r.tokens_in}/{r.tokens_out} | {'; '.join(s.reasons) or ''} |"
            )
    if cases:
        lines += ["", "| case | pass | what happened |", "|---|---|---|"]
        lines += [f"| {c.name} | {'✅' if c.passed else '❌'} | {c.detail.replace('|', '/')} |" for c in cases]
    sm = summary(results, cases)

    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.0%}"

    lines += [
        "",
        f"**Blind {pct(sm['blind_pass_rate'])}** ({sm['blind_scenarios']} scenarios written blind); "
        f"**the rest {pct(sm['rest_pass_rate'])}** ({sm['rest_scenarios']} written beside the rules); "
        f"cases {sm['cases_passed']}/{sm['cases']}; overall {pct(sm['pass_rate'])} ({sm['runs']} runs). "
        f"Avg {sm['avg_tool_calls']} tool calls, {sm['avg_wall_s']} s per investigation; "
        f"tokens {sm['tokens_in']}/{sm['tokens_out']}, cost ${sm['cost_usd']:.4f}.",
    ]
    return "\n".join(lines)


class _FailingHost:
    """The host with every tool call failing (a backend outage): the investigation must say so, not guess."""

    def __init__(self, host: Any):
        self._host = host

    def __getattr__(self, name: str) -> Any:
        return getattr(self._host, name)

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None, **kw: Any) -> Any:
        from sre_console.host.host import CallResult

        return CallResult(0, name, "sre", dict(arguments or {}), ok=False, error="backend unavailable (injected by eval)", done=True)


async def run_cases(model_id: str | None, server_args: list[str] | None = None) -> list[CaseResult]:
    """Honesty cases on the reference scenario: unknown service, typo, free text, every tool failing."""
    from sre_console.headless import investigate, make_model
    from sre_console.host import build_host

    extra = list(server_args or [])
    if "--audit-log" not in extra:
        extra += ["--audit-log", str(Path(tempfile.mkdtemp(prefix="sre-eval-")) / "audit.jsonl")]
    if "--no-rag" not in extra:
        extra.append("--no-rag")
    host = build_host(["--scenario", CASES_SCENARIO, *extra])
    await host.start()
    out: list[CaseResult] = []
    try:
        services = [s["name"] for s in (await host.call_tool(Tool.LIST_SERVICES, {})).payload().get("services", [])]
        worst, _ = await paging_service(host)

        def model() -> Any:
            return make_model(offline=model_id is None, model=model_id, quiet=True)

        r = await investigate(host, model(), "investigate-service", {"service": "no-such-service"}, None)
        ok = r.error_kind == "unknown-target" and r.report is None and not r.tool_calls
        out.append(CaseResult("unknown service", ok, r.error or f"status {r.status}, {len(r.tool_calls)} tool calls"))

        typo = worst[:3] + worst[4:]  # one letter dropped, as a hurried typist would
        r = await investigate(host, model(), "investigate-service", {"service": typo}, None)
        ok = r.error_kind == "unknown-target" and worst in (r.error or "") and "did you mean" in (r.error or "") and r.report is None
        out.append(CaseResult(f"typo ({typo})", ok, r.error or f"status {r.status}"))

        question = "why are customers seeing errors?"
        r = await investigate(host, model(), None, {}, question)
        checked = {c.arguments.get("service_name") for c in r.tool_calls if c.name == "check_service_health" and c.ok}
        rc = r.report.root_cause if r.report else ""
        text = r.report.text if r.report else ""
        ok = r.status == "done" and set(services) <= checked and worst in rc and not placeholders(text)
        out.append(CaseResult("free text", ok, f"checked {len(checked)}/{len(services)} services; root cause: {rc[:160]}", text))

        r = await investigate(_FailingHost(host), model(), "investigate-service", {"service": worst}, None)
        rc = r.report.root_cause if r.report else ""
        text = r.report.text if r.report else ""
        ok = r.status == "done" and rc.lower().startswith("not established") and "fail" in rc.lower() and not placeholders(text)
        out.append(CaseResult("every tool failing", ok, rc[:200] or f"status {r.status}: {r.error}", text))
    finally:
        await host.stop()
    return out


async def run_eval(scenarios: str | None, difficulty: str | None, iterations: int, model_id: str | None,
                   server_args: list[str] | None = None) -> list[ScenarioResult]:
    results = []
    for name, folder, answer in select_scenarios(scenarios, difficulty):
        print(f"eval: {name} …", file=sys.stderr, flush=True)
        results.append(await run_scenario(name, folder, answer, iterations, model_id, server_args))
    return results


def gate(results: list[ScenarioResult], cases: list[CaseResult], min_blind: float, min_rest: float) -> list[str]:
    """Why the run falls short of the bar (empty when it passes): blind and rest are judged apart."""
    sm = summary(results, cases)
    out = []
    if sm["blind_pass_rate"] is not None and sm["blind_pass_rate"] < min_blind:
        out.append(f"blind pass rate {sm['blind_pass_rate']:.0%} is below {min_blind:.0%}")
    if sm["rest_pass_rate"] is not None and sm["rest_pass_rate"] < min_rest:
        out.append(f"pass rate of the rest {sm['rest_pass_rate']:.0%} is below {min_rest:.0%}")
    failed = [c.name for c in cases if not c.passed]
    if failed:
        out.append("cases failed: " + ", ".join(failed))
    return out


def main(ns: argparse.Namespace) -> int:
    import os

    if ns.model and not os.environ.get("ANTHROPIC_API_KEY"):
        print("sre-console eval: --model needs ANTHROPIC_API_KEY; without it the offline investigator is scored", file=sys.stderr)
        return 2
    try:
        results = asyncio.run(run_eval(ns.scenarios, ns.difficulty, max(1, ns.iterations), ns.model,
                                       getattr(ns, "server_args", None)))
    except ValueError as exc:  # e.g. an unknown scenario name
        print(f"sre-console eval: {exc}", file=sys.stderr)
        return 2
    if not results:
        print("sre-console eval: no scenario with an answer.yaml matched", file=sys.stderr)
        return 2
    cases = [] if getattr(ns, "no_cases", False) or ns.scenarios else asyncio.run(run_cases(ns.model, getattr(ns, "server_args", None)))
    model = ns.model or "offline investigator"
    print(to_json(results, model, cases) if ns.format == "json" else to_markdown(results, model, cases))
    rate = summary(results)["pass_rate"]
    if rate < ns.min_pass:
        print(f"sre-console eval: pass rate {rate:.0%} is below --min-pass {ns.min_pass:.0%}", file=sys.stderr)
        return 1
    short = gate(results, cases, getattr(ns, "min_blind", 0.0) or 0.0, getattr(ns, "min_rest", 0.0) or 0.0)
    if short:
        print("sre-console eval: " + "; ".join(short), file=sys.stderr)
        return 1
    return 0
