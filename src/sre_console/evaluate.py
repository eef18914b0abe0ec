"""`sre-console eval`: run an investigation on every scenario and score it, no LLM judge.

The investigation starts where an on-call starts: at the service that pages (the
answer file's `start: {service, symptoms}`, or else the worst service by
check_service_health), and runs the investigate-service prompt through the same
loop as the chat pane. The scorer is `scoring.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sre_console.server_facts import ROOT_CAUSE, Tool, worst_first

from sre_console.scoring import Score, score



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


@dataclass
class ScenarioResult:
    name: str
    difficulty: str | None
    runs: list[Run] = field(default_factory=list)

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

    result = ScenarioResult(name, answer.get("difficulty"))
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
            u = inv.usage
            result.runs.append(Run(s, service, wall, u.input_tokens, u.output_tokens, u.cost_usd, root_cause, inv.status, inv.error))
    finally:
        await host.stop()
    return result


def summary(results: list[ScenarioResult]) -> dict[str, Any]:
    runs = [r for res in results for r in res.runs]
    n = len(runs) or 1
    return {
        "scenarios": len(results),
        "runs": len(runs),
        "pass_rate": round(sum(r.score.passed for r in runs) / n, 4),
        "avg_tool_calls": round(sum(r.score.tool_calls for r in runs) / n, 2),
        "avg_wall_s": round(sum(r.wall_s for r in runs) / n, 3),
        "tokens_in": sum(r.tokens_in for r in runs),
        "tokens_out": sum(r.tokens_out for r in runs),
        "cost_usd": round(sum(r.cost_usd for r in runs), 4),
    }


def to_json(results: list[ScenarioResult], model: str) -> str:
    return json.dumps(
        {
            "model": model,
            "summary": summary(results),
            "scenarios": [
                {
                    "name": res.name,
                    "difficulty": res.difficulty,
                    "pass_rate": res.pass_rate,
                    "runs": [
                        {**r.score.as_dict(), "service": r.service, "wall_s": round(r.wall_s, 3), "tokens_in": r.tokens_in,
                         "tokens_out": r.tokens_out, "cost_usd": r.cost_usd, "root_cause": r.root_cause}
                        for r in res.runs
                    ],
                }
                for res in results
            ],
        },
        indent=2,
    )


def to_markdown(results: list[ScenarioResult], model: str) -> str:
    lines = [
        f"Model: {model}",
        "",
        "| scenario | difficulty | started at | pass | tool calls (optimal) | wall s | tokens in/out | why not |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        for r in res.runs:
            s = r.score
            lines.append(
                f"| {res.name} | {res.difficulty or '-'} | {r.service} | {'✅' if s.passed else '❌'} | {s.tool_calls} ({s.optimal_steps or '-'}) "
                f"| {r.wall_s:.2f} | {r.tokens_in}/{r.tokens_out} | {'; '.join(s.reasons) or ''} |"
            )
    sm = summary(results)
    lines += [
        "",
        f"**Pass rate {sm['pass_rate']:.0%}** ({sm['runs']} runs over {sm['scenarios']} scenarios); "
        f"avg {sm['avg_tool_calls']} tool calls, {sm['avg_wall_s']} s per investigation; "
        f"tokens {sm['tokens_in']}/{sm['tokens_out']}, cost ${sm['cost_usd']:.4f}.",
    ]
    return "\n".join(lines)


async def run_eval(scenarios: str | None, difficulty: str | None, iterations: int, model_id: str | None,
                   server_args: list[str] | None = None) -> list[ScenarioResult]:
    results = []
    for name, folder, answer in select_scenarios(scenarios, difficulty):
        print(f"eval: {name} …", file=sys.stderr, flush=True)
        results.append(await run_scenario(name, folder, answer, iterations, model_id, server_args))
    return results


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
    model = ns.model or "offline investigator"
    print(to_json(results, model) if ns.format == "json" else to_markdown(results, model))
    rate = summary(results)["pass_rate"]
    if rate < ns.min_pass:
        print(f"sre-console eval: pass rate {rate:.0%} is below --min-pass {ns.min_pass:.0%}", file=sys.stderr)
        return 1
    return 0
