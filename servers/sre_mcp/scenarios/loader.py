"""Read a scenario folder (format: README.md beside this file) into backend data.

The pods, deployments and events come out as Kubernetes API objects (the JSON the
API server returns), so the fixture cluster and a real cluster go through the same
status-derivation and describe code. Logs come out as rows for the ClickHouse
tables. Errors name the file and the entry, so a user writing a scenario can fix it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sre_mcp.deploy_diff import change_kind, normalize_diff
from sre_mcp.scenarios.common import ScenarioError, _uid, _yaml  # noqa: F401 - ScenarioError is this module's too
from sre_mcp.series import Piecewise
from sre_mcp.timeutil import iso, iso_ms, now_utc, parse_relative

SHIPPED_DIR = Path(__file__).resolve().parent
DEFAULT_SCENARIO = "payments-incident"
_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LOG_TS = re.compile(r"\{T(-[0-9dhms]+|now)\}")
LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")


@dataclass
class Service:
    name: str
    namespace: str
    deployment: str
    team: str = "unknown"


@dataclass
class Scenario:
    name: str
    path: Path
    title: str
    description: str
    namespaces: list[str]
    services: list[Service]
    loaded_at: datetime
    pods: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    # (ns, pod, container, previous); `<pod>.log` files belong to the pod's first container.
    pod_logs: dict[tuple[str, str, str, bool], str] = field(default_factory=dict)
    pod_usage: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    logs: list[dict[str, Any]] = field(default_factory=list)
    slow_queries: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    series: dict[str, dict[str, Piecewise]] = field(default_factory=dict)  # service -> metric -> series
    deploys: list[dict[str, Any]] = field(default_factory=list)
    # Kinds beyond pods/deployments/events (nodes.yaml, services.yaml...): kind -> API objects.
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    volume_usage: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (ns, pvc) -> kubelet stats
    answer: dict[str, Any] | None = None
    content_hash: str = ""

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)


def list_shipped() -> list[str]:
    return sorted(
        p.name for p in SHIPPED_DIR.iterdir() if p.is_dir() and (p / "scenario.yaml").is_file()
    )


def resolve(name_or_path: str | Path | None) -> Path:
    """A shipped scenario's name, or a path to any folder in the format."""
    if not name_or_path:
        name_or_path = DEFAULT_SCENARIO
    candidate = Path(name_or_path).expanduser().absolute()
    if candidate.is_dir():
        folder = candidate
    elif (SHIPPED_DIR / str(name_or_path)).is_dir():
        folder = SHIPPED_DIR / str(name_or_path)
    else:
        raise ScenarioError(
            f"unknown scenario {str(name_or_path)!r}: give a folder path or one of {', '.join(list_shipped())}"
        )
    if not (folder / "scenario.yaml").is_file():
        raise ScenarioError(f"{folder} has no scenario.yaml (see the scenario format in scenarios/README.md)")
    return folder.resolve()


def _jsonl(folder: Path, name: str) -> list[dict[str, Any]]:
    path = folder / name
    if not path.is_file():
        return []
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"{path}:{n}: not valid JSON: {exc.msg}") from None
        if not isinstance(row, dict):
            raise ScenarioError(f"{path}:{n}: expected a JSON object")
        rows.append(row)
    return rows


