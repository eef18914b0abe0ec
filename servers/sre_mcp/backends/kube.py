"""Kubernetes object logic shared by the fixture cluster and a real one.

Input is always API-shaped JSON (what `GET /api/v1/namespaces/x/pods` returns), so
the code here is the same whether the objects came from a scenario or a cluster.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sre_mcp.timeutil import age, now_utc, parse_iso

HEALTHY_STATUSES = {"Running", "Completed", "Succeeded"}


def pod_status(pod: dict[str, Any]) -> str:
    """The STATUS column of `kubectl get pods`, derived the way kubectl derives it."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for init in reversed(status.get("initContainerStatuses") or []):
        state = init.get("state") or {}
        term = state.get("terminated")
        if term and term.get("exitCode", 0) == 0:
            continue
        if term:
            return "Init:" + (term.get("reason") or f"ExitCode:{term.get('exitCode')}")
        waiting = state.get("waiting")
        if waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            return "Init:" + waiting["reason"]
    has_running = False
    for cs in reversed(status.get("containerStatuses") or []):
        state = cs.get("state") or {}
        if (state.get("waiting") or {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif (state.get("terminated") or {}).get("reason"):
            reason = state["terminated"]["reason"]
        elif state.get("terminated"):
            term = state["terminated"]
            reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode', 0)}"
        elif cs.get("ready") and state.get("running") is not None:
            has_running = True
    if reason == "Completed" and has_running:
        reason = "Running" if _condition(pod, "Ready") else "NotReady"
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason


def _condition(pod: dict[str, Any], kind: str) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == kind:
            return c.get("status") == "True"
    return False


def last_termination(pod: dict[str, Any]) -> dict[str, Any] | None:
    """The most recent previous termination of any container: reason, exit code, when."""
    best = None
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        term = (cs.get("lastState") or {}).get("terminated")
        if term and (best is None or (term.get("finishedAt") or "") > (best.get("finishedAt") or "")):
            best = {**term, "container": cs.get("name")}
    return best


def pod_row(pod: dict[str, Any], usage: dict[str, str] | None = None, now: datetime | None = None) -> dict[str, Any]:
    """One line of `kubectl get pods -o wide`, plus what an investigator wants next to it."""
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    total = len((pod.get("spec") or {}).get("containers") or statuses)
    row: dict[str, Any] = {
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "status": pod_status(pod),
        "ready": f"{ready}/{total}",
        "restarts": sum(int(c.get("restartCount") or 0) for c in statuses),
        "age": age(parse_iso(meta.get("creationTimestamp")), now),
        "node": (pod.get("spec") or {}).get("nodeName") or "<none>",
        "ip": status.get("podIP") or "<none>",
        "app": (meta.get("labels") or {}).get("app"),
    }
    term = last_termination(pod)
    if term:
        row["last_termination"] = {
            "reason": term.get("reason") or f"ExitCode:{term.get('exitCode')}",
            "exit_code": term.get("exitCode"),
            "container": term.get("container"),
            "finished": age(parse_iso(term.get("finishedAt")), now) + " ago" if term.get("finishedAt") else None,
        }
    if usage:
        row["cpu"] = usage.get("cpu")
        row["memory"] = usage.get("memory")
    row["healthy"] = is_healthy(row)
    return row


def is_healthy(row: dict[str, Any]) -> bool:
    if row["status"] in ("Completed", "Succeeded"):
        return True
    ready, total = row["ready"].split("/")
    return row["status"] == "Running" and ready == total


def pod_severity(row: dict[str, Any]) -> tuple[int, int]:
    """Sort key: worst pod first (not ready, then by restarts)."""
    bad = 0 if row["healthy"] else 1
    return (bad, int(row.get("restarts") or 0))


def _quantity(resources: dict[str, Any] | None) -> dict[str, Any]:
    resources = resources or {}
    return {k: dict(v) for k, v in resources.items() if v}


def _probe(probe: dict[str, Any] | None) -> str | None:
    if not probe:
        return None
    if "httpGet" in probe:
        h = probe["httpGet"]
        target = f"http-get {h.get('scheme', 'HTTP').lower()}://:{h.get('port')}{h.get('path', '/')}"
    elif "tcpSocket" in probe:
        target = f"tcp-socket :{probe['tcpSocket'].get('port')}"
    elif "exec" in probe:
        target = "exec " + " ".join(probe["exec"].get("command") or [])
    else:
        target = "unknown"
    return (
        f"{target} delay={probe.get('initialDelaySeconds', 0)}s timeout={probe.get('timeoutSeconds', 1)}s "
        f"period={probe.get('periodSeconds', 10)}s #success={probe.get('successThreshold', 1)} "
        f"#failure={probe.get('failureThreshold', 3)}"
    )


def _state(state: dict[str, Any] | None) -> dict[str, Any] | None:
    if not state:
        return None
    kind, body = next(iter(state.items()))
    return {"state": kind.capitalize(), **{k: v for k, v in (body or {}).items()}}


def event_row(event: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    obj = event.get("involvedObject") or {}
    last = parse_iso(event.get("lastTimestamp") or event.get("eventTime") or (event.get("metadata") or {}).get("creationTimestamp"))
    return {
        "type": event.get("type", "Normal"),
        "reason": event.get("reason", ""),
        "object": f"{(obj.get('kind') or '').lower()}/{obj.get('name', '')}",
        "message": event.get("message", ""),
        "count": int(event.get("count") or 1),
        "last_seen": age(last, now),
        "timestamp": event.get("lastTimestamp") or event.get("eventTime"),
        "namespace": (event.get("metadata") or {}).get("namespace") or obj.get("namespace"),
    }


def describe_pod(pod: dict[str, Any], events: list[dict[str, Any]], now: datetime | None = None) -> dict[str, Any]:
    """What `kubectl describe pod` shows, as structured data."""
    now = now or now_utc()
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    statuses = {c.get("name"): c for c in status.get("containerStatuses") or []}
    containers = []
    for c in spec.get("containers") or []:
        cs = statuses.get(c.get("name"), {})
        containers.append(
            {
                "name": c.get("name"),
                "image": c.get("image"),
                "state": _state(cs.get("state")),
                "last_state": _state(cs.get("lastState")),
                "ready": bool(cs.get("ready")),
                "restart_count": int(cs.get("restartCount") or 0),
                "resources": _quantity(c.get("resources")),
                "liveness": _probe(c.get("livenessProbe")),
                "readiness": _probe(c.get("readinessProbe")),
                "env": {e["name"]: e.get("value", "<from source>") for e in c.get("env") or [] if "name" in e},
            }
        )
    name = meta.get("name")
    pod_events = [
        event_row(e, now)
        for e in events
        if (e.get("involvedObject") or {}).get("name") == name
    ]
    pod_events.sort(key=lambda e: e.get("timestamp") or "")
    owners = meta.get("ownerReferences") or []
    return {
        "name": name,
        "namespace": meta.get("namespace"),
        "node": spec.get("nodeName"),
        "start_time": status.get("startTime"),
        "labels": meta.get("labels") or {},
        "status": pod_status(pod),
        "phase": status.get("phase"),
        "reason": status.get("reason"),
        "message": status.get("message"),
        "ip": status.get("podIP"),
        "controlled_by": f"{owners[0].get('kind')}/{owners[0].get('name')}" if owners else None,
        "qos_class": status.get("qosClass"),
        "containers": containers,
        "conditions": {c.get("type"): c.get("status") for c in status.get("conditions") or []},
        "events": pod_events,
    }


def deployment_row(dep: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    meta = dep.get("metadata") or {}
    spec = dep.get("spec") or {}
    status = dep.get("status") or {}
    desired = int(spec.get("replicas") if spec.get("replicas") is not None else 1)
    ready = int(status.get("readyReplicas") or 0)
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return {
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "ready": f"{ready}/{desired}",
        "desired": desired,
        "ready_replicas": ready,
        "available": int(status.get("availableReplicas") or 0),
        "up_to_date": int(status.get("updatedReplicas") or 0),
        "image": containers[0].get("image") if containers else None,
        "images": [c.get("image") for c in containers],
        "revision": (meta.get("annotations") or {}).get("deployment.kubernetes.io/revision"),
        "age": age(parse_iso(meta.get("creationTimestamp")), now),
        "healthy": ready >= desired,
    }
