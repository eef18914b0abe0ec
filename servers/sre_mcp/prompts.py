"""Investigation prompts, declared once as data.

Each prompt is a numbered procedure. A step is structured: the tool calls it makes,
what each call is about (`on`: a subject chosen from the evidence, such as the worst
pod), whether it fans out (`for_each`), the argument hints, an optional condition
(`when`) and the goal in plain words. The prompt text a model reads is rendered from
that structure, and the same structure goes to hosts in the prompt result's `_meta`
(key `sre/steps`), so a host's checklist or a rule-based planner never parses prose.
A test checks that every named tool exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REPORT_SECTIONS = ["ROOT CAUSE", "SEVERITY", "IMMEDIATE ACTIONS", "RUNBOOK REFERENCE", "FOLLOW-UP"]
_SEVERITY = "SEVERITY: P1 (customer-facing outage or data loss), P2 (major degradation), P3 (minor, contained), or P4 (no user impact), with one line of why."
META_KEY = "sre/steps"

# The subjects a call can be about, chosen from earlier results; the phrase is how the prompt says it.
SUBJECTS: dict[str, str] = {
    "target": "the service",
    "target_namespace": "the service's namespace",
    "worst_pod": "the worst pod of the service (not ready, most restarts)",
    "failing_service": "the first failing service",
    "failing_namespace": "the failing service's namespace",
    "failing_host": "the failing host, if it is one of the unhealthy pods",
    "error_trace": "a trace id carried by an error",
    "signals": "the signals found (termination reason, top error)",
    "rollback": "the rollback procedure of this kind of service",
}
# Fan-outs: one call per item.
FOR_EACH: dict[str, str] = {
    "service": "each service",
    "unhealthy_service": "each service that is not healthy",
    "unhealthy_namespace": "each namespace that has an unhealthy service",
    "trace_error_service": "each service that logged an error on this trace",
}
# Argument values that depend on the evidence.
DYNAMIC_VALUES: dict[str, str] = {"@restarted": "true when it has restarted"}
# Conditions a step can carry.
WHEN: dict[str, str] = {"error_trace": "an error carries a trace id"}


@dataclass(frozen=True)
class Call:
    tool: str
    args: dict[str, Any] = field(default_factory=dict)  # literal, "{prompt_argument}" or a DYNAMIC_VALUES key
    on: str | None = None  # a SUBJECTS key
    for_each: str | None = None  # a FOR_EACH key

    def resolve(self, values: dict[str, str]) -> dict[str, Any]:
        args = {k: (v.format(**values) if isinstance(v, str) and "{" in v else v) for k, v in self.args.items()}
        return {"tool": self.tool, "args": args, "on": self.on, "for_each": self.for_each}

    def render(self, values: dict[str, str]) -> str:
        text = f"`{self.tool}`"
        if self.for_each:
            text += f" for {FOR_EACH[self.for_each]}"
        if self.on:
            text += f" on {SUBJECTS[self.on]}"
        args = self.resolve(values)["args"]
        if args:
            shown = [f"{k}={DYNAMIC_VALUES.get(v, v) if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else v}"
                     for k, v in args.items()]
            text += " with " + ", ".join(shown)
        return text


@dataclass(frozen=True)
class Step:
    calls: tuple[Call, ...]
    goal: str
    when: str | None = None  # a WHEN key: call only if it holds

    def render(self, values: dict[str, str]) -> str:
        calls = " and ".join(c.render(values) for c in self.calls)
        lead = f"If {WHEN[self.when]}, call " if self.when else "Call "
        return f"{lead}{calls}: {self.goal.format(**values)}"

    def structure(self, number: int, values: dict[str, str]) -> dict[str, Any]:
        return {"number": number, "text": self.render(values), "goal": self.goal.format(**values), "when": self.when,
                "tools": [c.tool for c in self.calls], "calls": [c.resolve(values) for c in self.calls]}


@dataclass(frozen=True)
class PromptArg:
    name: str
    description: str
    required: bool = True


@dataclass(frozen=True)
class PromptSpec:
    name: str
    title: str
    description: str
    arguments: tuple[PromptArg, ...]
    intro: str
    steps: tuple[Step, ...]
    report: tuple[str, ...]

    def values(self, args: dict[str, Any]) -> dict[str, str]:
        values = {a.name: str(args.get(a.name) or "").strip() for a in self.arguments}
        for a in self.arguments:
            if a.required and not values[a.name]:
                raise ValueError(f"prompt {self.name} needs argument {a.name!r}")
        if "symptoms" in values and not values["symptoms"]:
            values["symptoms"] = "none reported; find them"
        return values

    def render(self, args: dict[str, Any]) -> str:
        values = self.values(args)
        lines = [self.intro.format(**values), "", "Work through these steps in order, calling the tools named in each:"]
        lines += [f"{i}. {step.render(values)}" for i, step in enumerate(self.steps, 1)]
        lines += ["", "Base every claim on tool output; quote the evidence (pod names, log lines, numbers).",
                  "When the evidence does not settle the cause, say \"not established\" and rank the hypotheses with what would confirm each.",
                  "Then write the report with exactly these sections:"]
        lines += [f"- {r.format(**values)}" for r in self.report]
        return "\n".join(lines)

    def structure(self, args: dict[str, Any]) -> dict[str, Any]:
        """What hosts get in `_meta`: the steps as data, the report sections, the arguments."""
        values = self.values(args)
        return {
            "prompt": self.name,
            "arguments": {a.name: values[a.name] for a in self.arguments if args.get(a.name)},
            "steps": [s.structure(i, values) for i, s in enumerate(self.steps, 1)],
            "sections": [r.split(":", 1)[0] for r in self.report],
        }

    def step_tools(self) -> list[list[str]]:
        """The tools each step names, in order."""
        return [[c.tool for c in s.calls] for s in self.steps]


_REPORT = (
    "ROOT CAUSE: one or two sentences naming the failing component, the mechanism, and the trigger (a change, a job, a dependency), with the evidence.",
    _SEVERITY,
    "IMMEDIATE ACTIONS: numbered steps, each with the exact command to run (kubectl, SQL, curl).",
    "RUNBOOK REFERENCE: the runbook id and runbook:// URI that applies, and the section to follow.",
    "FOLLOW-UP: what to fix so it does not happen again (code, config, alerting, capacity).",
)

PROMPTS: tuple[PromptSpec, ...] = (
    PromptSpec(
        name="investigate-service",
        title="Investigate a service",
        description="Find the root cause of a service's trouble: health, pods, logs, deploys, traces and runbooks, ending in an incident report.",
        arguments=(
            PromptArg("service", "The service to investigate, e.g. payment-gateway"),
            PromptArg("symptoms", "What users or alerts report (optional)", required=False),
        ),
        intro="You are the on-call SRE. Investigate the service {service}. Reported symptoms: {symptoms}.",
        steps=(
            Step((Call("check_service_health", {"service_name": "{service}"}),),
                 "note the verdict, error rate, p99, firing alerts and when they started (the onset), and the service's namespace."),
            Step((Call("list_pods", {"status_filter": "unhealthy"}, on="target_namespace"),),
                 "find the failing pods of {service}; note restarts and last termination reasons."),
            Step((Call("describe_pod", on="worst_pod"),),
                 "container state, last state (reason, exit code), usage against requests and limits, probes and its events."),
            Step((Call("get_pod_logs", {"previous": "@restarted"}, on="worst_pod"),),
                 "read what the crashed instance did last."),
            Step((Call("get_events", {"event_type": "Warning"}, on="target_namespace"),),
                 "cluster-level trouble (evictions, probe failures, pull errors)."),
            Step((Call("get_recent_deploys", {"service_name": "{service}"}),),
                 "did a change (a deploy or a config-only revision) land shortly before the onset? "
                 "Check that the errors match what the change did before blaming it."),
            Step((Call("search_logs", {"service": "{service}", "level": "ERROR"}), Call("count_errors", {"group_by": "message"})),
                 "which errors are new or spiking since the onset, how many, when first seen, and which trace ids they carry; "
                 "when they name another component, check that component's own health, pods and logs."),
            Step((Call("trace_transaction", on="error_trace"),),
                 "see which other services the failure touched and where it started.", when="error_trace"),
            Step((Call("search_runbooks", on="signals"),),
                 "find the procedure to follow."),
        ),
        report=_REPORT,
    ),
    PromptSpec(
        name="trace-transaction",
        title="Trace a transaction",
        description="Follow one transaction across services, find where and why it failed, and what else it touched.",
        arguments=(PromptArg("trace_id", "The trace id, e.g. tx-abc123"),),
        intro="You are the on-call SRE. Find out what happened to transaction {trace_id}.",
        steps=(
            Step((Call("trace_transaction", {"trace_id": "{trace_id}"}),),
                 "the services it passed through, in order, and the first failing event."),
            Step((Call("check_service_health", for_each="trace_error_service"),),
                 "the state of every service that logged an error on this trace."),
            Step((Call("search_logs", {"level": "ERROR", "time_range": "1h"}, on="failing_service"),),
                 "is this failure isolated or part of a pattern?"),
            Step((Call("list_pods", {"status_filter": "unhealthy"}, on="failing_namespace"),
                  Call("get_pod_logs", {"previous": "@restarted"}, on="failing_host")),
                 "the failing host's own pods and what it logged."),
            Step((Call("get_recent_deploys", on="failing_service"),),
                 "did a change land before the failure?"),
            Step((Call("search_runbooks", on="signals"),),
                 "the procedure for the failure found."),
        ),
        report=(
            "ROOT CAUSE: where the transaction failed first, why, and how the failure spread to the other services (with the log lines).",
            _SEVERITY,
            "IMMEDIATE ACTIONS: numbered steps with exact commands.",
            "RUNBOOK REFERENCE: the runbook id and runbook:// URI.",
            "FOLLOW-UP: fixes and whether the customer's transaction needs manual recovery.",
        ),
    ),
    PromptSpec(
        name="pre-deploy-check",
        title="Pre-deploy check",
        description="Decide GO or NO-GO for deploying a service now, from its health, the cluster's state and recent changes.",
        arguments=(
            PromptArg("service", "The service about to be deployed"),
            PromptArg("namespace", "Its namespace"),
        ),
        intro="You are the release gate. Decide whether {service} in namespace {namespace} can be deployed now.",
        steps=(
            Step((Call("check_service_health", {"service_name": "{service}"}),),
                 "a service already degraded should not take a deploy unless it is the fix."),
            Step((Call("list_deployments", {"namespace": "{namespace}"}),), "any rollout in progress or degraded?"),
            Step((Call("list_pods", {"namespace": "{namespace}", "status_filter": "unhealthy"}),), "pods already failing."),
            Step((Call("get_events", {"namespace": "{namespace}", "event_type": "Warning"}),),
                 "node pressure, evictions or scheduling failures make a rollout risky."),
            Step((Call("count_errors", {"group_by": "service", "time_range": "1h"}),), "is the error budget already burning?"),
            Step((Call("get_recent_deploys", {"service_name": "{service}", "hours_back": 72}),),
                 "how recent was the last change, and did it succeed?"),
            Step((Call("get_slow_queries", {"service": "{service}"}),), "a database under strain is a risk for new code paths."),
            Step((Call("search_runbooks", on="rollback"),), "the rollback procedure to have ready."),
        ),
        report=(
            "DECISION: GO or NO-GO, in the first line, with the blocking reasons.",
            "ROOT CAUSE: for NO-GO, what is wrong now and why it blocks the deploy; for GO, 'none found'.",
            _SEVERITY.replace("with one line of why.", "of the current state, with one line of why."),
            "IMMEDIATE ACTIONS: what to do before deploying, and the rollback command ready to paste (kubectl rollout undo ...).",
            "RUNBOOK REFERENCE: the rollback runbook id and runbook:// URI.",
            "FOLLOW-UP: checks to watch during and after the rollout.",
        ),
    ),
    PromptSpec(
        name="daily-health-report",
        title="Daily health report",
        description="A daily GREEN / YELLOW / RED report across every service, with the top issues and follow-ups.",
        arguments=(),
        intro="You are the SRE writing today's health report for every service.",
        steps=(
            Step((Call("list_services"),), "every service and its namespace."),
            Step((Call("check_service_health", for_each="service"),), "each service's verdict."),
            Step((Call("count_errors", {"group_by": "service", "time_range": "24h"}),), "where errors concentrate."),
            Step((Call("get_events", {"event_type": "Warning"}, for_each="unhealthy_namespace"),), "cluster-level trouble."),
            Step((Call("list_deployments", for_each="unhealthy_namespace"),), "rollout state."),
            Step((Call("get_recent_deploys", {"hours_back": 24}, for_each="unhealthy_service"),), "changes of the day."),
            Step((Call("get_slow_queries", {"limit": 5}),), "the slowest queries of the day."),
        ),
        report=(
            "OVERALL: GREEN (all healthy), YELLOW (degraded, no outage) or RED (an outage or critical alert), in the first line.",
            "A table: service | status | error rate | p99 | notes.",
            "ROOT CAUSE: for each service that is not healthy, the most likely cause with evidence.",
            _SEVERITY.replace("with one line of why.", "of the worst issue, with one line of why."),
            "IMMEDIATE ACTIONS: numbered, with commands.",
            "RUNBOOK REFERENCE: runbook ids and runbook:// URIs for the issues found.",
            "FOLLOW-UP: owners and next steps.",
        ),
    ),
)


def get(name: str) -> PromptSpec | None:
    return next((p for p in PROMPTS if p.name == name), None)
