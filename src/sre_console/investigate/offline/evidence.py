"""What the tool results so far say, indexed: the offline investigator's memory of one conversation.

Each turn the investigator rebuilds it from the messages (it keeps no state of its own,
as a model would not), then the analysis and the planner read it.
"""

from __future__ import annotations

import re
from typing import Any

from sre_console.investigate.offline.rules import Observation

_TRACE_IN_TEXT = re.compile(r"\b((?:tx|trace|txn|req)[-_][A-Za-z0-9]{4,})\b")
_ERRORISH = re.compile(r"\b(ERROR|FATAL|Exception|Error|SEVERE|panic|Killed)\b")


class Evidence:
    """Everything the tool results so far say, indexed for choosing arguments and for the rules."""

    def __init__(self) -> None:
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
        self.searched: list[dict] = []
        self.listed_all: set[str] = set()  # namespaces whose every pod was listed (not only the unhealthy)
        self.databases: dict[str, dict] = {}  # get_database_activity results by database
        self.endpoints: dict[tuple[str, str], dict] = {}  # get_service_endpoints rows by (namespace, Service)
        self.workloads: dict[str, list[dict]] = {}  # list_workloads rows by namespace
        self.nodes: list[dict] | None = None  # list_nodes rows
        self.rollouts: dict[tuple[str, str], dict] = {}  # get_rollout_history results by (namespace, workload)
        self.hpas: dict[str, list[dict]] = {}  # list_hpas rows by namespace
        self.configmap_lists: dict[str, list[dict]] = {}  # list_configmaps rows by namespace
        self.volumes: dict[str, list[dict]] = {}  # list_volumes claims by namespace
        self.configmaps: dict[tuple[str, str], dict] = {}  # get_configmap results by (namespace, name)  # the filters and totals of every search_logs call
        self._row_keys: set[tuple] = set()

    def add(self, tool: str, args: dict, payload: Any, ok: bool) -> None:
        self.calls.append((tool, args))
        if not ok or not isinstance(payload, dict):
            self.failed.append((tool, args, str(payload)[:1500]))
            return
        payload = _clean(payload)
        for rb in (payload.get("related_runbooks") or {}).get("runbooks") or []:
            self.related.append(rb)
        if tool == "check_service_health":
            self.health[payload.get("service")] = payload
        elif tool == "list_services":
            self.services = payload.get("services") or []
        elif tool == "list_pods":
            if not args.get("status_filter"):
                self.listed_all.add(payload.get("namespace"))
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
            stamps = [str(r.get("timestamp")) for r in payload.get("rows") or [] if r.get("timestamp")]
            # The oldest row returned: with more matches than rows, nothing older than it was seen.
            self.searched.append({**args, "total_matches": payload.get("total_matches"), "returned": payload.get("returned"),
                                  "oldest": min(stamps) if stamps else None})
            for r in payload.get("rows") or []:
                key = (r.get("timestamp"), r.get("host"), r.get("message"))
                if key not in self._row_keys:  # overlapping searches return the same lines
                    self._row_keys.add(key)
                    self.log_rows.append(r)
        elif tool == "count_errors":
            self.error_groups.extend({**g, "_group_by": payload.get("group_by")} for g in payload.get("groups") or [])
        elif tool == "trace_transaction":
            self.traces[payload.get("trace_id")] = payload
        elif tool == "search_runbooks":
            self.runbooks.extend(payload.get("results") or [])
        elif tool == "get_slow_queries":
            self.slow.extend(payload.get("queries") or [])
        elif tool == "get_service_endpoints":
            for row in payload.get("services") or []:
                self.endpoints[(row.get("namespace") or payload.get("namespace"), row.get("name"))] = row
        elif tool == "list_workloads":
            self.workloads[payload.get("namespace")] = payload.get("workloads") or []
        elif tool == "list_volumes":
            self.volumes[payload.get("namespace")] = payload.get("claims") or payload.get("volumes") or []
        elif tool == "get_configmap":
            self.configmaps[(payload.get("namespace") or args.get("namespace"), payload.get("name") or args.get("name"))] = payload
        elif tool == "list_configmaps":
            self.configmap_lists[payload.get("namespace") or args.get("namespace")] = payload.get("configmaps") or []
        elif tool == "list_hpas":
            self.hpas[payload.get("namespace") or args.get("namespace")] = payload.get("hpas") or []
        elif tool == "get_rollout_history":
            self.rollouts[(payload.get("namespace"), payload.get("deployment") or payload.get("name"))] = payload
        elif tool == "list_nodes":
            self.nodes = payload.get("nodes") or []
        elif tool == "get_database_activity":
            self.databases[payload.get("database")] = payload
        elif tool == "list_deployments":
            self.deployments[payload.get("namespace")] = payload.get("deployments") or []

    def calls_ok(self) -> bool:
        """At least one call answered."""
        return len(self.failed) < len(self.calls)

    # who is who ---------------------------------------------------------------
    def namespace_of(self, service: str | None) -> str | None:
        if service in self.health:
            return self.health[service].get("namespace")
        for s in self.services:
            if s.get("name") == service:
                return s.get("namespace")
        return None

    def _by_workload(self, app: str | None) -> str | None:
        """A pod's app label → the service it belongs to: itself, or the service whose workload carries that name."""
        if not app or app in self.health or any(s.get("name") == app for s in self.services):
            return app
        return next((s.get("name") for s in self.services if s.get("deployment") == app), app)

    def pod_service(self, pod: str | None) -> str | None:
        for rows in self.pods.values():
            if pod in rows:
                return self._by_workload(rows[pod].get("app"))
        for svc, h in self.health.items():
            if any(p.get("name") == pod for p in (h.get("pods") or {}).get("unhealthy") or []):
                return svc
        d = self.describe.get(pod or "")
        if d:
            return (d.get("labels") or {}).get("app")
        for row in self.log_rows:
            if row.get("host") == pod:
                return row.get("service")
        # A pod that is gone (replaced, evicted) still has events: its name starts with its deployment's.
        names = {s.get("deployment") or s.get("name"): s.get("name") for s in self.services} | {s: s for s in self.health}
        owners = [d for d in names if d and pod and pod.startswith(d + "-")]
        return names[max(owners, key=len)] if owners else None

    def unhealthy_services(self) -> set[str]:
        out = {s for s, h in self.health.items() if (h.get("pods") or {}).get("unhealthy")}
        for rows in self.pods.values():
            out |= {p.get("app") for p in rows.values() if not p.get("healthy") and p.get("app")}
        return out

    def workload_of(self, service: str | None) -> str | None:
        """The workload that runs a service, when the service list or its health names one other than itself."""
        h = self.health.get(service or "") or {}
        name = (h.get("deployment") or {}).get("name") or next(
            (s.get("deployment") for s in self.services if s.get("name") == service and s.get("deployment")), None)
        return name if name and name != service else None

    def service_pods(self, service: str | None) -> list[dict]:
        rows = [p for ns in self.pods.values() for p in ns.values() if p.get("app") == service]
        workload = self.workload_of(service)
        if not rows and workload:
            # A service whose pods carry its workload's name (service queue-broker, StatefulSet queue: queue-0, queue-1).
            ns = self.namespace_of(service)
            rows = [p for n, pods in self.pods.items() if ns is None or n == ns for p in pods.values()
                    if p.get("app") == workload or re.fullmatch(rf"{re.escape(workload)}-(?:\d+|[a-z0-9]{{5,10}}-[a-z0-9]{{5}})", str(p.get("name")))]
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
        for claims in self.volumes.values():
            for v in claims:
                pct = v.get("used_pct")
                if isinstance(pct, (int, float)) and pct >= 90:
                    users = sorted({self.pod_service(p) for p in v.get("mounted_by") or []} - {None}) or [None]
                    for svc in users:
                        add(Observation(f"volume {v.get('name')} is {pct:g}% full ({v.get('used') or '?'} of {v.get('capacity') or '?'}, "
                                        f"mounted by {', '.join(v.get('mounted_by') or []) or 'no pod'})", svc, 2.0, "list_volumes"))
        for rows in self.hpas.values():
            for h in rows:
                target = str(h.get("target") or "").split("/")[-1]
                for problem in h.get("problems") or []:
                    add(Observation(f"HPA {h.get('name')} ({h.get('target')}, {h.get('current')} replicas, min {h.get('min')} max {h.get('max')}): "
                                    f"{problem}", self._by_workload(target) if target else None, 2.0, "list_hpas"))
        for n in self.nodes or []:
            # A node's trouble is evidence for the services whose pods run on it.
            on_it = sorted({p.get("app") for rows in self.pods.values() for p in rows.values()
                            if p.get("node") == n.get("name") and p.get("app")}) or [None]
            for problem in n.get("problems") or []:
                for svc in on_it:
                    add(Observation(f"node {n.get('name')}: {problem}", svc, 2.0, "list_nodes"))
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


def hosts_by_errors(rows: list[dict], service: str | None) -> list[str]:
    """The hosts (pods) that logged a service's errors, most first."""
    counts: dict[str, int] = {}
    for r in rows:
        if r.get("service") == service and r.get("host"):
            counts[r["host"]] = counts.get(r["host"], 0) + 1
    return sorted(counts, key=lambda h: -counts[h])


def _clean(value: Any) -> Any:
    """Drop the markers a shortened result carries in its lists ({"_omitted": ...}): they are not rows."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k != "_truncated"}
    if isinstance(value, list):
        return [_clean(v) for v in value if not (isinstance(v, dict) and "_omitted" in v)]
    return value

