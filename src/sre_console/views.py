"""The cluster views (k9s `:deploy`, `:sts`, … `:hpa`), declared once as data.

Each `ViewSpec` says which tool the view calls and with what, where its rows are in
the answer, its columns (a header and how a cell is made from a row), what makes a
row faulty, which change-feed kinds reload it, and which pods `enter` leads to. The
action table (`actions.py`) makes one action per view from `VIEWS`; the widget
(`widgets/resources.py`) shows any of them. Headless: no Textual here, so the action
table can read it without importing the UI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from sre_console.server_facts import Tool


@dataclass(frozen=True)
class Column:
    header: str
    cell: Callable[[dict[str, Any]], Any]  # a row → the cell's text (str() is applied)


@dataclass(frozen=True)
class PodsOf:
    """Which pods a row's `enter` shows: a label selector or a node the server applies (list_pods),
    else a name pattern the pods pane filters by. `what` names them in the pods pane's footer."""

    what: str
    selector: str | None = None
    node: str | None = None
    pattern: str | None = None
    namespace: str | None = None  # across namespaces: only this one's pods (None: every namespace's)

    def list_args(self) -> dict[str, str]:
        return {k: v for k, v in (("label_selector", self.selector), ("node", self.node)) if v}


def _problems(row: dict[str, Any]) -> list[str]:
    return [str(p) for p in (row.get("problems") or row.get("findings") or [])]


def _unhealthy(row: dict[str, Any]) -> bool:
    return not row.get("healthy", True)


@dataclass(frozen=True)
class ViewSpec:
    name: str  # "deployments": the handler's argument, the pane's title
    kind: str  # "Deployment", as the server's kinds table spells it: what a row names (selected_ref)
    verbs: tuple[str, ...]  # `:deploy`, `:dp`
    tool: str
    rows_key: str  # where the rows are in the tool's answer
    columns: tuple[Column, ...]
    watch: tuple[str, ...]  # plurals of the kinds the view reads: their change events reload it
    args: Mapping[str, Any] = field(default_factory=dict)  # fixed arguments besides the namespace
    namespaced: bool = True
    description: str = ""
    faulty: Callable[[dict[str, Any]], bool] = _unhealthy
    problems: Callable[[dict[str, Any]], list[str]] = _problems
    pods: Callable[[dict[str, Any]], PodsOf | None] | None = None  # enter on a row → these pods
    pages: bool = True  # the tool takes offset/limit: the view reads every page

    def row_kind(self, row: dict[str, Any]) -> str:
        return str(row.get("kind") or self.kind)


def _s(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value) or "—"
    return str(value)


