"""Kubernetes object logic shared by the fixture cluster and a real one.

Input is always API-shaped JSON (what `GET /api/v1/namespaces/x/pods` returns), so
the code here is the same whether the objects came from a scenario or a cluster.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sre_mcp.deploy_diff import HASH_LABELS, comparable_template, revision_diff
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


# --- quantities and label selectors ---------------------------------------------

_QUANTITY_FACTORS = {"": 1, "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": 10**3, "M": 10**6,
                     "G": 10**9, "T": 10**12, "P": 10**15, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}


def quantity(text: Any) -> Decimal | None:
    """A Kubernetes resource quantity ("250m", "384Mi", "1.5", "2G") as a number."""
    m = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", str(text).strip())
    if not m or m.group(2) not in _QUANTITY_FACTORS:
        return None
    try:
        return Decimal(m.group(1)) * Decimal(_QUANTITY_FACTORS[m.group(2)])
    except InvalidOperation:
        return None


def fmt_bytes(n: Decimal | int | float | None) -> str | None:
    if n is None:
        return None
    n = float(n)
    for unit, size in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if n >= size:
            return f"{n / size:.1f}{unit}".replace(".0" + unit, unit)
    return f"{int(n)}"


def fmt_cpu(n: Decimal | None) -> str | None:
    return None if n is None else f"{int(n * 1000)}m"


_SEL_SET = re.compile(r"^\s*(!?)\s*([A-Za-z0-9./_-]+)\s*(?:(in|notin)\s*\(([^)]*)\)|(==|=|!=)\s*([A-Za-z0-9._-]*))?\s*$")


class SelectorError(ValueError):
    pass


def parse_selector(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """`app=web,tier!=db,env in (prod,staging),!canary,track` → requirements
    (key, op, values) with op one of = != in notin exists !exists, as kubectl reads them."""
    reqs: list[tuple[str, str, tuple[str, ...]]] = []
    # Split on commas outside parentheses.
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    parts.append(cur)
    for part in parts:
        if not part.strip():
            continue
        m = _SEL_SET.match(part)
        if not m:
            raise SelectorError(f"cannot parse label selector requirement {part.strip()!r}")
        neg, key, set_op, set_vals, op, val = m.groups()
        if neg and (set_op or op):
            raise SelectorError(f"'!' goes only before a bare key: {part.strip()!r}")
        if set_op:
            reqs.append((key, set_op, tuple(v.strip() for v in set_vals.split(",") if v.strip())))
        elif op:
            reqs.append((key, "!=" if op == "!=" else "=", (val,)))
        else:
            reqs.append((key, "!exists" if neg else "exists", ()))
    return reqs


def selector_requirements(selector: dict[str, Any] | None) -> list[tuple[str, str, tuple[str, ...]]]:
    """A LabelSelector object (matchLabels + matchExpressions) or a Service's plain map."""
    if not selector:
        return []
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return [(k, "=", (str(v),)) for k, v in selector.items()]
    reqs = [(k, "=", (str(v),)) for k, v in (selector.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}
    for e in selector.get("matchExpressions") or []:
        reqs.append((e.get("key", ""), ops.get(e.get("operator", ""), "in"), tuple(e.get("values") or ())))
    return reqs


def labels_match(labels: dict[str, str] | None, reqs: list[tuple[str, str, tuple[str, ...]]]) -> bool:
    labels = labels or {}
    for key, op, values in reqs:
        have = key in labels
        value = labels.get(key)
        if op == "=" and value != values[0]:
            return False
        if op == "!=" and have and value == values[0]:
            return False
        if op == "in" and value not in values:
            return False
        if op == "notin" and have and value in values:
            return False
        if op == "exists" and not have:
            return False
        if op == "!exists" and have:
            return False
    return True


def selector_text(selector: dict[str, Any] | None) -> str:
    reqs = selector_requirements(selector)
    out = []
    for key, op, values in reqs:
        if op in ("=", "!="):
            out.append(f"{key}{op}{values[0]}")
        elif op in ("in", "notin"):
            out.append(f"{key} {op} ({','.join(values)})")
        else:
            out.append(key if op == "exists" else f"!{key}")
    return ",".join(out)


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _conditions(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c.get("type"): c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type")}


def _template_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return ((spec.get("template") or {}).get("spec")) or {}


# --- workloads ------------------------------------------------------------------

def workload_row(obj: dict[str, Any], now: datetime | None = None, jobs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One workload as `kubectl get <kind>` shows it plus its rollout state and what is wrong.

    state: complete | rolling out | stalled | degraded | scaled to zero (Deployments,
    StatefulSets, DaemonSets); running | succeeded | failed (Jobs); scheduled |
    suspended (CronJobs). `problems` says in words what an on-call would act on."""
    kind = obj.get("kind") or "Deployment"
    meta, spec, status = _meta(obj), obj.get("spec") or {}, obj.get("status") or {}
    containers = _template_spec(obj).get("containers") or []
    row: dict[str, Any] = {
        "kind": kind, "name": meta.get("name"), "namespace": meta.get("namespace"),
        "images": [c.get("image") for c in containers],
        "age": age(parse_iso(meta.get("creationTimestamp")), now),
    }
    problems: list[str] = []
    conds = _conditions(obj)
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        if kind == "DaemonSet":
            desired = int(status.get("desiredNumberScheduled") or 0)
            ready = int(status.get("numberReady") or 0)
            updated = int(status.get("updatedNumberScheduled") or 0)
            available = int(status.get("numberAvailable") or 0)
            if status.get("numberMisscheduled"):
                problems.append(f"{status['numberMisscheduled']} pods on nodes they should not run on")
        else:
            desired = int(spec.get("replicas") if spec.get("replicas") is not None else 1)
            ready = int(status.get("readyReplicas") or 0)
            updated = int(status.get("updatedReplicas") or 0)
            available = int(status.get("availableReplicas") or ready)
        row.update(desired=desired, ready=f"{ready}/{desired}", ready_replicas=ready, updated=updated, available=available)
        generation, observed = meta.get("generation"), status.get("observedGeneration")
        progressing = conds.get("Progressing") or {}
        if progressing.get("reason") == "ProgressDeadlineExceeded" or progressing.get("status") == "False":
            state = "stalled"
            problems.append("rollout stalled: " + (progressing.get("message") or progressing.get("reason") or "Progressing=False"))
        elif (kind == "StatefulSet" and status.get("updateRevision") and status.get("currentRevision") != status.get("updateRevision")) \
                or updated < desired or (generation is not None and observed is not None and int(observed) < int(generation)):
            state = "rolling out"
        elif desired == 0:
            state = "scaled to zero"
        elif ready < desired:
            state = "degraded"
        else:
            state = "complete"
        if ready < desired:
            problems.append(f"{desired - ready} of {desired} replicas not ready")
        if kind == "Deployment":
            row["revision"] = (meta.get("annotations") or {}).get("deployment.kubernetes.io/revision")
            row["progressing"] = {k: progressing.get(k) for k in ("status", "reason", "message") if progressing.get(k)} or None
        row["selector"] = selector_text(spec.get("selector")) or None  # its pods: list_pods(label_selector=...)
        if kind == "StatefulSet":
            row["current_revision"], row["update_revision"] = status.get("currentRevision"), status.get("updateRevision")
            row["volume_claims"] = [_meta(t).get("name") for t in spec.get("volumeClaimTemplates") or []]
        healthy = state in ("complete", "scaled to zero")
    elif kind == "Job":
        completions = int(spec.get("completions") if spec.get("completions") is not None else 1)
        succeeded, failed, active = (int(status.get(k) or 0) for k in ("succeeded", "failed", "active"))
        row.update(completions=f"{succeeded}/{completions}", succeeded=succeeded, failed=failed, active=active,
                   backoff_limit=spec.get("backoffLimit", 6), start_time=status.get("startTime"),
                   completion_time=status.get("completionTime"))
        failed_cond = conds.get("Failed") or {}
        if failed_cond.get("status") == "True":
            state = "failed"
            problems.append(f"job failed: {failed_cond.get('reason') or ''} {failed_cond.get('message') or ''}".strip())
        elif (conds.get("Complete") or {}).get("status") == "True" or succeeded >= completions:
            state = "succeeded"
        else:
            state = "running"
            if failed:
                problems.append(f"{failed} failed pod(s) so far (backoffLimit {row['backoff_limit']})")
        row["selector"] = selector_text(spec.get("selector")) or None
        owners = meta.get("ownerReferences") or []
        row["cronjob"] = next((o.get("name") for o in owners if o.get("kind") == "CronJob"), None)
        healthy = state != "failed" and not failed
    elif kind == "CronJob":
        suspended = bool(spec.get("suspend"))
        last_schedule, last_success = status.get("lastScheduleTime"), status.get("lastSuccessfulTime")
        row.update(schedule=spec.get("schedule"), suspend=suspended, active=len(status.get("active") or []),
                   last_schedule=last_schedule, last_schedule_age=age(parse_iso(last_schedule), now) if last_schedule else None,
                   last_successful=last_success)
        state = "suspended" if suspended else "scheduled"
        mine = [j for j in jobs or [] if any(o.get("kind") == "CronJob" and o.get("name") == meta.get("name")
                                             for o in _meta(j).get("ownerReferences") or [])]
        mine.sort(key=lambda j: (j.get("status") or {}).get("startTime") or _meta(j).get("creationTimestamp") or "")
        if mine:
            last = workload_row(mine[-1], now)
            row["last_job"] = {"name": last["name"], "state": last["state"], "completions": last["completions"]}
            if last["state"] == "failed":
                problems.append(f"last run {last['name']} failed")
        elif last_schedule and (not last_success or last_success < last_schedule) and not row["active"]:
            problems.append("the last scheduled run has not succeeded")
        healthy = not problems
    else:
        state, healthy = "unknown", True
    row["state"] = state
    row["healthy"] = healthy and not problems
    row["problems"] = problems
    return row


# --- rollout history --------------------------------------------------------------

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
_POD_TEMPLATE_HASH = "pod-template-hash"


def template_summary(template: dict[str, Any]) -> dict[str, Any]:
    """What a revision runs: per container image, env, resources, probes; every ConfigMap and
    Secret it references by name (env, envFrom, volumes); its annotations and pod labels."""
    spec = template.get("spec") or {}
    annotations = {k: v for k, v in (_meta(template).get("annotations") or {}).items()}
    configmaps: set[str] = set()
    secrets: set[str] = set()
    containers: dict[str, Any] = {}
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        env: dict[str, str] = {}
        for e in c.get("env") or []:
            src = e.get("valueFrom") or {}
            if "value" in e:
                env[e["name"]] = str(e["value"])
            elif "configMapKeyRef" in src:
                ref = src["configMapKeyRef"]
                configmaps.add(ref.get("name", ""))
                env[e["name"]] = f"<configmap {ref.get('name')}/{ref.get('key')}>"
            elif "secretKeyRef" in src:
                ref = src["secretKeyRef"]
                secrets.add(ref.get("name", ""))
                env[e["name"]] = f"<secret {ref.get('name')}/{ref.get('key')}>"
            else:
                env[e["name"]] = "<from field>"
        for ef in c.get("envFrom") or []:
            if "configMapRef" in ef:
                configmaps.add(ef["configMapRef"].get("name", ""))
            if "secretRef" in ef:
                secrets.add(ef["secretRef"].get("name", ""))
        containers[c.get("name", "?")] = {
            "image": c.get("image"),
            "env": env,
            "resources": _quantity(c.get("resources")),
            "liveness": _probe(c.get("livenessProbe")),
            "readiness": _probe(c.get("readinessProbe")),
        }
    for v in spec.get("volumes") or []:
        if "configMap" in v:
            configmaps.add(v["configMap"].get("name", ""))
        if "secret" in v:
            secrets.add(v["secret"].get("secretName", ""))
        for src in (v.get("projected") or {}).get("sources") or []:
            if "configMap" in src:
                configmaps.add(src["configMap"].get("name", ""))
            if "secret" in src:
                secrets.add(src["secret"].get("name", ""))
    # Pod labels are what Services and NetworkPolicies select on (the controllers' hash labels aside).
    labels = {k: str(v) for k, v in (_meta(template).get("labels") or {}).items() if k not in HASH_LABELS}
    return {"containers": containers, "configmaps": sorted(configmaps - {""}), "secrets": sorted(secrets - {""}),
            "annotations": annotations, "labels": labels}


def _owned_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    name, uid, kind = _meta(owner).get("name"), _meta(owner).get("uid"), owner.get("kind")
    return any(o.get("kind") == kind and (o.get("name") == name or (uid and o.get("uid") == uid))
               for o in _meta(obj).get("ownerReferences") or [])


def revision_template(obj: dict[str, Any]) -> dict[str, Any]:
    """The pod template a revision object keeps: a ReplicaSet's spec.template, or what a
    ControllerRevision's data (the patch that restores it) holds under spec.template."""
    if obj.get("kind") == "ControllerRevision" or "revision" in obj and "data" in obj:
        template = (((obj.get("data") or {}).get("spec") or {}).get("template")) or {}
        return {k: v for k, v in template.items() if k != "$patch"}
    return (obj.get("spec") or {}).get("template") or {}


def _revision_number(obj: dict[str, Any]) -> int | None:
    if "revision" in obj:  # a ControllerRevision carries its number as a field
        return int(obj["revision"]) if str(obj["revision"]).isdigit() else None
    rev = (_meta(obj).get("annotations") or {}).get(REVISION)
    return int(rev) if str(rev or "").isdigit() else None


def rollout_history(workload: dict[str, Any], owned: list[dict[str, Any]], now: datetime | None = None,
                    pod_templates: bool = False) -> list[dict[str, Any]]:
    """A workload's revisions, oldest first, as `kubectl rollout history` reads them: a Deployment's
    from the ReplicaSets it owns (the revision annotation), a StatefulSet's or DaemonSet's from its
    ControllerRevisions. Each carries what it runs (`template`, a summary) and the diff from the one
    before (`diff`: change_kind, changes in words, areas; see deploy_diff). With `pod_templates`,
    each also keeps its whole pod template (`pod_template`, for compare_revisions and yaml_diff)."""
    kind = workload.get("kind") or "Deployment"
    status = workload.get("status") or {}
    revs = []
    for obj in owned:
        if not _owned_by(obj, workload):
            continue
        number = _revision_number(obj)
        if number is None:
            continue
        name = _meta(obj).get("name")
        entry: dict[str, Any] = {
            "revision": number,
            "created": _meta(obj).get("creationTimestamp"),
            "age": age(parse_iso(_meta(obj).get("creationTimestamp")), now),
            "change_cause": (_meta(obj).get("annotations") or {}).get(CHANGE_CAUSE),
        }
        if kind == "Deployment":
            entry["replicaset"] = name
            entry["replicas"] = int((obj.get("status") or {}).get("replicas") or 0)
        else:
            entry["controller_revision"] = name
            entry["replicas"] = None  # filled below where the workload's status says
        entry["template"] = template_summary(revision_template(obj))
        entry["pod_template"] = comparable_template(revision_template(obj))
        revs.append(entry)
    revs.sort(key=lambda r: r["revision"])
    if kind == "Deployment":
        current = str((_meta(workload).get("annotations") or {}).get(REVISION))
        for r in revs:
            r["current"] = str(r["revision"]) == current
    elif revs:
        # A StatefulSet names the revision its spec is at (updateRevision) and the one its older pods
        # run (currentRevision); a DaemonSet's latest ControllerRevision is its spec's template.
        update = status.get("updateRevision") if kind == "StatefulSet" else None
        latest = next((r for r in revs if r["controller_revision"] == update), revs[-1])
        for r in revs:
            r["current"] = r is latest
        if kind == "StatefulSet":
            for r in revs:
                if r["controller_revision"] == status.get("updateRevision"):
                    r["replicas"] = int(status.get("updatedReplicas") or 0)
                elif r["controller_revision"] == status.get("currentRevision"):
                    r["replicas"] = int(status.get("currentReplicas") or 0)
        else:
            latest["replicas"] = int(status.get("updatedNumberScheduled") or 0)
    for before, after in zip(revs, revs[1:]):
        after["diff"] = compare_revisions(before, after)
    if revs:
        revs[0]["diff"] = None  # the oldest kept revision: nothing to compare with
    if not pod_templates:
        for r in revs:
            del r["pod_template"]
    return revs


def compare_revisions(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """revision_diff of two revisions as rollout_history builds them (with their pod templates):
    `other` when the templates differ only in what the summary does not read
    (tolerations, affinity, volume mounts...)."""
    d = revision_diff(old["template"], new["template"])
    if d["change_kind"] == "none" and old["pod_template"] != new["pod_template"]:
        d["change_kind"] = "other"
        d["changes"] = ["the pod template changed outside images, env, resources, probes, pod labels and ConfigMap/Secret references"]
    return d


# --- nodes ----------------------------------------------------------------------------

PRESSURES = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


def _requests(pod: dict[str, Any]) -> tuple[Decimal, Decimal]:
    cpu = mem = Decimal(0)
    for c in (pod.get("spec") or {}).get("containers") or []:
        req = (c.get("resources") or {}).get("requests") or {}
        cpu += quantity(req.get("cpu", "0")) or Decimal(0)
        mem += quantity(req.get("memory", "0")) or Decimal(0)
    return cpu, mem


def node_row(node: dict[str, Any], pods: list[dict[str, Any]], now: datetime | None = None) -> dict[str, Any]:
    """A node like `kubectl get nodes` + `describe node`: Ready and pressure conditions, cordoned,
    taints, allocatable against what its pods request, pods per node. `pods` are the pods
    scheduled on it (those of the namespaces the caller may read)."""
    meta, spec, status = _meta(node), node.get("spec") or {}, node.get("status") or {}
    conds = _conditions(node)
    ready_c = conds.get("Ready") or {}
    ready = {"True": "Ready", "False": "NotReady"}.get(ready_c.get("status"), "Unknown")
    pressure = [t for t in PRESSURES if (conds.get(t) or {}).get("status") == "True"]
    alloc = status.get("allocatable") or {}
    live = [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    cpu_req = sum((_requests(p)[0] for p in live), Decimal(0))
    mem_req = sum((_requests(p)[1] for p in live), Decimal(0))
    cpu_alloc, mem_alloc = quantity(alloc.get("cpu", "0")), quantity(alloc.get("memory", "0"))
    pods_alloc = int(quantity(alloc.get("pods", "0")) or 0)

    def pct(a: Decimal, b: Decimal | None) -> int | None:
        return int(a * 100 / b) if b else None

    roles = sorted(k.split("/", 1)[1] for k in (meta.get("labels") or {}) if k.startswith("node-role.kubernetes.io/"))
    row: dict[str, Any] = {
        "name": meta.get("name"),
        "status": ready + (",SchedulingDisabled" if spec.get("unschedulable") else ""),
        "ready": ready == "Ready",
        "roles": roles or ["<none>"],
        "cordoned": bool(spec.get("unschedulable")),
        "pressure": pressure,
        "taints": [f"{t.get('key')}{'=' + t['value'] if t.get('value') else ''}:{t.get('effect')}" for t in spec.get("taints") or []],
        "allocatable": {"cpu": alloc.get("cpu"), "memory": alloc.get("memory"), "pods": alloc.get("pods")},
        "requested": {"cpu": fmt_cpu(cpu_req), "memory": fmt_bytes(mem_req),
                      "cpu_pct": pct(cpu_req, cpu_alloc), "memory_pct": pct(mem_req, mem_alloc)},
        "pods": len(live),
        "pods_pct": pct(Decimal(len(live)), Decimal(pods_alloc)) if pods_alloc else None,
        "kubelet": (status.get("nodeInfo") or {}).get("kubeletVersion"),
        "age": age(parse_iso(meta.get("creationTimestamp")), now),
    }
    problems = []
    if ready != "Ready":
        problems.append(f"{ready}: {ready_c.get('reason') or ''} {ready_c.get('message') or ''}".strip())
    for t in pressure:
        c = conds[t]
        problems.append(f"{t}: {c.get('message') or c.get('reason') or 'True'}")
    if row["cordoned"]:
        problems.append("cordoned (SchedulingDisabled)")
    for key in ("cpu_pct", "memory_pct"):
        if (row["requested"][key] or 0) > 100:
            problems.append(f"{key[:-4]} requests at {row['requested'][key]}% of allocatable")
    row["problems"] = problems
    row["healthy"] = not problems
    return row


# --- services and endpoints ---------------------------------------------------------

def service_view(svc: dict[str, Any], endpoints: dict[str, Any] | None, pods: list[dict[str, Any]]) -> dict[str, Any]:
    """A Service with its selector, ports, ready and not-ready endpoints, and the findings an
    on-call looks for: no pod matches the selector, all endpoints not ready, LoadBalancer pending."""
    meta, spec, status = _meta(svc), svc.get("spec") or {}, svc.get("status") or {}
    selector = spec.get("selector") or {}
    ready, not_ready = [], []
    for subset in (endpoints or {}).get("subsets") or []:
        ports = [p.get("port") for p in subset.get("ports") or []]
        for key, out in (("addresses", ready), ("notReadyAddresses", not_ready)):
            for a in subset.get(key) or []:
                out.append({"ip": a.get("ip"), "pod": (a.get("targetRef") or {}).get("name"), "node": a.get("nodeName"), "ports": ports})
    svc_type = spec.get("type") or "ClusterIP"
    view: dict[str, Any] = {
        "name": meta.get("name"), "namespace": meta.get("namespace"), "type": svc_type,
        "cluster_ip": spec.get("clusterIP"),
        "selector": selector or None,
        "ports": [f"{p.get('name') + ':' if p.get('name') else ''}{p.get('port')}->{p.get('targetPort', p.get('port'))}/{p.get('protocol', 'TCP')}"
                  for p in spec.get("ports") or []],
        "ready_endpoints": ready,
        "not_ready_endpoints": not_ready,
        "endpoints": f"{len(ready)} ready, {len(not_ready)} not ready",
    }
    findings = []
    if selector:
        reqs = selector_requirements(selector)
        matching = [p for p in pods if labels_match(_meta(p).get("labels"), reqs)]
        view["matching_pods"] = len(matching)
        if not matching:
            near = {}
            for key in selector:
                values = sorted({str((_meta(p).get("labels") or {}).get(key)) for p in pods if key in (_meta(p).get("labels") or {})})
                if values:
                    near[key] = values
            hint = ("; pods here carry " + "; ".join(f"{k} in {v}" for k, v in near.items())) if near else ""
            findings.append(f"no pod matches the selector {selector_text(selector)}{hint}")
        elif not ready and not_ready:
            findings.append(f"all {len(not_ready)} endpoints are not ready (pods failing readiness)")
        elif not ready:
            findings.append("no ready endpoints although pods match the selector")
    elif svc_type != "ExternalName":
        view["matching_pods"] = None  # endpoints managed by hand
        if not ready:
            findings.append("no selector and no ready endpoints")
    if svc_type == "LoadBalancer":
        ingress = (status.get("loadBalancer") or {}).get("ingress") or []
        view["external"] = [i.get("ip") or i.get("hostname") for i in ingress]
        if not ingress:
            findings.append("LoadBalancer pending: no external address assigned")
    view["findings"] = findings
    view["healthy"] = not findings
    return view


# --- volumes, config, autoscalers ----------------------------------------------------

def pvc_row(pvc: dict[str, Any], usage: dict[str, Any] | None, mounted_by: list[str], now: datetime | None = None) -> dict[str, Any]:
    meta, spec, status = _meta(pvc), pvc.get("spec") or {}, pvc.get("status") or {}
    capacity = (status.get("capacity") or {}).get("storage")
    row: dict[str, Any] = {
        "name": meta.get("name"), "namespace": meta.get("namespace"),
        "phase": status.get("phase") or "Pending",
        "capacity": capacity,
        "requested": ((spec.get("resources") or {}).get("requests") or {}).get("storage"),
        "storage_class": spec.get("storageClassName"),
        "volume": spec.get("volumeName"),
        "access_modes": spec.get("accessModes") or [],
        "mounted_by": mounted_by,
        "age": age(parse_iso(meta.get("creationTimestamp")), now),
        "used": None, "used_pct": None,
    }
    problems = []
    if usage and usage.get("used_bytes") is not None:
        total = usage.get("capacity_bytes") or quantity(capacity or "0")
        row["used"] = fmt_bytes(usage["used_bytes"])
        row["available"] = fmt_bytes(usage.get("available_bytes"))
        if total:
            row["used_pct"] = round(float(usage["used_bytes"]) * 100 / float(total), 1)
            if row["used_pct"] >= 85:
                problems.append(f"volume {row['used_pct']}% full")
    if row["phase"] != "Bound":
        problems.append(f"claim {row['phase']}")
    row["problems"] = problems
    row["healthy"] = not problems
    return row


VALUE_CAP = 4096  # characters of one ConfigMap value shown; the rest is counted


def configmap_view(cm: dict[str, Any]) -> dict[str, Any]:
    data = cm.get("data") or {}
    out: dict[str, Any] = {}
    cut: dict[str, int] = {}
    for k in sorted(data):
        v = str(data[k])
        if len(v) > VALUE_CAP:
            out[k] = v[:VALUE_CAP]
            cut[k] = len(v)
        else:
            out[k] = v
    view = {"kind": "ConfigMap", "name": _meta(cm).get("name"), "namespace": _meta(cm).get("namespace"),
            "keys": sorted(data) + sorted(cm.get("binaryData") or {}), "data": out,
            "binary_keys": sorted(cm.get("binaryData") or {})}
    if cut:
        view["values_cut"] = {k: f"{n} characters, first {VALUE_CAP} shown" for k, n in cut.items()}
    return view


CONFIGMAP_LIMIT = 1024 * 1024  # bytes: the API server refuses a larger ConfigMap


def configmap_row(cm: dict[str, Any], used_by: list[str], now: datetime | None = None) -> dict[str, Any]:
    """A ConfigMap in a list: its keys with their sizes (never the values), who references it."""
    sizes = {k: len(str(v).encode()) for k, v in (cm.get("data") or {}).items()}
    sizes.update({k: _b64_size(v) for k, v in (cm.get("binaryData") or {}).items()})
    total = sum(sizes.values())
    problems = [f"{total} bytes: near the {CONFIGMAP_LIMIT} byte ConfigMap limit"] if total > CONFIGMAP_LIMIT * 0.9 else []
    return {"name": _meta(cm).get("name"), "namespace": _meta(cm).get("namespace"), "data": len(sizes),
            "keys": [{"key": k, "bytes": sizes[k]} for k in sorted(sizes)], "bytes": total, "used_by": used_by,
            "age": age(parse_iso(_meta(cm).get("creationTimestamp")), now), "missing": False,
            "problems": problems, "healthy": not problems}


def missing_configmap_row(name: str, namespace: str, used_by: list[str]) -> dict[str, Any]:
    """A ConfigMap that workloads reference and the namespace does not have."""
    problem = (f"referenced by {', '.join(used_by)} but does not exist: their new pods fail with "
               "CreateContainerConfigError unless the reference is optional")
    return {"name": name, "namespace": namespace, "data": 0, "keys": [], "bytes": 0, "used_by": used_by, "age": None,
            "missing": True, "problems": [problem], "healthy": False}


def _b64_size(value: Any) -> int:
    text = str(value or "")
    return max(len(text) * 3 // 4 - text.count("=", -2), 0)


def secret_view(secret: dict[str, Any]) -> dict[str, Any]:
    """Key names only: a Secret's values never leave the server."""
    keys = sorted(set(secret.get("data") or {}) | set(secret.get("stringData") or {}))
    return {"kind": "Secret", "name": _meta(secret).get("name"), "namespace": _meta(secret).get("namespace"),
            "type": secret.get("type"), "keys": keys, "values": "never shown (Secret)"}


def hpa_row(hpa: dict[str, Any]) -> dict[str, Any]:
    meta, spec, status = _meta(hpa), hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    current_by_name: dict[str, dict[str, Any]] = {}
    for m in status.get("currentMetrics") or []:
        body = m.get(m.get("type", "").lower() if m.get("type") != "ContainerResource" else "containerResource") or {}
        name = (body.get("name") or (body.get("metric") or {}).get("name") or m.get("type"))
        current_by_name[str(name)] = body.get("current") or {}
    metrics = []
    for m in spec.get("metrics") or []:
        mtype = m.get("type", "")
        body = m.get({"ContainerResource": "containerResource"}.get(mtype, mtype[:1].lower() + mtype[1:])) or {}
        name = str(body.get("name") or (body.get("metric") or {}).get("name") or mtype)
        target = body.get("target") or {}
        cur = current_by_name.get(name) or {}
        if target.get("type") == "Utilization":
            t, c = f"{target.get('averageUtilization')}%", (f"{cur['averageUtilization']}%" if "averageUtilization" in cur else "<unknown>")
        else:
            t = str(target.get("averageValue") or target.get("value") or "")
            c = str(cur.get("averageValue") or cur.get("value") or "<unknown>")
        metrics.append({"metric": name, "type": mtype, "current": c, "target": t})
    minr, maxr = int(spec.get("minReplicas") or 1), int(spec.get("maxReplicas") or 0)
    cur, desired = int(status.get("currentReplicas") or 0), int(status.get("desiredReplicas") or 0)
    conds = _conditions(hpa)
    problems = []
    if cur >= maxr and maxr:
        limited = conds.get("ScalingLimited") or {}
        problems.append(f"at maxReplicas ({maxr})" + (f": {limited.get('message')}" if limited.get("message") else ""))
    active = conds.get("ScalingActive") or {}
    if active.get("status") == "False":
        problems.append(f"scaling inactive: {active.get('reason') or ''} {active.get('message') or ''}".strip())
    return {"name": meta.get("name"), "namespace": meta.get("namespace"),
            "target": f"{ref.get('kind', '')}/{ref.get('name', '')}", "min": minr, "max": maxr,
            "current": cur, "desired": desired, "metrics": metrics, "problems": problems, "healthy": not problems}