def _hash_folder(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "answer" not in path.name:
            h.update(str(path.relative_to(folder)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


class _Ctx:
    def __init__(self, folder: Path, now: datetime):
        self.folder = folder
        self.now = now

    def at(self, value: Any, where: str) -> datetime:
        try:
            return self.now + parse_relative(value)
        except ValueError as exc:
            raise ScenarioError(f"{self.folder.name}/{where}: {exc}") from None

    def name(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or len(value) > 253 or not _DNS1123.match(value):
            raise ScenarioError(f"{self.folder.name}/{where}: {value!r} is not a valid Kubernetes name")
        return value


def _state(ctx: _Ctx, state: dict | None, where: str) -> dict[str, Any]:
    if not state:
        return {}
    if not isinstance(state, dict) or len(state) != 1:
        raise ScenarioError(f"{ctx.folder.name}/{where}: a state has exactly one of running, waiting, terminated")
    kind, body = next(iter(state.items()))
    body = body or {}
    if kind == "running":
        return {"running": {"startedAt": iso(ctx.at(body.get("started", "-1h"), where))}}
    if kind == "waiting":
        return {"waiting": {k: v for k, v in {"reason": body.get("reason"), "message": body.get("message")}.items() if v}}
    if kind == "terminated":
        out: dict[str, Any] = {"exitCode": int(body.get("exit_code", 0))}
        for key in ("reason", "message"):
            if body.get(key):
                out[key] = body[key]
        if "started" in body:
            out["startedAt"] = iso(ctx.at(body["started"], where))
        if "finished" in body:
            out["finishedAt"] = iso(ctx.at(body["finished"], where))
        return {"terminated": out}
    raise ScenarioError(f"{ctx.folder.name}/{where}: unknown container state {kind!r}")


def _probe(spec: dict | None) -> dict[str, Any] | None:
    if not spec:
        return None
    probe: dict[str, Any] = {}
    if "http" in spec:
        probe["httpGet"] = {"path": spec["http"], "port": spec.get("port", 8080), "scheme": "HTTP"}
    elif "tcp" in spec:
        probe["tcpSocket"] = {"port": spec["tcp"]}
    elif "exec" in spec:
        probe["exec"] = {"command": list(spec["exec"])}
    probe["initialDelaySeconds"] = int(spec.get("delay", 0))
    probe["periodSeconds"] = int(spec.get("period", 10))
    probe["timeoutSeconds"] = int(spec.get("timeout", 1))
    probe["failureThreshold"] = int(spec.get("failure_threshold", 3))
    probe["successThreshold"] = 1
    return probe


def _pod(ctx: _Ctx, raw: dict, i: int, deploy_hash: dict[str, str]) -> dict[str, Any]:
    where = f"pods.yaml[{i}]"
    name = ctx.name(raw.get("name"), where)
    ns = ctx.name(raw.get("namespace"), where)
    service = raw.get("service") or name.rsplit("-", 1)[0]
    created = ctx.at(raw.get("created", "-1d"), where)
    containers, statuses = [], []
    for j, c in enumerate(raw.get("containers") or []):
        cw = f"{where}.containers[{j}]"
        cname = ctx.name(c.get("name"), cw)
        spec: dict[str, Any] = {"name": cname, "image": c.get("image", "unknown:latest")}
        if c.get("resources"):
            spec["resources"] = c["resources"]
        if c.get("env"):
            spec["env"] = [{"name": k, "value": str(v)} for k, v in c["env"].items()]
        for key, api_key in (("liveness", "livenessProbe"), ("readiness", "readinessProbe")):
            probe = _probe(c.get(key))
            if probe:
                spec[api_key] = probe
        if c.get("ports"):
            spec["ports"] = [{"containerPort": int(p)} for p in c["ports"]]
        containers.append(spec)
        statuses.append(
            {
                "name": cname,
                "image": spec["image"],
                "imageID": "",
                "ready": bool(c.get("ready", True)),
                "started": bool(c.get("ready", True)),
                "restartCount": int(c.get("restarts", 0)),
                "state": _state(ctx, c.get("state") or {"running": {"started": raw.get("created", "-1d")}}, cw + ".state"),
                "lastState": _state(ctx, c.get("last_state"), cw + ".last_state"),
            }
        )
    if not containers:
        raise ScenarioError(f"{ctx.folder.name}/{where}: pod {name} has no containers")
    phase = raw.get("phase") or "Running"
    all_ready = all(s["ready"] for s in statuses)
    conditions = raw.get("conditions") or {"Ready": all_ready and phase == "Running"}
    pod_template_hash = deploy_hash.get(f"{ns}/{service}", hashlib.md5(service.encode()).hexdigest()[:9])
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": [
            {"type": t, "status": "True" if v else "False", "lastTransitionTime": iso(created)}
            for t, v in {"Initialized": True, "Ready": conditions.get("Ready", all_ready), "ContainersReady": all_ready,
                         "PodScheduled": True, **{k: v for k, v in conditions.items() if k != "Ready"}}.items()
        ],
        "containerStatuses": statuses,
        "qosClass": "Burstable",
    }
    if raw.get("node"):
        # Only a scheduled pod has a host, an IP and a start time (as the API reports it).
        status["hostIP"] = "10.0.0." + str(10 + (sum(map(ord, raw["node"])) % 200))
        status["startTime"] = iso(created)
        if raw.get("ip", "10.42.0." + str(2 + i)):
            status["podIP"] = raw.get("ip", "10.42.0." + str(2 + i))
    if raw.get("reason"):
        status["reason"] = raw["reason"]
    if raw.get("message"):
        status["message"] = raw["message"]
    meta: dict[str, Any] = {
        "name": name,
        "namespace": ns,
        "uid": _uid(ns, name),
        "creationTimestamp": iso(created),
        "labels": {"app": service, "pod-template-hash": pod_template_hash},
        "ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{service}-{pod_template_hash}", "controller": True, "uid": _uid(ns, service, "rs")}
        ],
    }
    if raw.get("deletion"):
        meta["deletionTimestamp"] = iso(ctx.at(raw["deletion"], where))
    spec_out: dict[str, Any] = {"containers": containers, "restartPolicy": "Always", "serviceAccountName": "default"}
    if raw.get("node"):
        spec_out["nodeName"] = raw["node"]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec_out, "status": status}


