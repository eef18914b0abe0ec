"""Scenario files for the cluster kinds beyond pods, deployments and events.

nodes.yaml, workloads.yaml (StatefulSets, DaemonSets, Jobs, CronJobs),
services.yaml, pvcs.yaml, configmaps.yaml (ConfigMaps and Secrets) and hpas.yaml
are short hand-written forms (format: README.md beside this file); each becomes the
API object a real cluster returns. Endpoints are derived from the Services and the
pods the way the endpoints controller derives them, and ReplicaSets (a Deployment's
revisions) from deploys.yaml, so a scenario cannot contradict itself; a StatefulSet's or
DaemonSet's ControllerRevisions come from its `revisions:` entries in workloads.yaml.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import Any

from sre_mcp.backends import kube
from sre_mcp.timeutil import iso

REVISION = "deployment.kubernetes.io/revision"


def _err(ctx: Any, where: str, message: str) -> Exception:
    from sre_mcp.scenarios.common import ScenarioError

    return ScenarioError(f"{ctx.folder.name}/{where}: {message}")


def _list(ctx: Any, name: str) -> list[dict[str, Any]]:
    from sre_mcp.scenarios.common import _yaml

    data = _yaml(ctx.folder, name, [])
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise _err(ctx, name, "expected a list of mappings")
    return data


def _meta(ctx: Any, raw: dict, where: str, namespaced: bool = True, default_created: str = "-30d") -> dict[str, Any]:
    from sre_mcp.scenarios.common import _uid

    name = ctx.name(raw.get("name"), where)
    meta: dict[str, Any] = {"name": name, "creationTimestamp": iso(ctx.at(raw.get("created", default_created), where))}
    if namespaced:
        meta["namespace"] = ctx.name(raw.get("namespace"), where)
    meta["uid"] = _uid(meta.get("namespace", ""), name, where.split("[")[0])
    if raw.get("labels"):
        meta["labels"] = {str(k): str(v) for k, v in raw["labels"].items()}
    return meta


def _condition(ctype: str, ok: bool, reason: str = "", message: str = "", at: str = "") -> dict[str, Any]:
    c = {"type": ctype, "status": "True" if ok else "False"}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    if at:
        c["lastTransitionTime"] = at
    return c


def node(ctx: Any, raw: dict, i: int) -> dict[str, Any]:
    where = f"nodes.yaml[{i}]"
    meta = _meta(ctx, raw, where, namespaced=False, default_created="-90d")
    labels = meta.setdefault("labels", {})
    labels.setdefault("kubernetes.io/hostname", meta["name"])
    for role in raw.get("roles") or []:
        labels[f"node-role.kubernetes.io/{role}"] = ""
    pressure = set(raw.get("pressure") or [])
    unknown = pressure - set(kube.PRESSURES)
    if unknown:
        raise _err(ctx, where, f"pressure takes {', '.join(kube.PRESSURES)}, not {sorted(unknown)}")
    since = iso(ctx.at(raw.get("since", "-1h"), where))
    ready = raw.get("ready", True)
    conditions = [_condition(t, t in pressure, f"KubeletHas{'Insufficient' if t in pressure else 'Sufficient'}{t.replace('Pressure', '')}",
                             (raw.get("messages") or {}).get(t, ""), since) for t in kube.PRESSURES[:3]]
    if ready == "Unknown":
        conditions.append({"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown",
                           "message": raw.get("message", "Kubelet stopped posting node status."), "lastTransitionTime": since})
    else:
        conditions.append(_condition("Ready", bool(ready), "KubeletReady" if ready else "KubeletNotReady",
                                     raw.get("message", "kubelet is posting ready status" if ready else ""), since))
    alloc = {"cpu": "4", "memory": "16Gi", "pods": "110", **{k: str(v) for k, v in (raw.get("allocatable") or {}).items()}}
    spec: dict[str, Any] = {}
    if raw.get("cordoned"):
        spec["unschedulable"] = True
    taints = [dict(t) for t in raw.get("taints") or []]
    if raw.get("cordoned"):
        taints.append({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"})
    if taints:
        spec["taints"] = taints
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta, "spec": spec,
            "status": {"conditions": conditions, "allocatable": alloc, "capacity": dict(alloc),
                       "nodeInfo": {"kubeletVersion": raw.get("kubelet", "v1.30.2")}}}


def _pod_template(ctx: Any, raw: dict, name: str, where: str) -> dict[str, Any]:
    container: dict[str, Any] = {"name": raw.get("container", name), "image": raw.get("image", "unknown:latest")}
    if raw.get("env"):
        container["env"] = [{"name": str(k), "value": str(v)} for k, v in raw["env"].items()]
    if raw.get("resources"):
        container["resources"] = raw["resources"]
    spec: dict[str, Any] = {"containers": [container]}
    volumes = [{"name": f"cm-{cm}", "configMap": {"name": cm}} for cm in raw.get("configmaps") or []]
    volumes += [{"name": f"secret-{s}", "secret": {"secretName": s}} for s in raw.get("secrets") or []]
    if volumes:
        spec["volumes"] = volumes
    return {"metadata": {"labels": dict(raw.get("selector") or {"app": raw.get("service") or name})}, "spec": spec}


def workload(ctx: Any, raw: dict, i: int) -> dict[str, Any]:
    where = f"workloads.yaml[{i}]"
    kind = raw.get("kind")
    if kind not in ("StatefulSet", "DaemonSet", "Job", "CronJob"):
        raise _err(ctx, where, "kind must be StatefulSet, DaemonSet, Job or CronJob (Deployments go in deployments.yaml)")
    meta = _meta(ctx, raw, where)
    name = meta["name"]
    meta.setdefault("labels", {"app": raw.get("service") or name})
    template = _pod_template(ctx, raw, name, where)
    selector = {"matchLabels": dict(template["metadata"]["labels"])}
    gen = int(raw.get("generation", 1))
    meta["generation"] = gen
    if kind == "StatefulSet":
        replicas = int(raw.get("replicas", 1))
        spec = {"replicas": replicas, "selector": selector, "serviceName": raw.get("service_name", name), "template": template,
                "volumeClaimTemplates": [{"metadata": {"name": v}} for v in raw.get("volume_claims") or []]}
        status = {"replicas": replicas, "readyReplicas": int(raw.get("ready", replicas)),
                  "updatedReplicas": int(raw.get("updated", replicas)), "availableReplicas": int(raw.get("ready", replicas)),
                  "currentRevision": f"{name}-{raw.get('current_revision', 'a1')}",
                  "updateRevision": f"{name}-{raw.get('update_revision', raw.get('current_revision', 'a1'))}",
                  "observedGeneration": gen}
    elif kind == "DaemonSet":
        desired = int(raw.get("desired", 1))
        spec = {"selector": selector, "template": template}
        status = {"desiredNumberScheduled": desired, "currentNumberScheduled": desired,
                  "numberReady": int(raw.get("ready", desired)), "updatedNumberScheduled": int(raw.get("updated", desired)),
                  "numberAvailable": int(raw.get("ready", desired)), "numberMisscheduled": int(raw.get("misscheduled", 0)),
                  "observedGeneration": gen}
    elif kind == "Job":
        spec, status = _job(ctx, raw, template, where)
        if raw.get("cronjob"):
            meta["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": ctx.name(raw["cronjob"], where),
                                        "controller": True}]
    else:
        spec = {"schedule": str(raw.get("schedule", "0 * * * *")), "suspend": bool(raw.get("suspend", False)),
                "jobTemplate": {"spec": {"template": template, "backoffLimit": int(raw.get("backoff_limit", 6))}}}
        status = {}
        if raw.get("last_schedule"):
            status["lastScheduleTime"] = iso(ctx.at(raw["last_schedule"], where))
        if raw.get("last_successful"):
            status["lastSuccessfulTime"] = iso(ctx.at(raw["last_successful"], where))
    return {"apiVersion": "batch/v1" if kind in ("Job", "CronJob") else "apps/v1", "kind": kind, "metadata": meta,
            "spec": spec, "status": status}


def _job(ctx: Any, raw: dict, template: dict, where: str) -> tuple[dict, dict]:
    completions = int(raw.get("completions", 1))
    spec = {"completions": completions, "backoffLimit": int(raw.get("backoff_limit", 6)), "template": template}
    status: dict[str, Any] = {k: int(raw[k]) for k in ("succeeded", "failed", "active") if raw.get(k)}
    if raw.get("started"):
        status["startTime"] = iso(ctx.at(raw["started"], where))
    if raw.get("failed_reason"):
        status["conditions"] = [_condition("Failed", True, str(raw["failed_reason"]), str(raw.get("failed_message", "")))]
    elif int(raw.get("succeeded", 0)) >= completions:
        status["conditions"] = [_condition("Complete", True)]
        if raw.get("finished"):
            status["completionTime"] = iso(ctx.at(raw["finished"], where))
    return spec, status


def service(ctx: Any, raw: dict, i: int) -> dict[str, Any]:
    where = f"services.yaml[{i}]"
    meta = _meta(ctx, raw, where)
    svc_type = raw.get("type", "ClusterIP")
    if svc_type not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        raise _err(ctx, where, "type must be ClusterIP, NodePort, LoadBalancer or ExternalName")
    ports = []
    for p in raw.get("ports") or []:
        p = {"port": p} if isinstance(p, int) else dict(p)
        ports.append({"name": p.get("name", ""), "port": int(p["port"]), "targetPort": p.get("target", p["port"]), "protocol": "TCP"})
    spec: dict[str, Any] = {"type": svc_type, "ports": ports,
                            "clusterIP": raw.get("cluster_ip", "10.96.0." + str(10 + int(hashlib.md5(meta['name'].encode()).hexdigest()[:2], 16) % 200))}
    selector = raw.get("selector", {"app": meta["name"]})
    if selector:
        spec["selector"] = {str(k): str(v) for k, v in selector.items()}
    status: dict[str, Any] = {"loadBalancer": {}}
    if svc_type == "LoadBalancer" and raw.get("external"):
        status["loadBalancer"] = {"ingress": [{"ip": str(raw["external"])}]}
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec, "status": status}


def endpoints_for(svc: dict[str, Any], pods: list[dict[str, Any]]) -> dict[str, Any]:
    """What the endpoints controller writes for a Service: matching scheduled pods with an IP,
    ready ones under addresses, the rest under notReadyAddresses."""
    meta = svc["metadata"]
    reqs = kube.selector_requirements((svc.get("spec") or {}).get("selector"))
    ready, not_ready = [], []
    if reqs:
        for p in pods:
            pm = p["metadata"]
            if pm.get("namespace") != meta.get("namespace") or not kube.labels_match(pm.get("labels"), reqs):
                continue
            ip = (p.get("status") or {}).get("podIP")
            if not ip or pm.get("deletionTimestamp"):
                continue
            addr = {"ip": ip, "nodeName": (p.get("spec") or {}).get("nodeName"),
                    "targetRef": {"kind": "Pod", "name": pm["name"], "namespace": pm["namespace"]}}
            ok = any(c.get("type") == "Ready" and c.get("status") == "True" for c in (p.get("status") or {}).get("conditions") or [])
            (ready if ok else not_ready).append(addr)
    subsets = []
    if ready or not_ready:
        subset: dict[str, Any] = {"ports": [{"name": p.get("name", ""), "port": int(p["targetPort"]) if str(p.get("targetPort")).isdigit() else p["port"],
                                             "protocol": "TCP"} for p in (svc.get("spec") or {}).get("ports") or []]}
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        subsets.append(subset)
    return {"apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"], "creationTimestamp": meta.get("creationTimestamp")},
            "subsets": subsets}


def pvc(ctx: Any, raw: dict, i: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
    where = f"pvcs.yaml[{i}]"
    meta = _meta(ctx, raw, where)
    size = str(raw.get("capacity", "10Gi"))
    if kube.quantity(size) is None:
        raise _err(ctx, where, f"capacity {size!r} is not a quantity such as 10Gi")
    phase = raw.get("phase", "Bound")
    spec = {"accessModes": [raw.get("access_mode", "ReadWriteOnce")], "storageClassName": raw.get("storage_class", "standard"),
            "resources": {"requests": {"storage": size}}}
    status: dict[str, Any] = {"phase": phase}
    if phase == "Bound":
        spec["volumeName"] = raw.get("volume", "pvc-" + meta["uid"])
        status["capacity"] = {"storage": size}
        status["accessModes"] = spec["accessModes"]
    usage = None
    if raw.get("used") is not None and not raw.get("mounted_by"):
        raise _err(ctx, where, "used needs mounted_by: the kubelet reports the usage of mounted volumes only")
    if raw.get("used") is not None:
        used = kube.quantity(raw["used"])
        if used is None:
            raise _err(ctx, where, f"used {raw['used']!r} is not a quantity such as 9.5Gi")
        cap = kube.quantity(size)
        usage = {"used_bytes": int(used), "capacity_bytes": int(cap), "available_bytes": max(0, int(cap - used))}
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec, "status": status}, usage


def config(ctx: Any, raw: dict, i: int) -> dict[str, Any]:
    where = f"configmaps.yaml[{i}]"
    meta = _meta(ctx, raw, where)
    kind = raw.get("kind", "ConfigMap")
    data = {str(k): str(v) for k, v in (raw.get("data") or {}).items()}
    if kind == "Secret":
        # The API returns Secret data base64-encoded; so does the fixture.
        return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": raw.get("type", "Opaque"),
                "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}
    if kind != "ConfigMap":
        raise _err(ctx, where, "kind must be ConfigMap or Secret")
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def hpa(ctx: Any, raw: dict, i: int) -> dict[str, Any]:
    where = f"hpas.yaml[{i}]"
    meta = _meta(ctx, raw, where)
    target = str(raw.get("target", f"Deployment/{meta['name']}"))
    tkind, _, tname = target.partition("/")
    kinds = {"deployment": "Deployment", "statefulset": "StatefulSet"}
    metrics, current = [], []
    for m in raw.get("metrics") or [{"resource": "cpu", "target": 80}]:
        res = str(m.get("resource", "cpu"))
        metrics.append({"type": "Resource", "resource": {"name": res, "target": {"type": "Utilization", "averageUtilization": int(m["target"])}}})
        if m.get("current") is not None:
            current.append({"type": "Resource", "resource": {"name": res, "current": {"averageUtilization": int(m["current"])}}})
    minr, maxr = int(raw.get("min", 1)), int(raw.get("max", 10))
    cur = int(raw.get("current", minr))
    conds = [_condition("AbleToScale", True, "ReadyForNewScale"),
             _condition("ScalingActive", bool(current), "ValidMetricFound" if current else "FailedGetResourceMetric",
                        "" if current else "the HPA was unable to compute the replica count: no metrics returned")]
    if cur >= maxr:
        conds.append(_condition("ScalingLimited", True, "TooManyReplicas", "the desired replica count is more than the maximum replica count"))
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta,
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": kinds.get(tkind.lower(), tkind), "name": tname},
                     "minReplicas": minr, "maxReplicas": maxr, "metrics": metrics},
            "status": {"currentReplicas": cur, "desiredReplicas": int(raw.get("desired", cur)), "currentMetrics": current,
                       "conditions": conds}}


def _templates(base: dict[str, Any], entries: list[dict[str, Any]], current_rev: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(entry, pod template) per revision entry, oldest first: each template the one before with the
    entry's image and diff applied (image, env, resources, and a checksum annotation per changed
    ConfigMap, which is how a config-only rollout reaches pods). The current revision runs the
    base template's image: the workload's own file is the truth of what runs now."""
    container = dict(base["spec"]["containers"][0])
    env: dict[str, str] = {}
    resources: dict[str, Any] = {}
    annotations: dict[str, str] = {}
    # What ran before the first recorded change: the "old" side of each key's first diff.
    for e in entries:
        for k, (old, _) in ((e.get("diff") or {}).get("env") or {}).items():
            if k not in env and old is not None:
                env.setdefault(k, str(old))
        for path, (old, _) in ((e.get("diff") or {}).get("resources") or {}).items():
            section, _, res = str(path).partition(".")
            if old is not None:
                resources.setdefault(section, {}).setdefault(res, str(old))
    # Pod labels a revision changed (a chart refactor relabelling pods): before it, the old values.
    labels: dict[str, str] = {}
    for e in entries:
        for k, (old, _) in ((e.get("diff") or {}).get("labels") or {}).items():
            if k not in labels and old is not None:
                labels.setdefault(k, str(old))
    relabelled = {k for e in entries for k in ((e.get("diff") or {}).get("labels") or {})}
    labels.update({k: v for k, v in base["metadata"]["labels"].items() if k not in relabelled})
    # Keys no entry changes ran unchanged all along: the workload's own env.
    changed = {k for e in entries for k in ((e.get("diff") or {}).get("env") or {})}
    env.update({e["name"]: e["value"] for e in container.get("env") or [] if "value" in e and e["name"] not in changed})
    out = []
    for e in entries:
        diff = e.get("diff") or {}
        if e.get("image"):
            container["image"] = e["image"]
        for k, (_, new) in ((diff.get("env") or {}).items()):
            if new is None:
                env.pop(k, None)
            else:
                env[k] = str(new)
        for path, (_, new) in ((diff.get("resources") or {}).items()):
            section, _, res = str(path).partition(".")
            if new is None:
                resources.get(section, {}).pop(res, None)
            else:
                resources.setdefault(section, {})[res] = str(new)
        for k, (_, new) in ((diff.get("labels") or {}).items()):
            if new is None:
                labels.pop(k, None)
            else:
                labels[k] = str(new)
        for cm, keys in (diff.get("configmaps") or {}).items():
            annotations[f"checksum/configmap-{cm}"] = hashlib.sha256(repr(sorted(keys.items())).encode()).hexdigest()[:12]
        c = {**container, "env": [{"name": k, "value": v} for k, v in sorted(env.items())]}
        if not c["env"]:
            del c["env"]
        if resources:
            c["resources"] = {s: dict(v) for s, v in resources.items() if v}
        if str(e["revision"]) == current_rev:
            c["image"] = base["spec"]["containers"][0]["image"]
        template = {"metadata": {"labels": dict(base["metadata"]["labels"]) if str(e["revision"]) == current_rev else dict(labels),
                                 **({"annotations": dict(annotations)} if annotations else {})},
                    "spec": {**base["spec"], "containers": [c]}}
        out.append((e, template))
    return out


