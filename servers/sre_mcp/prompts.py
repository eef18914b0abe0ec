"""Investigation prompts, declared once as data.

Each prompt is a numbered procedure; every step names the tools it calls in
backticks. Hosts show the rendered text to a model; the offline investigator reads
the same text and follows the same steps; a test checks every named tool exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

REPORT_SECTIONS = ["ROOT CAUSE", "SEVERITY", "IMMEDIATE ACTIONS", "RUNBOOK REFERENCE", "FOLLOW-UP"]
_SEVERITY = "SEVERITY: P1 (customer-facing outage or data loss), P2 (major degradation), P3 (minor, contained), or P4 (no user impact), with one line of why."


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
    steps: tuple[str, ...]
    report: tuple[str, ...]
    checklist: tuple[str, ...] = field(default=())

    def render(self, args: dict[str, Any]) -> str:
        values = {a.name: (args.get(a.name) or "").strip() for a in self.arguments}
        for a in self.arguments:
            if a.required and not values[a.name]:
                raise ValueError(f"prompt {self.name} needs argument {a.name!r}")
        if "symptoms" in values and not values["symptoms"]:
            values["symptoms"] = "none reported; find them"
        lines = [self.intro.format(**values), "", "Work through these steps in order, calling the tools named in each:"]
        lines += [f"{i}. {step.format(**values)}" for i, step in enumerate(self.steps, 1)]
        lines += ["", "Base every claim on tool output; quote the evidence (pod names, log lines, numbers).",
                  "Then write the report with exactly these sections:"]
        lines += [f"- {r.format(**values)}" for r in self.report]
        return "\n".join(lines)

    def step_tools(self) -> list[list[str]]:
        """The tools each step names, in order (for checklists and the offline investigator)."""
        return [re.findall(r"`([a-z_]+)`", step) for step in self.steps]


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
            "Call `check_service_health` with service_name={service}: note the verdict, error rate, p99, firing alerts and the service's namespace.",
            "Call `list_pods` for that namespace (status_filter=unhealthy) to find the failing pods of {service}; note restarts and last termination reasons.",
            "Call `describe_pod` on the worst pod: container state, last state (reason, exit code), limits, probes and its events.",
            "Call `get_pod_logs` on that pod (previous=true when it has restarted) to read what the crashed instance did last.",
            "Call `get_events` for the namespace with event_type=Warning to see cluster-level trouble (evictions, probe failures, pull errors).",
            "Call `get_recent_deploys` for {service}: did a change land shortly before the trouble? "
            "Check that the errors match what the change did before blaming it.",
            "Call `search_logs` for {service} with level=ERROR and `count_errors` grouped by message "
            "to see which errors dominate and which trace ids they carry.",
            "If an error carries a trace id, call `trace_transaction` on it to see which other services the failure touched and where it started.",
            "Call `search_runbooks` with the signals you found (for example the termination reason and the top error) to find the procedure to follow.",
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
            "Call `trace_transaction` with trace_id={trace_id}: the services it passed through, in order, and the first failing event.",
            "Call `check_service_health` for each service that logged an error on this trace.",
            "Call `search_logs` for the first failing service (level=ERROR, time_range=1h) to see whether this failure is isolated or part of a pattern.",
            "Call `list_pods` in the failing service's namespace (status_filter=unhealthy) and, if the failing host is one of them, "
            "`get_pod_logs` on it (previous=true when it restarted).",
            "Call `get_recent_deploys` for the failing service.",
            "Call `search_runbooks` with the failure you found.",
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
            "Call `check_service_health` with service_name={service}: a service already degraded should not take a deploy unless it is the fix.",
            "Call `list_deployments` for {namespace}: any rollout in progress or degraded?",
            "Call `list_pods` for {namespace} with status_filter=unhealthy.",
            "Call `get_events` for {namespace} with event_type=Warning: node pressure, evictions or scheduling failures make a rollout risky.",
            "Call `count_errors` grouped by service over 1h: is the error budget already burning?",
            "Call `get_recent_deploys` for {service} with hours_back=72: how recent was the last change, and did it succeed?",
            "Call `get_slow_queries` for {service}: a database under strain is a risk for new code paths.",
            "Call `search_runbooks` for the rollback procedure of this kind of service.",
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
            "Call `list_services` to get every service and its namespace.",
            "Call `check_service_health` for each service.",
            "Call `count_errors` grouped by service over 24h.",
            "Call `get_events` with event_type=Warning for each namespace that has an unhealthy service.",
            "Call `list_deployments` for each namespace with an unhealthy service.",
            "Call `get_recent_deploys` with hours_back=24 for each service that is not healthy.",
            "Call `get_slow_queries` (limit=5) for the slowest queries of the day.",
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