def _deployment(ctx: _Ctx, raw: dict, i: int) -> dict[str, Any]:
    where = f"deployments.yaml[{i}]"
    name = ctx.name(raw.get("name"), where)
    ns = ctx.name(raw.get("namespace"), where)
    service = raw.get("service") or name
    replicas = int(raw.get("replicas", 1))
    image = raw.get("image", "unknown:latest")
    labels = {str(k): str(v) for k, v in (raw.get("selector") or {"app": service}).items()}
    container: dict[str, Any] = {"name": raw.get("container", service), "image": image}
    if raw.get("env"):
        container["env"] = [{"name": str(k), "value": str(v)} for k, v in raw["env"].items()]
    volumes = [{"name": f"cm-{cm}", "configMap": {"name": cm}} for cm in raw.get("configmaps") or []]
    volumes += [{"name": f"secret-{s}", "secret": {"secretName": s}} for s in raw.get("secrets") or []]
    pod_spec: dict[str, Any] = {"containers": [container], **({"volumes": volumes} if volumes else {})}
    updated_at = iso(ctx.at(raw.get("updated_at", raw.get("created", "-30d")), where))
    if raw.get("stalled"):
        # A rollout past its progressDeadlineSeconds: what `kubectl rollout status` reports as failed.
        progressing = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                       "message": str(raw["stalled"]) if raw["stalled"] is not True else f'ReplicaSet "{name}" has timed out progressing.',
                       "lastTransitionTime": updated_at}
    else:
        progressing = {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                       "message": f'ReplicaSet "{name}" has successfully progressed.', "lastTransitionTime": updated_at}
    ready = int(raw.get("ready", replicas))
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": _uid(ns, name, "deploy"),
            "creationTimestamp": iso(ctx.at(raw.get("created", "-30d"), where)),
            "labels": {"app": service},
            "annotations": {"deployment.kubernetes.io/revision": str(raw.get("revision", 1))},
            "generation": int(raw.get("revision", 1)),
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec},
            "strategy": {"type": "RollingUpdate"},
            "progressDeadlineSeconds": 600,
        },
        "status": {
            "replicas": replicas,
            "readyReplicas": int(raw.get("ready", replicas)),
            "availableReplicas": int(raw.get("available", raw.get("ready", replicas))),
            "updatedReplicas": int(raw.get("updated", replicas)),
            "observedGeneration": int(raw.get("revision", 1)),
            "conditions": [
                {"type": "Available", "status": "True" if ready >= replicas else "False",
                 "reason": "MinimumReplicasAvailable" if ready >= replicas else "MinimumReplicasUnavailable",
                 "lastTransitionTime": updated_at},
                progressing,
            ],
        },
    }


def _event(ctx: _Ctx, raw: dict, i: int) -> dict[str, Any]:
    where = f"events.yaml[{i}]"
    ns = ctx.name(raw.get("namespace"), where)
    obj = str(raw.get("object", ""))
    if "/" not in obj:
        raise ScenarioError(f"{ctx.folder.name}/{where}: object must be kind/name, e.g. pod/payment-gw-def34")
    kind, obj_name = obj.split("/", 1)
    kinds = {"pod": "Pod", "deployment": "Deployment", "node": "Node", "replicaset": "ReplicaSet", "service": "Service",
             "certificate": "Certificate", "job": "Job", "ingress": "Ingress", "horizontalpodautoscaler": "HorizontalPodAutoscaler",
             "configmap": "ConfigMap"}
    etype = raw.get("type", "Normal")
    if etype not in ("Normal", "Warning"):
        raise ScenarioError(f"{ctx.folder.name}/{where}: type must be Normal or Warning, not {etype!r}")
    last = ctx.at(raw.get("at", "now"), where)
    first = ctx.at(raw["first"], where) if "first" in raw else last
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{obj_name}.{i:04x}", "namespace": ns, "uid": _uid(ns, obj, str(i))},
        "involvedObject": {"kind": kinds.get(kind.lower(), kind), "name": obj_name, "namespace": ns},
        "reason": raw.get("reason", ""),
        "message": raw.get("message", ""),
        "type": etype,
        "count": int(raw.get("count", 1)),
        "firstTimestamp": iso(first),
        "lastTimestamp": iso(last),
        "source": {"component": raw.get("source", "kubelet")},
    }


