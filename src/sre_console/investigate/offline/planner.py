"""The offline investigator's planner: which calls to make next, with arguments from the evidence.

It follows the prompt's steps as data (steps.py: tools, the subject of each call,
fan-outs, hints), then follows the evidence: the components the errors name, read
one hop at a time (analysis.py), and the category rules' own leads. A question with no
prompt starts with a sweep of every service's health.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sre_console.investigate.offline.analysis import BUNDLE_NAME, DISK_FULL, TRUST_FAILURE, Analyst, Component, Finding, baseline_keyword, slow_burn
from sre_console.investigate.offline.evidence import Evidence, hosts_by_errors
from sre_console.investigate.offline.rules import CATEGORIES, Diagnosis, diagnose
from sre_console.investigate.offline.steps import PlannedCall, Procedure, Step

MAX_FANOUT = 12  # calls in one turn; a sweep of more services takes more turns
FOLLOW_UP_ROUNDS = 12  # turns of evidence-driven calls after the prompt's steps (about three per hop)
SWEEP_ROUNDS = 6  # turns a free-text sweep may take (list, then health in batches)
_POD_TOOLS = {"describe_pod", "get_pod_logs"}
_ERROR_TOOLS = {"search_logs", "count_errors", "trace_transaction"}
_GATHER_TOOLS = {"get_events", "search_logs", "count_errors", "trace_transaction"}  # more symptoms, not the trigger
_CALLER_CATEGORIES = {"upstream-saturation", "certificate-expiry", "dns-failure"}  # errors about a dependency
_NODE_CATEGORIES = {"resource-pressure-eviction", "node-failure"}  # the culprit's pods are not the ones that fail
_SIGNALS = ("evict", "no space", "out of memory", "refused", "throttl", "timed out", "timeout", "expired")
_RANK = {"critical": 0, "degraded": 1, "unknown": 2, "healthy": 3}
WIDE_WINDOW = "6h"  # errors are read over hours, so what is new since the onset shows against what came before
_DB_NAME = re.compile(r"\b([a-z][a-z0-9-]*-(?:db|pg|postgres|mysql|database))\b")
_CONFIGMAP_NAME = re.compile(r"\bConfigMap[\s:/]+(?:[a-z0-9-]+/)?([a-z0-9][a-z0-9.-]*[a-z0-9])", re.I)


def _young(age: object) -> bool:
    """A kubectl age ('12m', '45s', '1h5m') under an hour."""
    text = str(age or "")
    return bool(re.fullmatch(r"\d+s|\d+m(?:\d+s)?", text))


def _configmaps_in(deploy: dict, blob: str) -> list[str]:
    """ConfigMaps a change names: the diff's `configmaps` keys, or "ConfigMap <name>" in its text."""
    diff = deploy.get("diff") or {}
    names = list((diff.get("configmaps") or {}).keys()) if isinstance(diff, dict) and isinstance(diff.get("configmaps"), dict) else []
    names += _CONFIGMAP_NAME.findall(blob)
    return list(dict.fromkeys(names))


_CONFIGURED_DBS = re.compile(r"configured databases:\s*([^\n\"}]+)")


def _coerce(value: Any, schema: dict[str, Any]) -> Any:
    if not isinstance(value, str):
        return value
    kind = schema.get("type")
    if kind == "integer":
        return int(value) if value.isdigit() else None
    if kind == "boolean":
        return value.lower() == "true"
    enum = schema.get("enum") or [e for a in schema.get("anyOf", []) for e in a.get("enum", [])]
    if enum and value not in enum:
        return None
    return value