def replicasets(deployments: list[dict[str, Any]], deploys: list[dict[str, Any]], services: list[Any]) -> list[dict[str, Any]]:
    """A Deployment's ReplicaSets, one per deploys.yaml revision of its service, oldest first (templates
    from `_templates`)."""
    out = []
    for dep in deployments:
        dm = dep["metadata"]
        service = next((s.name for s in services if s.deployment == dm["name"] and s.namespace == dm["namespace"]),
                       (dm.get("labels") or {}).get("app", dm["name"]))
        entries = sorted((d for d in deploys if d.get("service") == service and str(d.get("revision", "")).isdigit()),
                         key=lambda d: int(d["revision"]))
        current_rev = str((dm.get("annotations") or {}).get(REVISION, ""))
        if not entries or current_rev not in {str(e["revision"]) for e in entries}:
            entries.append({"revision": int(current_rev or 1), "at": dm.get("creationTimestamp"),
                            "image": dep["spec"]["template"]["spec"]["containers"][0]["image"]})
            entries.sort(key=lambda d: int(d["revision"]))
        base = dep["spec"]["template"]
        for e, template in _templates(base, entries, current_rev):
            rev = int(e["revision"])
            tmpl_hash = hashlib.md5(f"{dm['name']}{rev}".encode()).hexdigest()[:9]
            is_current = str(rev) == current_rev
            rs_ann = {REVISION: str(rev)}
            if e.get("change"):
                rs_ann["kubernetes.io/change-cause"] = str(e["change"])
            replicas = int(dep["spec"].get("replicas") or 0) if is_current else 0
            if is_current:
                # The Deployment runs what its current ReplicaSet runs.
                dep["spec"]["template"] = copy.deepcopy(template)
            template["metadata"]["labels"]["pod-template-hash"] = tmpl_hash
            out.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                        "metadata": {"name": f"{dm['name']}-{tmpl_hash}", "namespace": dm["namespace"],
                                     "creationTimestamp": e.get("at") or dm.get("creationTimestamp"),
                                     "labels": {**base["metadata"]["labels"], "pod-template-hash": tmpl_hash},
                                     "annotations": rs_ann,
                                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": dm["name"],
                                                          "uid": dm.get("uid"), "controller": True}]},
                        "spec": {"replicas": replicas, "selector": dep["spec"]["selector"], "template": template},
                        "status": {"replicas": replicas, "readyReplicas": int(dep["status"].get("readyReplicas") or 0) if is_current else 0}})
    return out