def _log_row(ctx: _Ctx, raw: dict, where: str) -> dict[str, Any]:
    level = str(raw.get("level", "INFO")).upper()
    if level == "WARNING":
        level = "WARN"
    if level not in LEVELS:
        raise ScenarioError(f"{ctx.folder.name}/{where}: level must be one of {', '.join(LEVELS)}")
    for key in ("service", "message"):
        if not raw.get(key):
            raise ScenarioError(f"{ctx.folder.name}/{where}: missing {key}")
    return {
        "timestamp": ctx.at(raw.get("at", "now"), where),
        "service": str(raw["service"]),
        "level": level,
        "host": str(raw.get("host", "")),
        "message": str(raw["message"]),
        "trace_id": str(raw.get("trace_id") or ""),
        "duration_ms": float(raw.get("duration_ms") or 0),
    }


def _pod_log_name(folder: Path, file: str, containers_of: dict[str, list[str]]) -> tuple[str, str, bool]:
    """`<pod>[.<container>][.previous].log` → (pod, container, previous)."""
    stem = file[: -len(".log")]
    previous = stem.endswith(".previous")
    if previous:
        stem = stem[: -len(".previous")]
    if stem in containers_of:
        return stem, containers_of[stem][0], previous
    pod_name, _, container = stem.rpartition(".")
    if pod_name in containers_of:
        if container not in containers_of[pod_name]:
            raise ScenarioError(
                f"{folder.name}/pod_logs/{file}: pod {pod_name} has no container {container!r} "
                f"(containers: {', '.join(containers_of[pod_name])})"
            )
        return pod_name, container, previous
    raise ScenarioError(f"{folder.name}/pod_logs/{file}: no pod named {stem} (or {pod_name}) in pods.yaml")


_METRIC_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|Ki|Mi|Gi|Ti)?$")
_FACTORS = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
ALERT_SEVERITIES = ("critical", "warning", "info")


def _number(ctx: _Ctx, value: Any, where: str) -> float:
    """A series value: a number, or a Kubernetes quantity (`250m` cores, `512Mi` bytes)."""
    if isinstance(value, bool):
        raise ScenarioError(f"{ctx.folder.name}/{where}: {value!r} is not a number")
    if isinstance(value, (int, float)):
        out = float(value)
    else:
        m = _QUANTITY.match(str(value).strip())
        if not m:
            raise ScenarioError(f"{ctx.folder.name}/{where}: {value!r} is not a number or a quantity like 250m, 512Mi")
        out = float(m.group(1)) * _FACTORS[m.group(2)]
    if out != out or out in (float("inf"), float("-inf")) or out < 0:
        raise ScenarioError(f"{ctx.folder.name}/{where}: {value!r} must be a finite number ≥ 0")
    return out


def _series(ctx: _Ctx, svc: str, metric: str, raw: Any, jitter: float) -> Piecewise:
    where = f"metrics.yaml {svc}.series.{metric}"
    if isinstance(raw, dict):
        jitter = raw.get("jitter", jitter)
        raw = raw.get("points")
    if not isinstance(raw, list) or not raw:
        raise ScenarioError(f"{ctx.folder.name}/{where}: expected a list of [time, value] points, e.g. [[-3h, 0.002], [-12m, 0.15]]")
    points = []
    for j, pt in enumerate(raw):
        if not isinstance(pt, (list, tuple)) or len(pt) != 2:
            raise ScenarioError(f"{ctx.folder.name}/{where}[{j}]: a point is [time, value], e.g. [-12m, 0.15]")
        points.append((ctx.at(pt[0], f"{where}[{j}]"), _number(ctx, pt[1], f"{where}[{j}]")))
    for j in range(1, len(points)):
        if points[j][0] < points[j - 1][0]:
            raise ScenarioError(f"{ctx.folder.name}/{where}[{j}]: points must be in time order (oldest first)")
    try:
        jitter = float(jitter)
    except (TypeError, ValueError):
        raise ScenarioError(f"{ctx.folder.name}/{where}: jitter must be a number (0 to 0.5)") from None
    if not 0 <= jitter <= 0.5:
        raise ScenarioError(f"{ctx.folder.name}/{where}: jitter must be between 0 and 0.5")
    return Piecewise(tuple(points), jitter, f"{svc}/{metric}")