class Planner:
    """Turns the prompt's next step into concrete calls, with arguments from the evidence."""

    def __init__(self, proc: Procedure | None, ev: Evidence, schemas: dict[str, dict], question: str | None = None):
        self.proc, self.ev, self.schemas, self.question = proc, ev, schemas, question
        self.steps: list[Step] = list(proc.steps) if proc else []
        args = proc.arguments if proc else {}
        self.target = args.get("service") or (self.swept_target() if proc is None else None)
        self.target_ns = args.get("namespace")
        self.symptoms = args.get("symptoms") or question
        self._finding: Finding | None = None
        self._diagnosis: Diagnosis | None = None

    # a question with no prompt: sweep, then investigate the worst -------------------------
    def sweep_calls(self) -> list[tuple[str, dict]]:
        """Every service's health, a batch per turn, before anything is said about any of them."""
        if "list_services" not in self.schemas:
            return []
        if not any(t == "list_services" for t, _ in self.ev.calls):
            return [("list_services", {})]
        todo = [s.get("name") for s in self.ev.services if s.get("name") and s.get("name") not in self.ev.health
                and ("check_service_health", {"service_name": s.get("name")}) not in self.ev.calls]
        return [("check_service_health", {"service_name": s}) for s in todo[:MAX_FANOUT]] if "check_service_health" in self.schemas else []

    def swept(self) -> bool:
        """Every listed service's health was asked for."""
        names = [s.get("name") for s in self.ev.services if s.get("name")]
        return bool(names) and all(("check_service_health", {"service_name": n}) in self.ev.calls for n in names)

    def swept_target(self) -> str | None:
        """The worst service of a finished sweep: worst verdict, then error rate, then alerts; None if all are healthy."""
        if not self.swept():
            return None
        rows = [h for h in self.ev.health.values() if h.get("status") in ("critical", "degraded")]
        if not rows:
            return None
        rows.sort(key=lambda h: (_RANK.get(h.get("status"), 2), -(h.get("error_rate") or 0), -len(h.get("alerts") or [])))
        return rows[0].get("service")

    def analysis(self) -> Finding:
        if self._finding is None:
            self._finding = Analyst(self.ev, self.focus()).finding()
        return self._finding

    def component_calls(self, c: Component) -> list[tuple[str, dict]]:
        """Read a component's own evidence: health, pods, warning events, errors, changes; then its worst pod."""
        calls: list[tuple[str, dict]] = []
        ns = c.namespace
        searched_before = True
        if c.kind == "service":
            if c.name not in self.ev.health:
                calls.append(("check_service_health", {"service_name": c.name}))
                return calls  # its namespace comes with it
            ns = ns or self.ev.namespace_of(c.name)
            searched = [a for a in self.ev.searched if a.get("service") == c.name]
            searched_before = bool(searched)
            if not searched:
                calls.append(("search_logs", {"service": c.name, "level": "ERROR", "time_range": WIDE_WINDOW, "limit": 100}))
            elif all(a.get("level") == "ERROR" for a in searched) and sum(int(a.get("total_matches") or 0) for a in searched) < 5 \
                    and ((self.ev.health.get(c.name) or {}).get("error_rate") or 0) >= 0.01:
                # Failing requests but hardly an ERROR line: it answers them as 4xx and logs warnings.
                calls.append(("search_logs", {"service": c.name, "level": "WARN", "time_range": WIDE_WINDOW, "limit": 100}))
            if c.name not in self.ev.deploys:
                calls.append(("get_recent_deploys", {"service_name": c.name, "hours_back": 24}))
        elif ns is None:
            # A pod-only component (a database, a broker): find its namespace among the ones we know.
            spaces = sorted({s.get("namespace") for s in self.ev.services if s.get("namespace")} - set(self.ev.pods))
            return [("list_pods", {"namespace": n}) for n in spaces[:MAX_FANOUT]]
        if ns and ns not in self.ev.listed_all:
            calls.append(("list_pods", {"namespace": ns}))
        if ns and ns not in self.ev.events:
            calls.append(("get_events", {"namespace": ns, "event_type": "Warning"}))
        if ns and ns not in self.ev.workloads and "list_workloads" in self.schemas:
            calls.append(("list_workloads", {"namespace": ns}))  # rollouts stuck, StatefulSets short of replicas
        if ns and c.kind == "service" and ns not in self.ev.hpas and "list_hpas" in self.schemas:
            calls.append(("list_hpas", {"namespace": ns}))  # replicas held or pinned at max: capacity the autoscaler did not add
        if ns and c.kind == "service" and c.refused_callers and (ns, c.name) not in self.ev.endpoints and "get_service_endpoints" in self.schemas:
            calls.append(("get_service_endpoints", {"namespace": ns, "service": c.name}))  # callers refused: does it route anywhere?
        pods = self.ev.service_pods(c.name) if c.kind == "service" else Analyst(self.ev, self.focus()).pods_named(c.name)
        bad = [p for p in pods if not p.get("healthy")]
        loud = hosts_by_errors(self.ev.log_rows, c.name)
        # Its worst pod, else the one that logs most errors, else any: a component's own log is read even when
        # its pods look fine (a healthy-looking pod can still say why it fails).
        first = None
        if not bad and c.kind == "service":
            an = Analyst(self.ev, self.focus())
            first = an.first_failing_host(c.name, an.onset(self.focus()).at)
        pick = bad[0] if bad else next((p for p in pods if p["name"] == first), None) or next(
            (p for p in pods if p["name"] in loud), pods[0] if pods else None)
        if self.ev.nodes is None and "list_nodes" in self.schemas and (c.node_bound or any(
                p.get("status") in ("Pending", "Evicted") or str(p.get("node")) in ("", "<none>") for p in bad)
                or any(_young(p.get("age")) for p in pods)):
            # (Pods recreated within the hour: a node drained, lost or replaced moves pods; the nodes say which.)
            calls.append(("list_nodes", {}))  # unschedulable, evicted, or failing only on one node: the nodes say why
        read = [p for p in pods if p["name"] in self.ev.pod_logs]
        described = [p for p in pods if p["name"] in self.ev.describe]
        pns = (pick or {}).get("namespace") or ns
        if c.kind == "service" and not searched_before and not bad and len(pods) > 1:
            return calls  # which pod to read follows from who logged the first errors: search first
        if first and pick is not None and pick["name"] == first and pns and first not in self.ev.pod_logs:
            # The pod where the new errors began, even when another pod of it was read already.
            return calls + [("describe_pod", {"namespace": pns, "pod_name": first}),
                            ("get_pod_logs", {"namespace": pns, "pod_name": first, "lines": 100, "previous": False})]
        if pick is not None and pns and not (read and described):
            if not described:
                calls.append(("describe_pod", {"namespace": pns, "pod_name": (read[0] if read else pick)["name"]}))
            if not read:
                calls.append(("get_pod_logs", {"namespace": pns, "pod_name": pick["name"], "lines": 100,
                                               "previous": int(pick.get("restarts") or 0) > 0}))
        return calls


    def remaining(self, done: set[int], extra_rounds: int = 0):
        """The next turn: the first step in order that is neither done nor passed over, else a follow-up."""
        if self.proc is None:
            if not self.swept() and extra_rounds < SWEEP_ROUNDS:
                calls = self._new(self.sweep_calls())
                if calls:
                    yield "x", extra_rounds + 1, "Sweep: the health of every service, before naming any.", calls
                    return
            if self.target is None:
                return
        order = self.step_order()
        last = max((i for i, s in enumerate(order) if s.number in done), default=-1)
        for i, step in enumerate(order):
            if step.number in done or i < last:
                continue  # done, or passed over when it had nothing to call
            if self.settled(step):
                continue
            if step.tools and self.subject_first(step) and extra_rounds <= FOLLOW_UP_ROUNDS:
                lead = self.lead()
                yield "x", extra_rounds + 1, f"The errors point at {lead}: check it before going on.", \
                    [("check_service_health", {"service_name": lead})]
                return
            calls = self.brief(step, self.calls_for(step))
            if calls:
                yield "s", step.number, _short(step.text), calls
                return
        if extra_rounds < FOLLOW_UP_ROUNDS + (SWEEP_ROUNDS if self.proc is None else 0) + 1:
            calls = self.follow_the_evidence()
            if calls:
                yield "x", extra_rounds + 1, "Follow the evidence: read what the errors point at.", calls

    # in what order, and what can be left out ---------------------------------------------
    def investigating(self) -> bool:
        """An incident investigation of one service: the prompt reads its pods and its errors."""
        tools = {t for s in self.steps for t in s.tools}
        return bool(self.target) and bool(tools & _POD_TOOLS) and bool(tools & _ERROR_TOOLS)

    def own_pods_fine(self) -> bool:
        """The service's health and the namespace's unhealthy pods show none of its pods failing."""
        h = self.ev.health.get(self.target or "")
        if not h or (h.get("pods") or {}).get("unhealthy"):
            return False
        ns = h.get("namespace")
        listed = any(tool == "list_pods" and a.get("namespace") == ns for tool, a in self.ev.calls)
        return listed and not any(p.get("app") == self.target and not p.get("healthy") for p in (self.ev.pods.get(ns) or {}).values())

    def step_order(self) -> list[Step]:
        """The prompt's order, except when the service's own pods are fine: then nothing crashed to read, and its
        errors are the strongest lead, so read them (and a trace) right after the pod checks; then the changes
        (of whoever the errors point at), then the namespace's events and the rest."""
        if not self.investigating() or not self.own_pods_fine():
            return self.steps
        pod_steps = [i for i, s in enumerate(self.steps) if set(s.tools) & _POD_TOOLS]
        head = self.steps[: pod_steps[-1] + 1] if pod_steps else []
        rest = self.steps[len(head):]
        errors = [s for s in rest if set(s.tools) & _ERROR_TOOLS]
        changes = [s for s in rest if s not in errors and "get_recent_deploys" in s.tools]
        others = [s for s in rest if s not in errors and s not in changes]
        return head + errors + changes + others

    def lead(self) -> str | None:
        """Whom the evidence is about: another service the errors blame (its own failure, or the dependency that
        fails its callers) when that is a service we can check, else the service investigated."""
        f = self.focus()
        if not self.investigating():
            return f
        d = self.diagnosis()
        unknown = {a.get("service_name") for t, a, _ in self.ev.failed if t == "check_service_health"}
        for cand in (d.culprit, d.upstream):
            if cand and cand != f and cand not in unknown:
                return cand
        return f

    def subject_first(self, step: Step) -> bool:
        """A step about the lead's namespace or changes needs the lead's health first (its namespace, its pods)."""
        lead = self.lead()
        return (lead != self.focus() and lead not in self.ev.health
                and bool(set(step.tools) & {"get_events", "get_recent_deploys", "list_pods"}))

    def conclusive(self) -> bool:
        """The cause is settled: a specific failure (not a caller's timeouts) shown both by the culprit's own
        pods or cluster state and by what its process logged, or by its errors and a change that matches them."""
        d = self.diagnosis()
        if d.category is None or d.category.strength < 2 or d.category.name in _CALLER_CATEGORIES or not d.culprit:
            return False
        sources = {o.source for o in d.evidence if o.service == d.culprit}
        said = bool(sources & {"get_pod_logs", "search_logs", "count_errors", "trace_transaction"})
        seen = bool(sources & {"check_service_health", "list_pods", "describe_pod", "get_events"})
        if d.category.name in _NODE_CATEGORIES:
            return said and "get_events" in sources  # the kubelet's decisions show only in the cluster's events
        return said and (seen or d.deploy is not None)

    def settled(self, step: Step) -> bool:
        """Leave out a step whose answer is already known: a trace to find where the failure started, once the
        errors name the service and every error that carries the cause says which service logged it."""
        if not self.investigating():
            return False
        tools = set(step.tools) & set(self.schemas or step.tools)
        if tools and tools <= {"trace_transaction"} and not any("trace_id" in c.args for c in step.calls):
            unplaced = [o for o in self.ev.observations() if not o.service and any(c.pattern.search(o.text) for c in CATEGORIES)]
            return self.lead() != self.focus() and not unplaced
        return False

    def brief(self, step: Step, calls: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
        """Once the cause is conclusive, a step that gathers more symptoms with several tools is done with its
        first one: the step is still checked, but what the others would add is already known."""
        if not self.investigating() or len(calls) < 2 or not set(step.tools) <= _GATHER_TOOLS or not self.conclusive():
            return calls
        return [c for c in calls if c[0] == calls[0][0]]

    # who the step is about --------------------------------------------------------
    def focus(self) -> str | None:
        if self.target:
            return self.target
        trace = next(iter(self.ev.traces.values()), None)
        if trace:
            errs = trace.get("error_services") or []
            bad = self.ev.unhealthy_services()
            rank = {"critical": 0, "degraded": 1, "unknown": 2, "healthy": 3}
            if errs:
                return min(errs, key=lambda s: (s not in bad, rank.get((self.ev.health.get(s) or {}).get("status"), 2), errs.index(s)))
            return (trace.get("failed_at") or {}).get("service") or (trace.get("services") or [None])[0]
        return None

    def focus_ns(self) -> str | None:
        return self.ev.namespace_of(self.focus()) or self.target_ns

    def not_healthy(self) -> list[str]:
        return [s for s, h in self.ev.health.items() if h.get("status") not in ("healthy", None)]

    def namespaces(self, call: PlannedCall) -> list[str]:
        if call.for_each == "unhealthy_namespace":
            ns = [self.ev.namespace_of(s) for s in self.not_healthy()]
            return list(dict.fromkeys(n for n in ns if n))[:MAX_FANOUT]
        if "namespace" in call.args:
            return [call.args["namespace"]]
        lead = self.lead()
        ns = (self.ev.namespace_of(lead) if lead != self.focus() else None) or self.focus_ns()
        return [ns] if ns else []

    def services_for(self, call: PlannedCall) -> list[str]:
        if call.for_each == "trace_error_service":
            trace = next(iter(self.ev.traces.values()), {})
            return (trace.get("error_services") or trace.get("services") or [])[:MAX_FANOUT]
        if call.for_each == "unhealthy_service":
            return self.not_healthy()[:MAX_FANOUT]
        if call.for_each == "service":
            return [s.get("name") for s in self.ev.services][:MAX_FANOUT]
        f = self.lead()
        return [f] if f else []

    # arguments ------------------------------------------------------------------------
    def _hints(self, call: PlannedCall) -> dict[str, Any]:
        """The step's literal arguments that this tool takes, typed by its schema."""
        props = (self.schemas.get(call.tool) or {}).get("properties") or {}
        out: dict[str, Any] = {}
        for k, v in call.args.items():
            if isinstance(v, str) and v.startswith("@"):
                continue  # decided from the evidence (args_for)
            if k in props and (value := _coerce(v, props[k])) is not None:
                out[k] = value
        return out

    def calls_for(self, step: Step) -> list[tuple[str, dict]]:
        calls: list[tuple[str, dict]] = []
        for call in step.calls:
            tool = call.tool
            if tool not in self.schemas:
                continue  # a step may name a tool this server does not offer
            hints = self._hints(call)
            for args in self.args_for(call, hints):
                args = {k: v for k, v in args.items() if k in ((self.schemas[tool].get("properties") or {}) or args)}
                if (tool, args) not in calls and (tool, args) not in self.ev.calls:
                    calls.append((tool, args))
        return calls[:MAX_FANOUT]

    def args_for(self, call: PlannedCall, hints: dict[str, Any]) -> list[dict[str, Any]]:
        ev, tool = self.ev, call.tool
        props = (self.schemas.get(tool) or {}).get("properties") or {}
        if tool == "list_services":
            return [hints]
        if tool == "check_service_health":
            if "service_name" in hints and not call.for_each:
                return [hints]
            return [{**hints, "service_name": s} for s in self.services_for(call) if s]
        if tool in ("list_pods", "list_deployments", "get_events"):
            return [{**hints, "namespace": ns} for ns in self.namespaces(call)]
        if tool in ("describe_pod", "get_pod_logs"):
            pod = self.worst_pod(call)
            if pod is None:
                return []
            args = {**hints, "namespace": pod.get("namespace") or self.focus_ns(), "pod_name": pod["name"]}
            if tool == "get_pod_logs":
                args["previous"] = int(pod.get("restarts") or 0) > 0  # the crashed instance's log
                if "lines" in props:
                    args.setdefault("lines", 50)
            return [args]
        if tool == "get_recent_deploys":
            if "service_name" in hints and not call.for_each:
                return [hints]
            return [{**hints, "service_name": s} for s in self.services_for(call) if s]
        if tool == "search_logs":
            f = hints.get("service") or self.focus()
            wide = {"limit": 100} if "limit" in props else {}
            if "time_range" in props and "time_range" not in hints and self.investigating():
                wide["time_range"] = WIDE_WINDOW
            return [{**wide, **hints, **({"service": f} if f else {})}]
        if tool == "count_errors":
            if "time_range" in props and "time_range" not in hints and self.investigating():
                return [{**hints, "time_range": WIDE_WINDOW}]
            return [hints]
        if tool == "trace_transaction":
            if "trace_id" in hints:
                return [hints]
            ids = ev.trace_ids(self.focus())
            return [{"trace_id": ids[0]}] if ids else []
        if tool == "get_slow_queries":
            return [hints]
        if tool == "search_runbooks":
            if call.on == "rollback":
                return [{**hints, "query": f"deployment rollback procedure {self.target or ''}".strip()}]
            d = self.diagnosis()
            query = d.category.runbook_query if d.category else "service degraded errors"
            top = next((o.text for o in d.evidence if o.source in ("get_pod_logs", "search_logs", "count_errors")), "")
            if not top:
                sig = next((s for c in self.analysis().chain[::-1] for s in c.signatures), None)
                top = sig.sample if sig else ""
            top = re.sub(r"^\S+Z\s+(?:[A-Z]+\s+)?", "", top)
            return [{**hints, "query": f"{query} {_short(top, 120)}".strip()[:480]}]
        if tool == "investigate_service" and self.target:
            return [{"service_name": self.target}]
        if tool == "get_runbook":
            rb = self.best_runbook()
            return [{"runbook_id": rb["runbook_id"]}] if rb else []
        return []

    def worst_pod(self, call: PlannedCall) -> dict | None:
        ev = self.ev
        focus = self.focus()
        pods = ev.service_pods(focus)
        trace = next(iter(ev.traces.values()), None)
        host = ((trace or {}).get("failed_at") or {}).get("host")
        if trace is not None:
            # "if the failing host is one of them": the trace prompt reads only a failing host's logs.
            hosts = {e.get("host") for e in trace.get("events") or [] if e.get("level") in ("ERROR", "FATAL") and e.get("service") == focus}
            bad = [p for p in pods if not p.get("healthy")]
            hit = [p for p in bad if p["name"] in hosts or p["name"] == host]
            if call.on == "failing_host":
                return hit[0] if hit else (bad[0] if bad else None)
            return (hit or bad or pods or [None])[0]
        if pods:
            return pods[0]
        hosts = hosts_by_errors(ev.log_rows, focus)
        return {"name": hosts[0], "restarts": 0} if hosts else None

    def diagnosis(self) -> Diagnosis:
        if self._diagnosis is None:
            known = set(self.ev.health) | {s.get("name") for s in self.ev.services}
            self._diagnosis = diagnose(self.ev.observations(), self.ev.deploys, self.ev.unhealthy_services(), self.focus(), known_services=known)
        return self._diagnosis

    def best_runbook(self) -> dict | None:
        hits = sorted(self.ev.runbooks, key=lambda r: -float(r.get("relevance") or 0))
        return (hits or self.ev.related or [None])[0]

    def follow_the_evidence(self) -> list[tuple[str, dict]]:
        """When the errors point at another service (the culprit, or the dependency that times out or
        presents a bad certificate), look at its health, pods, events and changes too."""
        out = self._new(self.baseline_calls())
        if out:
            return out
        out = self._new(self.node_calls())
        if out:
            return out
        d = self.diagnosis()
        calls: list[tuple[str, dict]] = self.read_the_error_host(d)
        if d.category is None:
            pass
        elif d.category.name == "cache-eviction":
            # What creates the keys: the traffic behind them (clients, user agents, sources) in the access logs.
            calls.append(("search_logs", {"level": "INFO", "limit": 200}))
        elif d.category.name == "dns-failure":
            # Who resolves names for the cluster, and did its configuration change?
            if not self.ev.services:
                calls.append(("list_services", {}))
            for s in self.ev.services:
                if re.search(r"dns|resolv", str(s.get("name")), re.I):
                    calls.append(("get_recent_deploys", {"service_name": s.get("name"), "hours_back": 24}))
        if calls:
            out = self._new(calls)
            if out:
                return out
        # The chain: the next component the errors name whose own evidence is not read yet. Which names are
        # services (and where they run) comes from the service list.
        if not self.ev.services and "list_services" in self.schemas and self.target is not None:
            out = self._new([("list_services", {})])
            if out:
                return out
        nxt = self.analysis().next_to_read
        if nxt is not None:
            out = self._new(self.component_calls(nxt))
            if out:
                return out
        out = self._new(self.database_calls() + self.storage_and_config_calls() + self.rollout_calls())
        if out:
            return out
        if d.category is None:
            return self._new(self.search_signals())
        targets = [t for t in dict.fromkeys([d.culprit, d.upstream]) if t and t != self.focus()]
        for t in targets[:2]:
            if t not in self.ev.health:
                calls.append(("check_service_health", {"service_name": t}))
            ns = self.ev.namespace_of(t) or d.upstream_ns if t == d.upstream else self.ev.namespace_of(t)
            if ns:
                calls.append(("list_pods", {"namespace": ns, "status_filter": "unhealthy"}))
                calls.append(("get_events", {"namespace": ns, "event_type": "Warning"}))
            if t in self.ev.health:
                calls.append(("get_recent_deploys", {"service_name": t, "hours_back": 24}))
        return self._new(calls)

    def baseline_calls(self) -> list[tuple[str, dict]]:
        """An error that looks new only because the searches returned the newest lines: search for it alone over
        the wide window, so its lines before the onset are counted. A chronic error (a partner rate-limited for
        hours) must not pass for the cause of a fault that began an hour ago."""
        if "search_logs" not in self.schemas:
            return []
        calls = []
        for c in self.analysis().chain:
            for sig in c.signatures:
                word = baseline_keyword(sig.sample) if sig.unsure else None
                if word:
                    calls.append(("search_logs", {"service": c.name, "keyword": word, "time_range": WIDE_WINDOW, "limit": 200}))
        return calls[:3]

    def node_calls(self) -> list[tuple[str, dict]]:
        """A fault bound to one node: what else reports about that node. Node-level monitoring (clock, disk, kernel,
        network) raises its alerts on its own exporter's service, and other services' logs may name the node."""
        origin = self.analysis().origin
        node = origin.node_bound if origin is not None else None
        if not node:
            return []
        calls = []
        if "search_logs" in self.schemas:
            calls.append(("search_logs", {"keyword": node, "time_range": WIDE_WINDOW, "limit": 50}))
        return calls + self.sweep_calls()

    def rollout_calls(self) -> list[tuple[str, dict]]:
        """A change blamed as the trigger is checked against the cluster's own record: the workload's rollout history
        says which revision runs now and what changed between revisions (config-only ones included), which a
        deploy log written by CI may not."""
        if "get_rollout_history" not in self.schemas or self.target is None:
            return []
        f = self.analysis()
        d = self.diagnosis()
        change = f.trigger.deploy if f.trigger is not None else d.deploy
        owner = f.trigger.service if f.trigger is not None else (d.deploy or {}).get("service") or (d.culprit if d.deploy else None)
        if not owner or (change or {}).get("revision") is None:  # a ConfigMap edited in place is no rollout
            return []
        ns = self.ev.namespace_of(owner)
        h = self.ev.health.get(owner) or {}
        name = (h.get("deployment") or {}).get("name") or next(
            (s.get("deployment") for s in self.ev.services if s.get("name") == owner and s.get("deployment")), None)
        if name is None:
            rows = [w for w in self.ev.workloads.get(ns or "", []) if w.get("kind") in ("Deployment", "StatefulSet", "DaemonSet")]
            name = next((w.get("name") for w in rows if w.get("name") == owner), None)
        if not ns or not name or any(t == "get_rollout_history" and a.get("name") == name for t, a in self.ev.calls):
            return []
        return [("get_rollout_history", {"namespace": ns, "name": name})]

    def database_calls(self) -> list[tuple[str, dict]]:
        """A database on the failing path gets what a DBA checks first (connections, locks, slots, disk), when the
        server offers it. The configured names come from the tool's own error when a guess is wrong."""
        if "get_database_activity" not in self.schemas or self.target is None:
            return []
        f = self.analysis()
        cands = [c.name for c in f.chain] + [n for c in f.chain for n in c.names + c.config_deps]
        cands += [n for c in f.chain for s in c.signatures for n in _DB_NAME.findall(s.sample)]
        cands = list(dict.fromkeys(x for x in cands if x))
        configured: list[str] = []
        for tool, _, msg in self.ev.failed:
            m = _CONFIGURED_DBS.search(msg) if tool == "get_database_activity" else None
            if m:
                configured = [x.strip(" .'\"") for x in m.group(1).split(",")]
        asked = {a.get("database") for t, a in self.ev.calls if t == "get_database_activity"}
        if configured:
            pick = [c for c in cands if c in configured]
            return [("get_database_activity", {"database": c}) for c in pick if c not in asked][:3]
        if asked:
            return []
        return [("get_database_activity", {"database": cands[0]})] if cands else []

    def storage_and_config_calls(self) -> list[tuple[str, dict]]:
        """A full disk on the path: the namespace's volumes (claims, % full). A change made through a ConfigMap
        before the onset: that ConfigMap as it is now."""
        f = self.analysis()
        calls: list[tuple[str, dict]] = []
        text = " ".join(s.sample for c in f.chain for s in c.signatures) + " " + " ".join(o for c in f.chain for o in c.own + c.database + c.causes)
        if "list_volumes" in self.schemas and DISK_FULL.search(text):
            for c in f.chain:
                if c.namespace and c.namespace not in self.ev.volumes:
                    calls.append(("list_volumes", {"namespace": c.namespace}))
        for c in f.chain:
            # A full disk: its changes over the week that filled it, not only the last day.
            if c.kind == "service" and slow_burn(c) and "get_recent_deploys" in self.schemas and not any(
                    t == "get_recent_deploys" and a.get("service_name") == c.name and int(a.get("hours_back") or 0) >= 168 for t, a in self.ev.calls):
                calls.append(("get_recent_deploys", {"service_name": c.name, "hours_back": 168}))
        for c in f.chain:
            # A client that does not trust a server's certificate: its trust bundle is a ConfigMap to read.
            if c.kind != "service" or not c.namespace or not any(TRUST_FAILURE.search(sg.sample) for sg in c.signatures):
                continue
            if "list_configmaps" in self.schemas and c.namespace not in self.ev.configmap_lists:
                calls.append(("list_configmaps", {"namespace": c.namespace}))
            for row in self.ev.configmap_lists.get(c.namespace, []):
                name = str(row.get("name") or "")
                if BUNDLE_NAME.search(name) and (c.namespace, name) not in self.ev.configmaps \
                        and "get_configmap" in self.schemas:
                    calls.append(("get_configmap", {"namespace": c.namespace, "name": name}))
        if "get_configmap" in self.schemas:
            for ch in f.changes:
                if not ch.before_onset:
                    continue
                blob = json.dumps(ch.deploy.get("diff") or {}) + " " + str(ch.deploy.get("change") or "")
                for name in _configmaps_in(ch.deploy, blob)[:2]:
                    ns = self.ev.namespace_of(ch.service)
                    if ns and (ns, name) not in self.ev.configmaps:
                        calls.append(("get_configmap", {"namespace": ns, "name": name}))
        return calls[:MAX_FANOUT]

    def _new(self, calls: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
        failed = {(tool, json.dumps(a, sort_keys=True)) for tool, a, _ in self.ev.failed}
        out: list[tuple[str, dict]] = []
        for tool, a in calls:
            props = (self.schemas.get(tool) or {}).get("properties")
            if props:
                a = {k: v for k, v in a.items() if k in props}
            if tool in self.schemas and (tool, a) not in self.ev.calls and (tool, a) not in out \
                    and (tool, json.dumps(a, sort_keys=True)) not in failed and not self.known(tool, a):
                out.append((tool, a))
        return out[:MAX_FANOUT]

    def known(self, tool: str, a: dict) -> bool:
        """Already answered by an earlier call with other arguments: a service's deploys, a namespace's warning
        events, or the unhealthy pods of a service whose health check already lists them."""
        if not self.investigating():
            return False
        if tool == "get_recent_deploys":
            # Known for that window or a wider one.
            return any(t == tool and b.get("service_name") == a.get("service_name") and int(b.get("hours_back") or 24) >= int(a.get("hours_back") or 24)
                       for t, b in self.ev.calls) or (a.get("service_name") in self.ev.deploys and int(a.get("hours_back") or 24) <= 24)
        if tool == "get_events":
            return a.get("namespace") in self.ev.events
        if tool == "list_pods" and a.get("status_filter") == "unhealthy":
            return a.get("namespace") in self.ev.pods or any(
                h.get("namespace") == a.get("namespace") for h in self.ev.health.values())
        return False

    def read_the_error_host(self, d: Diagnosis) -> list[tuple[str, dict]]:
        """No pod of the failing service was read (none crashed): read the pod that logs its errors. Not when its
        errors are a caller's view of a dependency that another service is blamed for (its pod would only repeat
        them), and no describe of a pod the namespace listing shows healthy (a running container says nothing)."""
        svc = d.culprit or self.focus()
        if self.investigating() and d.category is not None and d.category.name in _CALLER_CATEGORIES \
                and (svc == self.focus() and (self.lead() != self.focus() or d.upstream)):
            return []
        if any(self.ev.pod_service(p) == svc or p in hosts_by_errors(self.ev.log_rows, svc) for p in self.ev.pod_logs):
            return []
        hosts = hosts_by_errors(self.ev.log_rows, svc)
        ns = self.ev.namespace_of(svc) or self.focus_ns()
        if not hosts or not ns:
            return []
        out = [("get_pod_logs", {"namespace": ns, "pod_name": hosts[0], "previous": False, "lines": 50})]
        row = (self.ev.pods.get(ns) or {}).get(hosts[0])
        listed_healthy = self.investigating() and ns in self.ev.pods and (row is None or bool(row.get("healthy")))
        if hosts[0] not in self.ev.describe and not listed_healthy:
            out.insert(0, ("describe_pod", {"namespace": ns, "pod_name": hosts[0]}))
        return out

    def search_signals(self) -> list[tuple[str, dict]]:
        """No error matches a known failure: the warnings on the failing path (a trace's WARN events, warning
        log lines) often name the mechanism ("expired or evicted", "timed out"); search every service's
        warnings for that word to find who reports the mechanism itself."""
        texts = [e.get("message", "") for t in self.ev.traces.values() for e in t.get("events") or []
                 if e.get("level") in ("WARN", "ERROR", "FATAL")]
        texts += [r.get("message", "") for r in self.ev.log_rows if r.get("level") in ("WARN", "ERROR")]
        low = " ".join(texts).lower()
        words = [w for w in _SIGNALS if w in low]
        return [("search_logs", {"level": "WARN", "keyword": w, "limit": 200}) for w in words[:1]]


def _short(text: str, n: int = 140) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"