def controller_revisions(ctx: Any, workload_obj: dict[str, Any], raw: dict, where: str) -> list[dict[str, Any]]:
    """A StatefulSet's or DaemonSet's ControllerRevisions from its `revisions:` entries (deploys.yaml's
    form: revision, image, at, change, diff), oldest first; the newest is the spec's template. Without
    entries, one revision for the template it runs, as a cluster always keeps. The workload's template
    and (StatefulSet) status revisions are set to agree with them."""
    from sre_mcp.deploy_diff import normalize_diff

    meta = workload_obj["metadata"]
    entries = []
    for j, e in enumerate(raw.get("revisions") or []):
        w = f"{where}.revisions[{j}]"
        if not isinstance(e, dict) or not str(e.get("revision", "")).isdigit():
            raise _err(ctx, w, "a revision is a mapping with a whole-number revision (and image, at, change, diff)")
        e = {**e, "revision": int(e["revision"]), "at": iso(ctx.at(e.get("at", "-1d"), w))}
        if e.get("diff") is not None:
            try:
                e["diff"] = normalize_diff(e["diff"])
            except ValueError as exc:
                raise _err(ctx, f"{w}.diff", str(exc)) from None
        entries.append(e)
    if len({e["revision"] for e in entries}) != len(entries):
        raise _err(ctx, where, "revisions: each revision number once")
    entries.sort(key=lambda e: e["revision"])
    status = workload_obj["status"]
    base = workload_obj["spec"]["template"]
    if not entries:
        entries = [{"revision": 1, "at": meta["creationTimestamp"]}]
        names = {1: status.get("updateRevision") or f"{meta['name']}-{hashlib.md5(meta['name'].encode()).hexdigest()[:10]}"}
    else:
        names = {e["revision"]: f"{meta['name']}-" + hashlib.md5(f"{meta['name']}{e['revision']}".encode()).hexdigest()[:10]
                 for e in entries}
    latest = str(entries[-1]["revision"])
    out = []
    for e, template in _templates(base, entries, latest):
        rev = e["revision"]
        if str(rev) == latest:
            workload_obj["spec"]["template"] = copy.deepcopy(template)
        template["metadata"]["labels"]["controller-revision-hash"] = names[rev].rsplit("-", 1)[-1]
        template["$patch"] = "replace"
        ann = {"kubernetes.io/change-cause": str(e["change"])} if e.get("change") else {}
        out.append({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                    "metadata": {"name": names[rev], "namespace": meta["namespace"], "creationTimestamp": e.get("at"),
                                 "labels": {**base["metadata"]["labels"], "controller-revision-hash": names[rev].rsplit("-", 1)[-1]},
                                 **({"annotations": ann} if ann else {}),
                                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": workload_obj["kind"], "name": meta["name"],
                                                      "uid": meta.get("uid"), "controller": True, "blockOwnerDeletion": True}]},
                    "data": {"spec": {"template": template}}, "revision": rev})
    if workload_obj["kind"] == "StatefulSet" and raw.get("revisions"):
        # Mid-rollout (fewer pods updated than desired) the older pods still run the revision before.
        status["updateRevision"] = names[entries[-1]["revision"]]
        rolling = len(entries) > 1 and status["updatedReplicas"] < status["replicas"]
        status["currentRevision"] = names[entries[-2]["revision"]] if rolling else status["updateRevision"]
    if workload_obj["kind"] == "StatefulSet":
        status["currentReplicas"] = (status["replicas"] - status["updatedReplicas"]
                                     if status["currentRevision"] != status["updateRevision"] else status["replicas"])
    return out