def _service_metrics(ctx: _Ctx, svc: str, m: Any) -> tuple[dict[str, Any], dict[str, Piecewise]]:
    if not isinstance(m, dict):
        raise ScenarioError(f"{ctx.folder.name}/metrics.yaml {svc}: expected a mapping")
    series: dict[str, Piecewise] = {}
    raw_series = m.get("series") or {}
    if not isinstance(raw_series, dict):
        raise ScenarioError(f"{ctx.folder.name}/metrics.yaml {svc}.series: expected a mapping of metric name to points")
    for metric, raw in raw_series.items():
        if not isinstance(metric, str) or not _METRIC_NAME.match(metric):
            raise ScenarioError(f"{ctx.folder.name}/metrics.yaml {svc}.series: {metric!r} is not a metric name (lowercase, digits, _)")
        series[metric] = _series(ctx, svc, metric, raw, m.get("jitter", 0.0))
    out = {k: v for k, v in m.items() if k not in ("series", "jitter", "alerts")}
    for key in ("error_rate", "p99_ms", "rps"):
        if key in series:
            now_value = series[key].points[-1][1] if series[key].points[-1][0] <= ctx.now else series[key].value_at(ctx.now)
            if out.get(key) is None:
                out[key] = now_value  # the series' last value is the current figure
            else:
                stated = _number(ctx, out[key], f"metrics.yaml {svc}.{key}")
                if abs(stated - now_value) > 0.05 * max(stated, now_value) + 1e-9:
                    raise ScenarioError(
                        f"{ctx.folder.name}/metrics.yaml {svc}: {key} is {out[key]} but series.{key} ends at {now_value:g}; "
                        "make them agree or drop the single value"
                    )
    alerts = []
    for j, a in enumerate(m.get("alerts") or []):
        where = f"metrics.yaml {svc}.alerts[{j}]"
        if not isinstance(a, dict) or not a.get("name"):
            raise ScenarioError(f"{ctx.folder.name}/{where}: an alert needs at least a name")
        severity = str(a.get("severity", "warning")).lower()
        if severity not in ALERT_SEVERITIES:
            raise ScenarioError(f"{ctx.folder.name}/{where}: severity must be one of {', '.join(ALERT_SEVERITIES)}")
        alerts.append({**a, "severity": severity, "since": iso(ctx.at(a.get("since", "now"), where))})
    out["alerts"] = alerts
    return out, series


DEPLOY_KINDS = ("image", "config", "configmap")


def _deploy(ctx: _Ctx, raw: Any, i: int) -> dict[str, Any]:
    where = f"deploys.yaml[{i}]"
    if not isinstance(raw, dict) or not raw.get("service"):
        raise ScenarioError(f"{ctx.folder.name}/{where}: a deploy is a mapping with at least service and at")
    out = {**raw, "at": iso(ctx.at(raw.get("at", "now"), where))}
    diff = raw.get("diff")
    if diff is not None:
        try:
            out["diff"] = normalize_diff(diff)
        except ValueError as exc:
            raise ScenarioError(f"{ctx.folder.name}/{where}.diff: {exc}") from None
    kind = raw.get("kind")
    if kind is None:
        # An entry without a kind is a rollout of a new image unless its diff says otherwise.
        kind = "image" if diff is None or change_kind(out["diff"]) == "image" else "config"
    if kind not in DEPLOY_KINDS:
        raise ScenarioError(f"{ctx.folder.name}/{where}: kind must be one of {', '.join(DEPLOY_KINDS)}")
    out["kind"] = kind
    return out