def _get(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda r: _s(r.get(key))


def _images(r: dict[str, Any]) -> str:
    return _s(r.get("images"))


def _pct(value: Any) -> str:
    return "—" if value is None else f"{value}%"


def _name_pattern(prefix: str, tail: str) -> str:
    return "^" + re.escape(prefix) + tail + r"(\s|$)"


def _workload_pods(row: dict[str, Any]) -> PodsOf | None:
    """A workload's pods: by its selector (what the controller itself uses), else by the names
    its controller gives them."""
    name, kind = str(row.get("name") or ""), str(row.get("kind") or "")
    if not name:
        return None
    what = f"{kind.lower()} {name}"
    if row.get("selector"):
        return PodsOf(what, selector=str(row["selector"]))
    if kind == "Job":
        return PodsOf(what, selector=f"job-name={name}")  # set on every pod by the job controller
    if kind == "CronJob":
        return PodsOf(what, pattern=_name_pattern(name, r"-\d+-[a-z0-9]{5}"))  # <cronjob>-<time>-<hash>
    return PodsOf(what, pattern=_name_pattern(name, "-[a-z0-9-]+"))


def _service_pods(row: dict[str, Any]) -> PodsOf | None:
    selector = row.get("selector") or {}
    if not selector:
        return None
    return PodsOf(f"service {row.get('name')}", selector=",".join(f"{k}={v}" for k, v in selector.items()))


def _volume_pods(row: dict[str, Any]) -> PodsOf | None:
    users = row.get("mounted_by") or []
    if not users:
        return None
    return PodsOf(f"pvc {row.get('name')}", pattern="^(" + "|".join(re.escape(str(u)) for u in users) + r")(\s|$)")


def _node_pods(row: dict[str, Any]) -> PodsOf | None:
    return PodsOf(f"node {row.get('name')}", node=str(row["name"])) if row.get("name") else None


def _cronjob_last(r: dict[str, Any]) -> str:
    last = r.get("last_job") or {}
    return f"{last.get('name')} ({last.get('state')})" if last else "—"


def _hpa_metrics(r: dict[str, Any]) -> str:
    return ", ".join(f"{m.get('metric')} {m.get('current')}/{m.get('target')}" for m in r.get("metrics") or []) or "—"


def _keys(r: dict[str, Any]) -> str:
    return ", ".join(str(k.get("key")) for k in r.get("keys") or []) or ("(missing)" if r.get("missing") else "—")


def _workload(name: str, kind: str, verbs: tuple[str, ...], columns: tuple[Column, ...], watch: tuple[str, ...],
              description: str) -> ViewSpec:
    return ViewSpec(name, kind, verbs, Tool.LIST_WORKLOADS, "workloads", columns, watch, args={"kind": kind},
                    description=description, pods=_workload_pods)


NAME = Column("name", _get("name"))
AGE = Column("age", _get("age"))
STATE = Column("state", _get("state"))
READY = Column("ready", _get("ready"))

VIEWS: dict[str, ViewSpec] = {v.name: v for v in (
    _workload("deployments", "Deployment", ("deploy", "dp"), (
        NAME, READY, Column("up-to-date", _get("updated")), Column("available", _get("available")), STATE,
        Column("rev", _get("revision")), AGE, Column("images", _images)),
        ("deployments",), "Deployments: ready, up to date, rollout state (stalled rollouts first)"),
    _workload("statefulsets", "StatefulSet", ("sts",), (
        NAME, READY, Column("updated", _get("updated")), STATE, Column("volumes", _get("volume_claims")), AGE,
        Column("images", _images)),
        ("statefulsets",), "StatefulSets: ready, rollout between revisions, volume claims"),
    _workload("daemonsets", "DaemonSet", ("ds",), (
        NAME, Column("desired", _get("desired")), READY, Column("up-to-date", _get("updated")),
        Column("available", _get("available")), STATE, AGE, Column("images", _images)),
        ("daemonsets",), "DaemonSets: one pod per node, ready and up to date"),
    _workload("jobs", "Job", ("jobs", "job"), (
        NAME, Column("completions", _get("completions")), STATE, Column("active", _get("active")),
        Column("failed", _get("failed")), Column("cronjob", _get("cronjob")), AGE),
        ("jobs",), "Jobs: completions, failed pods and why (BackoffLimitExceeded)"),
    _workload("cronjobs", "CronJob", ("cronjobs", "cj", "cronjob"), (
        NAME, Column("schedule", _get("schedule")), Column("suspend", _get("suspend")), Column("active", _get("active")),
        Column("last schedule", _get("last_schedule_age")), Column("last job", _cronjob_last), AGE),
        ("cronjobs", "jobs"), "CronJobs: schedule, last run and whether it failed"),
    ViewSpec("nodes", "Node", ("nodes", "no", "node"), Tool.LIST_NODES, "nodes", (
        NAME, Column("status", _get("status")), Column("roles", _get("roles")), Column("pods", _get("pods")),
        Column("cpu req", lambda r: _pct((r.get("requested") or {}).get("cpu_pct"))),
        Column("mem req", lambda r: _pct((r.get("requested") or {}).get("memory_pct"))),
        Column("pressure", _get("pressure")), Column("taints", lambda r: str(len(r.get("taints") or []))),
        Column("kubelet", _get("kubelet")), AGE),
        ("nodes",), namespaced=False, description="Nodes: Ready, pressure, cordoned, requests against allocatable",
        pods=_node_pods, pages=False),
    ViewSpec("services", "Service", ("svc", "services", "service"), Tool.GET_SERVICE_ENDPOINTS, "services", (
        NAME, Column("type", _get("type")), Column("cluster-ip", _get("cluster_ip")), Column("ports", _get("ports")),
        Column("selector", lambda r: ",".join(f"{k}={v}" for k, v in (r.get("selector") or {}).items()) or "—"),
        Column("pods", _get("matching_pods")), Column("endpoints", _get("endpoints"))),
        ("services", "endpoints", "pods"),
        description="Services: selector, ports, ready and not-ready endpoints (no pod matches, all not ready)",
        pods=_service_pods),
    ViewSpec("pvcs", "PersistentVolumeClaim", ("pvc", "pvcs"), Tool.LIST_VOLUMES, "volumes", (
        NAME, Column("status", _get("phase")), Column("capacity", _get("capacity")), Column("used", _get("used")),
        Column("used%", lambda r: _pct(r.get("used_pct"))), Column("storageclass", _get("storage_class")),
        Column("volume", _get("volume")), Column("mounted by", _get("mounted_by")), AGE),
        ("persistentvolumeclaims", "pods"), description="PersistentVolumeClaims: phase, capacity, how full",
        pods=_volume_pods),
    ViewSpec("configmaps", "ConfigMap", ("cm", "configmaps", "configmap"), Tool.LIST_CONFIGMAPS, "configmaps", (
        NAME, Column("data", _get("data")), Column("bytes", _get("bytes")), Column("keys", _keys),
        Column("used by", _get("used_by")), AGE),
        ("configmaps", "deployments", "statefulsets", "daemonsets", "cronjobs"),
        description="ConfigMaps: keys and sizes, who uses them, referenced ones that are missing"),
    ViewSpec("hpas", "HorizontalPodAutoscaler", ("hpa", "hpas"), Tool.LIST_HPAS, "hpas", (
        NAME, Column("target", _get("target")), Column("min", _get("min")), Column("max", _get("max")),
        Column("current", _get("current")), Column("desired", _get("desired")), Column("metrics", _hpa_metrics)),
        ("horizontalpodautoscalers",), description="HorizontalPodAutoscalers: replicas against min/max, metrics against targets"),
)}

def next_sort(headers: list[str], current: int | None, column: str | None = None) -> int | None | str:
    """The sort column after `>` (the next one; after the last, None: the server's order) or the one
    `:sort COLUMN` names (exact header, else the first that starts so); a str says what is wrong."""
    if column is not None:
        wanted = column.lower()
        match = next((i for i, h in enumerate(headers) if h == wanted), None)
        if match is None:
            match = next((i for i, h in enumerate(headers) if h.startswith(wanted)), None)
        return match if match is not None else f"no column {column!r}; columns: {', '.join(headers)}"
    if current is None:
        return 0
    return current + 1 if current + 1 < len(headers) else None


_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?")


def sort_key(text: str) -> tuple:
    """Cells sort as what they mean: ages as durations ("3d" after "5h"), "3/5" and "95%" by their
    number, the rest as text; an empty cell ("—") last."""
    t = text.strip()
    if t in ("", "—", "<none>", "<unknown>"):
        return (3, 0.0, "")
    m = _DURATION.match(t)
    if m and any(m.groups()):
        d, h, mi, s = (int(g or 0) for g in m.groups())
        return (0, float(((d * 24 + h) * 60 + mi) * 60 + s), t)
    n = _NUMBER.match(t)
    if n:
        return (1, float(n.group()), t.lower())
    return (2, 0.0, t.lower())