def load(ctx: Any, sc: Any) -> None:
    """Fill `sc.objects` (kind → API objects) and `sc.volume_usage` from the scenario folder."""
    objects: dict[str, list[dict[str, Any]]] = {}
    objects["Node"] = [node(ctx, r, i) for i, r in enumerate(_list(ctx, "nodes.yaml"))]
    named = {n["metadata"]["name"] for n in objects["Node"]}
    # Pods on a node the file does not describe: a plain Ready node, as every cluster has one.
    for name in sorted({(p.get("spec") or {}).get("nodeName") for p in sc.pods} - named - {None}):
        objects["Node"].append(node(ctx, {"name": name, "roles": ["worker"]}, len(objects["Node"])))
    for i, r in enumerate(_list(ctx, "workloads.yaml")):
        w = workload(ctx, r, i)
        objects.setdefault(w["kind"], []).append(w)
        if w["kind"] in ("StatefulSet", "DaemonSet"):
            objects.setdefault("ControllerRevision", []).extend(controller_revisions(ctx, w, r, f"workloads.yaml[{i}]"))
        elif r.get("revisions"):
            raise _err(ctx, f"workloads.yaml[{i}]", "revisions: only StatefulSets and DaemonSets keep ControllerRevisions")
    objects["Service"] = [service(ctx, r, i) for i, r in enumerate(_list(ctx, "services.yaml"))]
    objects["Endpoints"] = [endpoints_for(s, sc.pods) for s in objects["Service"]]
    objects["PersistentVolumeClaim"] = []
    for i, r in enumerate(_list(ctx, "pvcs.yaml")):
        claim, usage = pvc(ctx, r, i)
        objects["PersistentVolumeClaim"].append(claim)
        cm = claim["metadata"]
        for pod_name in r.get("mounted_by") or []:
            pod = next((p for p in sc.pods if p["metadata"]["name"] == pod_name and p["metadata"]["namespace"] == cm["namespace"]), None)
            if pod is None:
                raise _err(ctx, f"pvcs.yaml[{i}]", f"mounted_by names {pod_name!r}, which is not a pod of {cm['namespace']} in pods.yaml")
            pod["spec"].setdefault("volumes", []).append({"name": "data", "persistentVolumeClaim": {"claimName": cm["name"]}})
        if usage:
            sc.volume_usage[(claim["metadata"]["namespace"], claim["metadata"]["name"])] = usage
    for i, r in enumerate(_list(ctx, "configmaps.yaml")):
        c = config(ctx, r, i)
        objects.setdefault(c["kind"], []).append(c)
    objects["HorizontalPodAutoscaler"] = [hpa(ctx, r, i) for i, r in enumerate(_list(ctx, "hpas.yaml"))]
    objects["ReplicaSet"] = replicasets(sc.deployments, sc.deploys, sc.services)
    sc.objects = objects