def load_scenario(name_or_path: str | Path | None = None, now: datetime | None = None) -> Scenario:
    folder = resolve(name_or_path)
    ctx = _Ctx(folder, now or now_utc())
    meta = _yaml(folder, "scenario.yaml", {})
    if not isinstance(meta, dict):
        raise ScenarioError(f"{folder}/scenario.yaml: expected a mapping")
    services = []
    for i, s in enumerate(meta.get("services") or []):
        where = f"scenario.yaml services[{i}]"
        services.append(
            Service(
                name=ctx.name(s.get("name"), where),
                namespace=ctx.name(s.get("namespace"), where),
                deployment=ctx.name(s.get("deployment", s.get("name")), where),
                team=str(s.get("team", "unknown")),
            )
        )
    namespaces = [ctx.name(n, "scenario.yaml namespaces") for n in meta.get("namespaces") or []]
    for s in services:
        if s.namespace not in namespaces:
            namespaces.append(s.namespace)
    sc = Scenario(
        name=folder.name,
        path=folder,
        title=str(meta.get("title", folder.name)),
        description=str(meta.get("description", "")),
        namespaces=namespaces,
        services=services,
        loaded_at=ctx.now,
        content_hash=_hash_folder(folder),
    )
    deployments_raw = _yaml(folder, "deployments.yaml", [])
    sc.deployments = [_deployment(ctx, d, i) for i, d in enumerate(deployments_raw)]
    hashes = {
        f"{d['metadata']['namespace']}/{d['metadata']['labels']['app']}": hashlib.md5(
            (d["metadata"]["name"] + d["metadata"]["annotations"]["deployment.kubernetes.io/revision"]).encode()
        ).hexdigest()[:9]
        for d in sc.deployments
    }
    for i, raw in enumerate(_yaml(folder, "pods.yaml", [])):
        pod = _pod(ctx, raw, i, hashes)
        sc.pods.append(pod)
        if raw.get("usage"):
            sc.pod_usage[(pod["metadata"]["namespace"], pod["metadata"]["name"])] = {
                "cpu": str(raw["usage"].get("cpu", "")),
                "memory": str(raw["usage"].get("memory", "")),
            }
    sc.events = [_event(ctx, e, i) for i, e in enumerate(_yaml(folder, "events.yaml", []))]
    pods_by_name = {p["metadata"]["name"]: p["metadata"]["namespace"] for p in sc.pods}
    containers_of = {p["metadata"]["name"]: [c["name"] for c in p["spec"]["containers"]] for p in sc.pods}
    logs_dir = folder / "pod_logs"
    if logs_dir.is_dir():
        for path in sorted(logs_dir.glob("*.log")):
            pod_name, container, previous = _pod_log_name(folder, path.name, containers_of)
            text = _LOG_TS.sub(lambda m: iso_ms(ctx.at(m.group(1), f"pod_logs/{path.name}")), path.read_text(encoding="utf-8"))
            sc.pod_logs[(pods_by_name[pod_name], pod_name, container, previous)] = text
    sc.logs = [_log_row(ctx, r, f"logs.jsonl:{i + 1}") for i, r in enumerate(_jsonl(folder, "logs.jsonl"))]
    for i, r in enumerate(_jsonl(folder, "slow_queries.jsonl")):
        where = f"slow_queries.jsonl:{i + 1}"
        sc.slow_queries.append(
            {
                "timestamp": ctx.at(r.get("at", "now"), where),
                "service": str(r.get("service", "")),
                "database": str(r.get("database", "")),
                "duration_ms": float(r.get("duration_ms", 0)),
                "rows_examined": int(r.get("rows_examined", 0)),
                "query": str(r.get("query", "")),
            }
        )
    metrics = _yaml(folder, "metrics.yaml", {})
    if not isinstance(metrics, dict):
        raise ScenarioError(f"{folder.name}/metrics.yaml: expected a mapping of service name to metrics")
    for svc, m in metrics.items():
        sc.metrics[svc], series = _service_metrics(ctx, str(svc), m or {})
        if series:
            sc.series[str(svc)] = series
    deploys = _yaml(folder, "deploys.yaml", [])
    if not isinstance(deploys, list):
        raise ScenarioError(f"{folder.name}/deploys.yaml: expected a list of deploys")
    sc.deploys = [_deploy(ctx, d, i) for i, d in enumerate(deploys)]
    from sre_mcp.scenarios import cluster_objects

    cluster_objects.load(ctx, sc)
    answer = _yaml(folder, "answer.yaml", None)
    sc.answer = answer if isinstance(answer, dict) else None
    return sc
