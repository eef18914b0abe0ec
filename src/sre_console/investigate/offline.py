"""The offline investigator: the model's seat filled by deterministic rules.

It reads the prompt it was given (numbered steps, tool names in backticks, `key=value`
hints), calls those tools through the same loop Claude uses, chooses arguments from
what earlier calls returned, and writes the report from the evidence with the rules
in `diagnosis.py`. Nothing in it knows any scenario. It keeps no state between turns:
each turn it rebuilds what it knows from the conversation, like a model would.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any

from sre_console.investigate.diagnosis import CATEGORIES, Diagnosis, Observation, diagnose
from sre_console.investigate.events import TextDelta, Usage
from sre_console.investigate.models import Emit, ModelTurn

_STEP = re.compile(r"^\s*(\d+)[.)]\s+(.*)$")
_TOOL = re.compile(r"`([A-Za-z0-9_-]+)`")
_KV = re.compile(r"\b([a-z_]+)=([^\s,;:()]+)")
_TRACE_IN_TEXT = re.compile(r"\b((?:tx|trace|txn|req)[-_][A-Za-z0-9]{4,})\b")
_ERRORISH = re.compile(r"\b(ERROR|FATAL|Exception|Error|SEVERE|panic|Killed)\b")
_ID = re.compile(r"^off_([sx])(\d+)_")  # s: a prompt step, x: a turn of evidence-driven calls
MAX_FANOUT = 12  # "for each service" never fans out beyond this
FOLLOW_UP_ROUNDS = 3  # turns of evidence-driven calls after the prompt's steps
# Failure words worth a cluster-wide search when a warning on the failing path mentions them.
_POD_TOOLS = {"describe_pod", "get_pod_logs"}
_ERROR_TOOLS = {"search_logs", "count_errors", "trace_transaction"}
_GATHER_TOOLS = {"get_events", "search_logs", "count_errors", "trace_transaction"}  # more symptoms, not the trigger
_CALLER_CATEGORIES = {"upstream-saturation", "certificate-expiry", "dns-failure"}  # errors about a dependency
_NODE_CATEGORIES = {"resource-pressure-eviction"}  # the culprit's pods are not the ones that fail
_SIGNALS = ("evict", "no space", "out of memory", "refused", "throttl", "timed out", "timeout", "expired")


@dataclass
class Step:
    number: int
    text: str
    tools: list[str]


def parse_steps(prompt: str) -> list[Step]:
    """The numbered steps of a rendered prompt and the tools each names."""
    steps = []
    for line in prompt.splitlines():
        m = _STEP.match(line)
        if m:
            tools = _TOOL.findall(m.group(2))
            if tools:
                steps.append(Step(int(m.group(1)), m.group(2), tools))
    return steps


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        return int(value) if value.isdigit() else None
    if kind == "boolean":
        return value.lower() == "true"
    enum = schema.get("enum") or [e for a in schema.get("anyOf", []) for e in a.get("enum", [])]
    if enum and value not in enum:
        return None
    return value


class Evidence:
    """Everything the tool results so far say, indexed for choosing arguments and for the rules."""

    def __init__(self, prompt: str):
        self.prompt = prompt
        self.health: dict[str, dict] = {}
        self.services: list[dict] = []
        self.pods: dict[str, dict[str, dict]] = {}  # namespace -> pod name -> row
        self.describe: dict[str, dict] = {}
        self.pod_logs: dict[str, dict] = {}
        self.events: dict[str, list[dict]] = {}
        self.deploys: dict[str, list[dict]] = {}
        self.log_rows: list[dict] = []
        self.error_groups: list[dict] = []
        self.traces: dict[str, dict] = {}
        self.runbooks: list[dict] = []
        self.related: list[dict] = []
        self.slow: list[dict] = []
        self.deployments: dict[str, list[dict]] = {}
        self.calls: list[tuple[str, dict]] = []
        self.failed: list[tuple[str, dict, str]] = []

    def add(self, tool: str, args: dict, payload: Any, ok: bool) -> None:
        self.calls.append((tool, args))
        if not ok or not isinstance(payload, dict):
            self.failed.append((tool, args, str(payload)[:300]))
            return
        for rb in (payload.get("related_runbooks") or {}).get("runbooks") or []:
            self.related.append(rb)
        if tool == "check_service_health":
            self.health[payload.get("service")] = payload
        elif tool == "list_services":
            self.services = payload.get("services") or []
        elif tool == "list_pods":
            ns = self.pods.setdefault(payload.get("namespace"), {})
            for p in payload.get("pods") or []:
                ns[p["name"]] = p
        elif tool == "describe_pod":
            self.describe[payload.get("name")] = payload
        elif tool == "get_pod_logs":
            self.pod_logs[payload.get("pod")] = payload
        elif tool == "get_events":
            self.events.setdefault(payload.get("namespace"), []).extend(payload.get("events") or [])
        elif tool == "get_recent_deploys":
            self.deploys[payload.get("service")] = payload.get("deploys") or []
        elif tool == "search_logs":
            self.log_rows.extend(payload.get("rows") or [])
        elif tool == "count_errors":
            self.error_groups.extend({**g, "_group_by": payload.get("group_by")} for g in payload.get("groups") or [])
        elif tool == "trace_transaction":
            self.traces[payload.get("trace_id")] = payload
        elif tool == "search_runbooks":
            self.runbooks.extend(payload.get("results") or [])
        elif tool == "get_slow_queries":
            self.slow.extend(payload.get("queries") or [])
        elif tool == "list_deployments":
            self.deployments[payload.get("namespace")] = payload.get("deployments") or []

    # who is who ---------------------------------------------------------------
    def namespace_of(self, service: str | None) -> str | None:
        if service in self.health:
            return self.health[service].get("namespace")
        for s in self.services:
            if s.get("name") == service:
                return s.get("namespace")
        return None

    def pod_service(self, pod: str | None) -> str | None:
        for rows in self.pods.values():
            if pod in rows:
                return rows[pod].get("app")
        for svc, h in self.health.items():
            if any(p.get("name") == pod for p in (h.get("pods") or {}).get("unhealthy") or []):
                return svc
        d = self.describe.get(pod or "")
        if d:
            return (d.get("labels") or {}).get("app")
        for row in self.log_rows:
            if row.get("host") == pod:
                return row.get("service")
        return None

    def unhealthy_services(self) -> set[str]:
        out = {s for s, h in self.health.items() if (h.get("pods") or {}).get("unhealthy")}
        for rows in self.pods.values():
            out |= {p.get("app") for p in rows.values() if not p.get("healthy") and p.get("app")}
        return out

    def service_pods(self, service: str | None) -> list[dict]:
        rows = [p for ns in self.pods.values() for p in ns.values() if p.get("app") == service]
        if not rows and service in self.health:
            rows = [{**p, "healthy": False} for p in (self.health[service].get("pods") or {}).get("unhealthy") or []]
        return sorted(rows, key=lambda p: (bool(p.get("healthy")), -int(p.get("restarts") or 0), p.get("name", "")))

    def trace_ids(self, service: str | None) -> list[str]:
        """Trace ids carried by errors: the focus service's first, then anyone's, then ids in messages."""
        rows = [r for r in self.log_rows if r.get("level") in ("ERROR", "FATAL")]
        ordered = [r for r in rows if r.get("service") == service] + [r for r in rows if r.get("service") != service]
        ids = [r["trace_id"] for r in ordered if r.get("trace_id")]
        for r in ordered:
            ids += _TRACE_IN_TEXT.findall(r.get("message", ""))
        for g in self.error_groups:
            ids += _TRACE_IN_TEXT.findall(g.get("sample", ""))
        for logs in self.pod_logs.values():
            for line in logs.get("lines") or []:
                ids += _TRACE_IN_TEXT.findall(line)
        return list(dict.fromkeys(i for i in ids if i not in self.traces))

    # the rules' input ------------------------------------------------------------
    def observations(self) -> list[Observation]:
        obs: list[Observation] = []
        add = obs.append
        for svc, h in self.health.items():
            for reason in h.get("reasons") or []:
                add(Observation(reason, svc, 0.5, "check_service_health"))
            for p in (h.get("pods") or {}).get("unhealthy") or []:
                term = p.get("last_termination") or {}
                add(Observation(f"{p.get('status')} {term.get('reason', '')} exit {term.get('exit_code', '')}", svc, 1.0, "check_service_health"))
        for rows in self.pods.values():
            for p in rows.values():
                if p.get("healthy"):
                    continue
                term = p.get("last_termination") or {}
                add(Observation(f"{p.get('status')} {term.get('reason', '')}", p.get("app"), 2.0, "list_pods"))
        for name, d in self.describe.items():
            svc = self.pod_service(name)
            for c in d.get("containers") or []:
                for key in ("state", "last_state"):
                    st = c.get(key) or {}
                    if st.get("reason"):
                        add(Observation(f"{st.get('reason')} {st.get('message') or ''} exit {st.get('exitCode', '')}", svc, 2.0, "describe_pod"))
            if d.get("reason"):
                add(Observation(f"{d.get('reason')} {d.get('message') or ''}", svc, 2.0, "describe_pod"))
        for name, logs in self.pod_logs.items():
            svc = self.pod_service(name)
            for line in dict.fromkeys(logs.get("lines") or []):
                if _ERRORISH.search(line) and not line.startswith(("\tat ", "    at ")):
                    add(Observation(line, svc, 1.5, "get_pod_logs", _line_time(line)))
        for ns, evs in self.events.items():
            for e in evs:
                if e.get("type") != "Warning":
                    continue
                pod = str(e.get("object", "")).split("/")[-1]
                svc = self.pod_service(pod)
                add(Observation(f"{e.get('reason')}: {e.get('message')}", svc, min(3.0, 0.5 * int(e.get("count") or 1)), "get_events", e.get("timestamp")))
        for r in self.log_rows:
            if r.get("level") in ("ERROR", "FATAL", "WARN"):
                add(Observation(r.get("message", ""), r.get("service"), 0.5 if r.get("level") == "WARN" else 1.0, "search_logs", r.get("timestamp")))
        for g in self.error_groups:
            svc = g.get("key") if g.get("_group_by") == "service" else self._service_of_message(g.get("sample", ""))
            text = g.get("sample", "") if g.get("_group_by") != "service" else ""
            if text:
                add(Observation(text, svc, min(4.0, int(g.get("errors") or 0) / 5), "count_errors", g.get("first_seen")))
        for t in self.traces.values():
            for e in t.get("events") or []:
                if e.get("level") in ("ERROR", "FATAL"):
                    add(Observation(e.get("message", ""), e.get("service"), 1.0, "trace_transaction", e.get("timestamp")))
        return obs

    def _service_of_message(self, sample: str) -> str | None:
        for r in self.log_rows:
            if r.get("message") == sample:
                return r.get("service")
        for t in self.traces.values():
            for e in t.get("events") or []:
                if e.get("message") == sample:
                    return e.get("service")
        return None


def _line_time(line: str) -> str | None:
    m = re.match(r"^(\d{4}-\d\d-\d\dT[\d:.]+Z)", line)
    return m.group(1) if m else None


class OfflineInvestigator:
    """Implements the model protocol (models.Model) with deterministic rules."""

    name = "offline"

    def __init__(self, text_delay: float = 0.0):
        self.text_delay = text_delay  # a pause between streamed lines, for demos

    async def turn(self, system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]], emit: Emit,
                   *, tool_choice: dict[str, Any] | None = None) -> ModelTurn:
        prompt = messages[0]["content"] if isinstance(messages[0]["content"], str) else " ".join(
            b.get("text", "") for b in messages[0]["content"] if b.get("type") == "text")
        steps = parse_steps(prompt)
        ev, done, extra_rounds = self._rebuild(prompt, messages)
        schemas = {t["name"]: t.get("input_schema") or {} for t in tools}
        if tool_choice is None or tool_choice.get("type") != "none":
            plan = Planner(prompt, steps, ev, schemas)
            for kind, number, text, calls in plan.remaining(done, extra_rounds):
                label = f"Step {number}" if kind == "s" else "Next"
                content: list[dict[str, Any]] = [{"type": "text", "text": f"{label}: {text}\n"}]
                await emit(TextDelta(content[0]["text"]))
                for k, (tool, args) in enumerate(calls):
                    content.append({"type": "tool_use", "id": f"off_{kind}{number}_{len(messages)}_{k}", "name": tool, "input": args})
                return ModelTurn(content, "tool_use", Usage())
        report = write_report(prompt, steps, ev)
        for line in report.splitlines(keepends=True):
            await emit(TextDelta(line))
            if self.text_delay:
                await asyncio.sleep(self.text_delay)
        return ModelTurn([{"type": "text", "text": report}], "end_turn", Usage())

    @staticmethod
    def _rebuild(prompt: str, messages: list[dict[str, Any]]) -> tuple[Evidence, set[int], int]:
        ev = Evidence(prompt)
        uses: dict[str, dict] = {}
        done: set[int] = set()
        extra = 0
        for m in messages:
            if not isinstance(m["content"], list):
                continue
            for b in m["content"]:
                if b.get("type") == "tool_use":
                    uses[b["id"]] = b
                    sm = _ID.match(b["id"])
                    if sm and sm.group(1) == "s":
                        done.add(int(sm.group(2)))
                    elif sm:
                        extra = max(extra, int(sm.group(2)))
                elif b.get("type") == "tool_result" and b.get("tool_use_id") in uses:
                    use = uses[b["tool_use_id"]]
                    ev.add(use["name"], use.get("input") or {}, _payload(b.get("content")), not b.get("is_error"))
        return ev, done, extra


def _payload(content: Any) -> Any:
    if isinstance(content, list):
        content = "".join(c.get("text", "") for c in content if isinstance(c, dict))
    text = str(content or "")
    if text.startswith("[This exact call"):
        text = text.split("]\n", 1)[-1]
    try:
        return json.loads(text)
    except ValueError:
        return text


class Planner:
    """Turns the prompt's next step into concrete calls, with arguments from the evidence."""

    def __init__(self, prompt: str, steps: list[Step], ev: Evidence, schemas: dict[str, dict]):
        self.prompt, self.steps, self.ev, self.schemas = prompt, steps, ev, schemas
        self.kv = {k: v for s in steps for k, v in _KV.findall(s.text)}
        intro = prompt.split("\n", 1)[0]
        m = re.search(r"\bservice ([a-z0-9][a-z0-9-]*)", intro) or re.search(r"whether ([a-z0-9][a-z0-9-]*) in namespace", intro)
        self.target = self.kv.get("service_name") or self.kv.get("service") or (m.group(1) if m else None)
        m = re.search(r"namespace ([a-z0-9][a-z0-9-]*)", intro)
        self.target_ns = m.group(1) if m else None

    def remaining(self, done: set[int], extra_rounds: int = 0):
        """The next turn: the first step in order that is neither done nor passed over, else a follow-up."""
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
        if extra_rounds < FOLLOW_UP_ROUNDS + 1:
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
        if tools and tools <= {"trace_transaction"} and not _KV.search(step.text):
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

    def namespaces(self, text: str) -> list[str]:
        if "each namespace" in text:
            ns = [self.ev.namespace_of(s) for s in self.not_healthy()]
            return list(dict.fromkeys(n for n in ns if n))[:MAX_FANOUT]
        lead = self.lead()
        ns = (self.ev.namespace_of(lead) if lead != self.focus() else None) or self.focus_ns()
        return [ns] if ns else []

    def services_for(self, text: str) -> list[str]:
        low = text.lower()
        if "each service" in low:
            if "trace" in low:
                trace = next(iter(self.ev.traces.values()), {})
                return (trace.get("error_services") or trace.get("services") or [])[:MAX_FANOUT]
            if "not healthy" in low or "unhealthy" in low:
                return self.not_healthy()[:MAX_FANOUT]
            return [s.get("name") for s in self.ev.services][:MAX_FANOUT]
        f = self.lead()
        return [f] if f else []

    # arguments ------------------------------------------------------------------------
    def _hints(self, tool: str, text: str) -> dict[str, Any]:
        props = (self.schemas.get(tool) or {}).get("properties") or {}
        out: dict[str, Any] = {}
        for k, v in _KV.findall(text):
            v = v.rstrip(".")
            if k in props and (value := _coerce(v, props[k])) is not None:
                out[k] = value
        m = re.search(r"group(?:ed)? by (\w+)", text)
        if m and "group_by" in props and _coerce(m.group(1), props["group_by"]) is not None:
            out.setdefault("group_by", m.group(1))
        m = re.search(r"\bover (\d+[smhd])\b", text)
        if m and "time_range" in props:
            out.setdefault("time_range", m.group(1))
        return out

    def calls_for(self, step: Step) -> list[tuple[str, dict]]:
        calls: list[tuple[str, dict]] = []
        for tool in step.tools:
            if tool not in self.schemas:
                continue  # a step may name a tool this server does not offer
            hints = self._hints(tool, step.text)
            for args in self.args_for(tool, step.text, hints):
                args = {k: v for k, v in args.items() if k in ((self.schemas[tool].get("properties") or {}) or args)}
                if (tool, args) not in calls and (tool, args) not in self.ev.calls:
                    calls.append((tool, args))
        return calls[:MAX_FANOUT]

    def args_for(self, tool: str, text: str, hints: dict[str, Any]) -> list[dict[str, Any]]:
        ev = self.ev
        if tool == "list_services":
            return [hints]
        if tool == "check_service_health":
            return [{**hints, "service_name": s} for s in self.services_for(text) if s]
        if tool in ("list_pods", "list_deployments", "get_events"):
            return [{**hints, "namespace": ns} for ns in self.namespaces(text)]
        if tool in ("describe_pod", "get_pod_logs"):
            pod = self.worst_pod(text)
            if pod is None:
                return []
            args = {**hints, "namespace": pod.get("namespace") or self.focus_ns(), "pod_name": pod["name"]}
            if tool == "get_pod_logs":
                props = (self.schemas.get(tool) or {}).get("properties") or {}
                args["previous"] = int(pod.get("restarts") or 0) > 0  # the crashed instance's log
                if "lines" in props:
                    args.setdefault("lines", 50)
            return [args]
        if tool == "get_recent_deploys":
            return [{**hints, "service_name": s} for s in self.services_for(text) if s]
        if tool == "search_logs":
            f = self.focus()
            return [{**hints, **({"service": f} if f else {})}]
        if tool == "count_errors":
            return [hints]
        if tool == "trace_transaction":
            if "trace_id" in hints:
                return [hints]
            ids = ev.trace_ids(self.focus())
            return [{"trace_id": ids[0]}] if ids else []
        if tool == "get_slow_queries":
            f = self.target if (self.target and self.target in text) else None
            return [{**hints, **({"service": f} if f else {})}]
        if tool == "search_runbooks":
            if "rollback" in text.lower():
                return [{**hints, "query": f"deployment rollback procedure {self.target or ''}".strip()}]
            d = self.diagnosis()
            query = d.category.runbook_query if d.category else "service degraded errors"
            top = next((o.text for o in d.evidence if o.source in ("get_pod_logs", "search_logs", "count_errors")), "")
            top = re.sub(r"^\S+Z\s+(?:[A-Z]+\s+)?", "", top)
            return [{**hints, "query": f"{query} {_short(top, 120)}".strip()[:480]}]
        if tool == "investigate_service" and self.target:
            return [{"service_name": self.target}]
        if tool == "get_runbook":
            rb = self.best_runbook()
            return [{"runbook_id": rb["runbook_id"]}] if rb else []
        return []

    def worst_pod(self, text: str) -> dict | None:
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
            if "if the failing host" in text:
                return hit[0] if hit else (bad[0] if bad else None)
            return (hit or bad or pods or [None])[0]
        if pods:
            return pods[0]
        hosts = _hosts_by_errors(ev.log_rows, focus)
        return {"name": hosts[0], "restarts": 0} if hosts else None

    def diagnosis(self) -> Diagnosis:
        known = set(self.ev.health) | {s.get("name") for s in self.ev.services}
        return diagnose(self.ev.observations(), self.ev.deploys, self.ev.unhealthy_services(), self.focus(), known_services=known)

    def best_runbook(self) -> dict | None:
        hits = sorted(self.ev.runbooks, key=lambda r: -float(r.get("relevance") or 0))
        return (hits or self.ev.related or [None])[0]

    def follow_the_evidence(self) -> list[tuple[str, dict]]:
        """When the errors point at another service (the culprit, or the dependency that times out or
        presents a bad certificate), look at its health, pods, events and changes too."""
        d = self.diagnosis()
        calls: list[tuple[str, dict]] = self.read_the_error_host(d)
        if d.category is None:
            calls += self.search_signals()
            return self._new(calls)
        if d.category.name == "cache-eviction":
            # What creates the keys: the traffic behind them (clients, user agents, sources) in the access logs.
            calls.append(("search_logs", {"level": "INFO", "limit": 200}))
        if d.category.name == "dns-failure":
            # Who resolves names for the cluster, and did its configuration change?
            if not self.ev.services:
                calls.append(("list_services", {}))
            for s in self.ev.services:
                if re.search(r"dns|resolv", str(s.get("name")), re.I):
                    calls.append(("get_recent_deploys", {"service_name": s.get("name"), "hours_back": 24}))
        if calls:
            return self._new(calls)
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
            return a.get("service_name") in self.ev.deploys
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
        if any(self.ev.pod_service(p) == svc or p in _hosts_by_errors(self.ev.log_rows, svc) for p in self.ev.pod_logs):
            return []
        hosts = _hosts_by_errors(self.ev.log_rows, svc)
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


def _hosts_by_errors(rows: list[dict], service: str | None) -> list[str]:
    counts: dict[str, int] = {}
    for r in rows:
        if r.get("service") == service and r.get("host"):
            counts[r["host"]] = counts.get(r["host"], 0) + 1
    return sorted(counts, key=lambda h: -counts[h])


def _short(text: str, n: int = 140) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


from sre_console.investigate.offline_report import write_report  # noqa: E402  (the report half of this module)
