"""Cluster tools beyond pods: workloads and rollout history, nodes, Services and their
endpoints, volumes, ConfigMaps/Secrets, autoscalers, and any object as YAML.

Each reads API-shaped objects from the cluster backend (fixture or real) and turns
them into rows and findings with `backends/kube.py`, so both answer alike.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import Field

from sre_mcp.backends import kube
from sre_mcp.backends.kinds import KINDS, WORKLOAD_KINDS, by_name
from sre_mcp.deploy_diff import yaml_diff
from sre_mcp.errors import ToolFailure
from sre_mcp.runtime import ALL_NAMESPACES, Runtime
from sre_mcp.tools import tool
from sre_mcp.tools.k8s import AnyNamespace, Namespace, _count, check_pod_name

ObjectName = Annotated[str, Field(description="Object name exactly as a list tool returns it", min_length=1, max_length=253)]
Offset = Annotated[int, Field(description="Skip this many rows of the sorted list (paging: use page.next_offset)", ge=0, le=1_000_000)]
Limit = Annotated[int | None, Field(
    description="Rows to return in this page (1-1000); all when omitted (a list too large for one answer is cut by the "
                "size cap, and says so)", ge=1, le=1000)]
WorkloadKind = Literal["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"]
HistoryKind = Literal["Deployment", "StatefulSet", "DaemonSet"]
HISTORY_KINDS: tuple[str, ...] = get_args(HistoryKind)


def _b64_len(value: Any) -> int | str:
    try:
        return len(base64.b64decode(value or "", validate=False))
    except (ValueError, TypeError):
        return "?"


def _name(meta_obj: dict[str, Any]) -> str:
    return (meta_obj.get("metadata") or {}).get("name") or ""


def _paged(out: dict[str, Any], key: str, offset: int, limit: int | None, tool: str) -> dict[str, Any]:
    """One page of `out[key]` (already sorted, problems first), with where the rest is: counts in
    `out` stay those of the whole list."""
    rows = out[key]
    shown = rows[offset:offset + limit] if limit is not None else rows[offset:]
    out[key] = shown
    rest = len(rows) - offset - len(shown)
    if offset or rest > 0:
        page: dict[str, Any] = {"offset": offset, "limit": limit, "returned": len(shown), "remaining": max(0, rest)}
        if rest > 0:
            page["next_offset"] = offset + len(shown)
            page["how_to_get_more"] = f"{rest} more rows: call {tool} again with offset={offset + len(shown)}"
        out["page"] = page
    return out


def _key(obj: dict[str, Any]) -> tuple[Any, str]:
    return (obj.get("metadata") or {}).get("namespace"), _name(obj)


class ClusterObjectTools:
    def __init__(self, rt: Runtime):
        self.rt = rt

    async def _list(self, kind: str, namespace: str | None) -> list[dict[str, Any]]:
        return await self.rt.run(self.rt.cluster.list_objects, kind, namespace)

    async def _list_in(self, kind: str, namespace: str, namespaces: list[str]) -> list[dict[str, Any]]:
        """One namespace's objects, or for "*" those of every readable namespace (one backend call,
        which a real cluster answers from one cluster-wide watch when there are many)."""
        if namespace == ALL_NAMESPACES:
            return await self.rt.run(self.rt.cluster.list_many, kind, namespaces)
        return await self._list(kind, namespace)

    async def _pods_in(self, namespace: str, namespaces: list[str]) -> list[dict[str, Any]]:
        if namespace == ALL_NAMESPACES:
            return await self.rt.run(self.rt.cluster.list_many, "Pod", namespaces)
        return await self.rt.run(self.rt.cluster.list_pods, namespace)

    @staticmethod
    def _scope(out: dict[str, Any], namespace: str, namespaces: list[str], rows: list[dict[str, Any]]) -> dict[str, Any]:
        """For "*": how many namespaces were read and where the unhealthy rows are, before the rows."""
        if namespace == ALL_NAMESPACES:
            out["namespaces"] = len(namespaces)
            out["unhealthy_by_namespace"] = _count(r["namespace"] for r in rows if not r["healthy"])
        return out

    async def _read(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return await self.rt.run(self.rt.cluster.read_object, kind, namespace, name)

    async def _missing(self, kind: str, namespace: str, name: str) -> ToolFailure:
        names = sorted(_name(o) for o in await self._list(kind, namespace))
        return ToolFailure(
            f"{kind} {name!r} not found in namespace {namespace!r}",
            hint=(f"{kind}s that exist: " + ", ".join(names[:50])) if names else f"the namespace has no {kind}s",
        )

    @tool("List workloads")
    async def list_workloads(
        self,
        namespace: AnyNamespace,
        kind: Annotated[WorkloadKind | None, Field(description="Only this kind; all five when omitted")] = None,
        offset: Offset = 0,
        limit: Limit = None,
    ) -> dict[str, Any]:
        """Deployments, StatefulSets, DaemonSets, Jobs and CronJobs of a namespace with desired/ready/updated
        replicas and rollout state: `stalled` when the Deployment's Progressing condition says
        ProgressDeadlineExceeded, `rolling out`, `degraded`, `complete`; Jobs as running/succeeded/failed
        (with the reason, e.g. BackoffLimitExceeded); CronJobs with schedule, last schedule and whether the
        last run failed. Unhealthy workloads first, each with `problems` in words. Use it to see what is
        rolling out or stuck; then get_rollout_history on a Deployment, StatefulSet or DaemonSet to see what changed.
        namespace="*" covers every namespace this server may read (rows name their namespace; counts and
        `unhealthy_by_namespace` cover all; unhealthy first, so a size-capped answer keeps them): use it
        to find stuck rollouts or failed Jobs anywhere.
        `offset`/`limit` page a long list (`page.next_offset`); counts are always over the whole list."""
        namespaces = self.rt.readable_namespaces(namespace)
        kinds = [kind] if kind else list(WORKLOAD_KINDS)
        objs: dict[str, list[dict[str, Any]]] = {}
        for k in kinds:
            objs[k] = await self._list_in(k, namespace, namespaces)
        jobs = objs.get("Job")
        if "CronJob" in kinds and jobs is None:
            jobs = await self._list_in("Job", namespace, namespaces)
        jobs_by_ns: dict[Any, list[dict[str, Any]]] = {}
        for j in jobs or []:
            jobs_by_ns.setdefault((j.get("metadata") or {}).get("namespace"), []).append(j)
        rows = [kube.workload_row(o, jobs=jobs_by_ns.get((o.get("metadata") or {}).get("namespace"), []) if k == "CronJob" else None)
                for k in kinds for o in objs[k]]
        rows.sort(key=lambda r: (r["healthy"], r["kind"], r["namespace"] or "", r["name"]))
        out = self._scope({"namespace": namespace, "kind": kind}, namespace, namespaces, rows)
        out.update({"workloads": rows, "total": len(rows), "by_kind": _count(r["kind"] for r in rows),
                    "unhealthy": sum(1 for r in rows if not r["healthy"])})
        return _paged(out, "workloads", offset, limit, "list_workloads")

    @tool("Get rollout history")
    async def get_rollout_history(
        self,
        namespace: Namespace,
        name: ObjectName,
        kind: Annotated[HistoryKind | None, Field(description="The workload's kind; when omitted, the Deployment of that name, "
                                                              "else the StatefulSet, else the DaemonSet")] = None,
        compare: Annotated[list[int] | None, Field(description="Two revision numbers [from, to], any two (not only neighbours): "
                                                               "adds `comparison`, the diff between them", min_length=2, max_length=2)] = None,
    ) -> dict[str, Any]:
        """A Deployment's, StatefulSet's or DaemonSet's revisions (like `kubectl rollout history`), oldest
        first: a Deployment's from its ReplicaSets, the others' from their ControllerRevisions. Each revision
        has what it runs (`template`: images, env, resources, probes, ConfigMaps and Secrets referenced by
        name), `current` (the revision the spec is at) and `diff` from the revision before: `change_kind` is
        `image`, `config-only` (env, ConfigMap/Secret references or a config checksum changed while images
        stayed the same), `resources`, `probes`, `other` or a mix such as `config+resources`; `changes` says
        each change in words; `areas` is the same as data ({env: {NAME: [old, new]}, image: [old, new]}).
        `compare: [a, b]` adds `comparison`: the same diff between revisions a and b plus `yaml_diff`, a
        unified diff of their pod templates. Use it when a problem started after a rollout, especially to
        spot a config-only revision that a list of image versions would hide; compare the last good
        revision with the current one to see everything that changed since."""
        self.rt.check_namespace(namespace)
        check_pod_name(name)
        workload = None
        for k in ([kind] if kind else HISTORY_KINDS):
            workload = await self._read(k, namespace, name)
            if workload is not None:
                break
        if workload is None:
            if kind:
                raise await self._missing(kind, namespace, name)
            names = sorted({f"{k} {_name(o)}" for k in HISTORY_KINDS for o in await self._list(k, namespace)})
            raise ToolFailure(f"no Deployment, StatefulSet or DaemonSet {name!r} in namespace {namespace!r}",
                              hint=("workloads with a rollout history: " + ", ".join(names[:50])) if names else
                              "the namespace has no Deployments, StatefulSets or DaemonSets")
        found = workload.get("kind") or kind or "Deployment"
        workload["kind"] = found
        owned = await self._list("ReplicaSet" if found == "Deployment" else "ControllerRevision", namespace)
        revisions = kube.rollout_history(workload, owned, pod_templates=compare is not None)
        current = next((r["revision"] for r in revisions if r["current"]), None)
        out: dict[str, Any] = {"namespace": namespace, "kind": found, "name": name}
        if found == "Deployment":
            out["deployment"] = name
        out.update({
            "current_revision": current, "revisions": revisions, "total": len(revisions),
            "config_only_revisions": [r["revision"] for r in revisions if (r.get("diff") or {}).get("change_kind") == "config-only"],
            "note": None if revisions else (
                "no ReplicaSets with a revision: history was pruned (revisionHistoryLimit) or never kept" if found == "Deployment"
                else "no ControllerRevisions: history was pruned (revisionHistoryLimit) or never kept"),
        })
        if compare is not None:
            by_number = {r["revision"]: r for r in revisions}
            missing = [n for n in compare if n not in by_number]
            if missing:
                raise ToolFailure(f"{found} {name!r} has no revision {', '.join(map(str, missing))}",
                                  hint="revisions kept: " + (", ".join(str(r) for r in sorted(by_number)) or "none"))
            a, b = by_number[compare[0]], by_number[compare[1]]
            out["comparison"] = {"from": a["revision"], "to": b["revision"], **kube.compare_revisions(a, b),
                                 "yaml_diff": yaml_diff(a["pod_template"], b["pod_template"],
                                                        f"revision {a['revision']}", f"revision {b['revision']}")}
            for r in revisions:
                r.pop("pod_template", None)
        return out

    @tool("List nodes")
    async def list_nodes(self) -> dict[str, Any]:
        """The cluster's nodes like `kubectl get nodes` plus `describe node`: Ready/NotReady, MemoryPressure,
        DiskPressure, PIDPressure, cordoned (SchedulingDisabled), taints, allocatable cpu/memory/pods against
        what the pods on it request, and pods per node. Pods are counted in the namespaces this server may
        read (`counted_namespaces`). Troubled nodes first, each with `problems`. Use it when pods are
        Pending, Evicted or all failing on one node."""
        nodes = await self._list("Node", None)
        by_node: dict[str, list[dict[str, Any]]] = {}
        for p in await self.rt.run(self.rt.cluster.list_many, "Pod", list(self.rt.allowed_namespaces)):
            node = (p.get("spec") or {}).get("nodeName")
            if node:
                by_node.setdefault(node, []).append(p)
        rows = [kube.node_row(n, by_node.get(_name(n), [])) for n in nodes]
        rows.sort(key=lambda r: (r["healthy"], r["name"]))
        return {"nodes": rows, "total": len(rows), "not_ready": sum(1 for r in rows if not r["ready"]),
                "with_pressure": sum(1 for r in rows if r["pressure"]), "cordoned": sum(1 for r in rows if r["cordoned"]),
                "counted_namespaces": list(self.rt.allowed_namespaces)}

    @tool("Get service endpoints")
    async def get_service_endpoints(
        self,
        namespace: AnyNamespace,
        service: Annotated[str | None, Field(description="Kubernetes Service name; all Services of the namespace when omitted", max_length=63)] = None,
        offset: Offset = 0,
        limit: Limit = None,
    ) -> dict[str, Any]:
        """Kubernetes Services with type, selector, ports, ready and not-ready endpoints (pod, IP, node) and
        findings: no pod matches the selector (with the label values pods actually carry, to spot a typo or
        a relabelled rollout), all endpoints not ready (pods failing readiness), LoadBalancer pending (no
        external address). Use it when callers get connection refused / 503 / no healthy upstream.
        namespace="*" (without `service`) checks every Service of every namespace this server may read,
        those with findings first (`unhealthy_by_namespace` says where).
        `offset`/`limit` page a long list (`page.next_offset`); counts are always over the whole list."""
        if namespace == ALL_NAMESPACES and service is not None:
            raise ToolFailure("a service name needs its namespace, not '*'",
                              hint="call with namespace='*' and no service to check every Service, then name the namespace")
        namespaces = self.rt.readable_namespaces(namespace)
        if service is not None:
            check_pod_name(service)
            svc = await self._read("Service", namespace, service)
            if svc is None:
                raise await self._missing("Service", namespace, service)
            services = [svc]
        else:
            services = await self._list_in("Service", namespace, namespaces)
        endpoints = {_key(e): e for e in await self._list_in("Endpoints", namespace, namespaces)}
        pods_by_ns: dict[Any, list[dict[str, Any]]] = {}
        for p in await self._pods_in(namespace, namespaces):
            pods_by_ns.setdefault((p.get("metadata") or {}).get("namespace"), []).append(p)
        views = [kube.service_view(s, endpoints.get(_key(s)), pods_by_ns.get((s.get("metadata") or {}).get("namespace"), []))
                 for s in services]
        views.sort(key=lambda v: (v["healthy"], v["name"], v["namespace"] or ""))
        out = self._scope({"namespace": namespace}, namespace, namespaces, views)
        out.update({"services": views, "total": len(views), "with_findings": sum(1 for v in views if not v["healthy"])})
        return _paged(out, "services", offset, limit, "get_service_endpoints")

    @tool("List volumes")
    async def list_volumes(self, namespace: AnyNamespace, offset: Offset = 0, limit: Limit = None) -> dict[str, Any]:
        """PersistentVolumeClaims of a namespace like `kubectl get pvc`: phase (Bound/Pending/Lost), capacity,
        storage class, bound volume, access modes, the pods that mount each, and usage (used, % full) where
        the kubelet's summary API reports it (mounted volumes only). Problems first: claims not Bound,
        volumes 85% full or more. Use it for a database or queue on a StatefulSet that stopped writing.
        namespace="*" lists the claims of every namespace this server may read, problems first.
        `offset`/`limit` page a long list (`page.next_offset`); counts are always over the whole list."""
        namespaces = self.rt.readable_namespaces(namespace)
        claims = await self._list_in("PersistentVolumeClaim", namespace, namespaces)
        pods = await self._pods_in(namespace, namespaces)
        try:
            if namespace == ALL_NAMESPACES:
                usage = await self.rt.run(self.rt.cluster.volume_usage_many, namespaces)
            else:
                usage = {(namespace, k): v for k, v in (await self.rt.run(self.rt.cluster.volume_usage, namespace)).items()}
            usage_note = None
        except Exception as exc:  # usage is a nicety: claims without it are still claims
            usage, usage_note = {}, f"volume usage unavailable: {str(exc)[:200]}"
        mounts: dict[tuple[Any, str], list[str]] = {}
        for p in pods:
            for v in (p.get("spec") or {}).get("volumes") or []:
                claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
                if claim:
                    mounts.setdefault(((p.get("metadata") or {}).get("namespace"), claim), []).append(_name(p))
        rows = [kube.pvc_row(c, usage.get(_key(c)), sorted(mounts.get(_key(c), []))) for c in claims]
        rows.sort(key=lambda r: (r["healthy"], -(r["used_pct"] or 0), r["name"], r["namespace"] or ""))
        out = self._scope({"namespace": namespace}, namespace, namespaces, rows)
        out.update({"volumes": rows, "total": len(rows), "with_problems": sum(1 for r in rows if not r["healthy"])})
        if usage_note:
            out["note"] = usage_note
        return _paged(out, "volumes", offset, limit, "list_volumes")

    @tool("Get ConfigMap")
    async def get_configmap(self, namespace: Namespace, name: ObjectName) -> dict[str, Any]:
        """A ConfigMap's keys and values (each value capped at 4096 characters, cuts marked), and which
        workloads reference it. Given a Secret's name it returns the Secret's key names only: values of
        Secrets are never returned. Use it after get_rollout_history shows a config-only change."""
        self.rt.check_namespace(namespace)
        check_pod_name(name)
        obj = await self._read("ConfigMap", namespace, name)
        if obj is not None:
            view = kube.configmap_view(obj)
        else:
            secret = await self._read("Secret", namespace, name)
            if secret is None:
                raise await self._missing("ConfigMap", namespace, name)
            view = kube.secret_view(secret)
        refs = await self._config_refs(namespace, [namespace])
        view["used_by"] = sorted(set(refs["configmaps"].get((namespace, name), []) + refs["secrets"].get((namespace, name), [])))
        return view

    async def _config_refs(self, namespace: str, namespaces: list[str]) -> dict[str, dict[tuple[str, str], list[str]]]:
        """Which workloads' pod templates reference each ConfigMap and Secret, by (namespace, name)."""
        out: dict[str, dict[tuple[str, str], list[str]]] = {"configmaps": {}, "secrets": {}}
        for k in ("Deployment", "StatefulSet", "DaemonSet", "CronJob"):
            for w in await self._list_in(k, namespace, namespaces):
                refs = kube.template_summary(((w.get("spec") or {}).get("jobTemplate") or {}).get("spec", {}).get("template")
                                             if k == "CronJob" else (w.get("spec") or {}).get("template") or {})
                ns = (w.get("metadata") or {}).get("namespace") or namespace
                for what in ("configmaps", "secrets"):
                    for ref in refs[what]:
                        out[what].setdefault((ns, ref), []).append(f"{k}/{_name(w)}")
        return out

    @tool("List ConfigMaps")
    async def list_configmaps(self, namespace: AnyNamespace, offset: Offset = 0, limit: Limit = None) -> dict[str, Any]:
        """The ConfigMaps of a namespace like `kubectl get cm`: each key with its size in bytes (no values;
        get_configmap shows them) and the workloads that reference it (`used_by`). A ConfigMap a workload
        references but the namespace lacks is listed too, `missing: true`, with the problem in words (new pods
        fail with CreateContainerConfigError). Secrets are not listed. Problems first. Use it to find the
        config a workload reads, then get_configmap for the values. namespace="*" covers every namespace
        this server may read.
        `offset`/`limit` page a long list (`page.next_offset`); counts are always over the whole list."""
        namespaces = self.rt.readable_namespaces(namespace)
        refs = (await self._config_refs(namespace, namespaces))["configmaps"]
        rows = [kube.configmap_row(c, sorted(refs.get(_key(c), []))) for c in await self._list_in("ConfigMap", namespace, namespaces)]
        have = {(r["namespace"], r["name"]) for r in rows}
        rows += [kube.missing_configmap_row(name, ns, sorted(users)) for (ns, name), users in refs.items() if (ns, name) not in have]
        rows.sort(key=lambda r: (r["healthy"], r["name"], r["namespace"] or ""))
        out = self._scope({"namespace": namespace}, namespace, namespaces, rows)
        out.update({"configmaps": rows, "total": len(rows), "missing": sum(1 for r in rows if r["missing"]),
                    "with_problems": sum(1 for r in rows if not r["healthy"])})
        return _paged(out, "configmaps", offset, limit, "list_configmaps")

    @tool("List HPAs")
    async def list_hpas(self, namespace: AnyNamespace, offset: Offset = 0, limit: Limit = None) -> dict[str, Any]:
        """HorizontalPodAutoscalers of a namespace: target workload, current/desired/min/max replicas, each
        metric's current value against its target (e.g. cpu 95% / 70%), and problems: pinned at maxReplicas
        (it cannot add capacity), scaling inactive (metrics unavailable). Use it when latency rises with
        load or replicas do not grow. namespace="*" covers every namespace this server may read, problems
        first.
        `offset`/`limit` page a long list (`page.next_offset`); counts are always over the whole list."""
        namespaces = self.rt.readable_namespaces(namespace)
        rows = [kube.hpa_row(h) for h in await self._list_in("HorizontalPodAutoscaler", namespace, namespaces)]
        rows.sort(key=lambda r: (r["healthy"], r["name"], r["namespace"] or ""))
        out = self._scope({"namespace": namespace}, namespace, namespaces, rows)
        out.update({"hpas": rows, "total": len(rows), "with_problems": sum(1 for r in rows if not r["healthy"])})
        return _paged(out, "hpas", offset, limit, "list_hpas")

    @tool("Get object YAML")
    async def get_object(
        self,
        kind: Annotated[str, Field(description="Kind or kubectl short name: pod, deploy, sts, ds, job, cronjob, node, svc, ep, pvc, cm, "
                                               "secret, hpa, rs", min_length=2, max_length=40)],
        name: ObjectName,
        namespace: Annotated[str | None, Field(description="Namespace; omit for nodes", max_length=63)] = None,
    ) -> dict[str, Any]:
        """Any one object as `kubectl get -o yaml` shows it (managedFields left out; a Secret's values
        replaced by their sizes). Use it for a detail no other tool shows: tolerations, affinity, volume
        mounts, annotations."""
        k = by_name(kind)
        if k is None:
            raise ToolFailure(f"unknown kind {kind!r}", hint="kinds: " + ", ".join(sorted(KINDS)))
        if k.namespaced:
            if not namespace:
                raise ToolFailure(f"{k.kind} is namespaced: give a namespace", hint="allowed namespaces: " + ", ".join(self.rt.allowed_namespaces))
            self.rt.check_namespace(namespace)
        else:
            namespace = None
        check_pod_name(name)
        obj = await self._read(k.kind, namespace, name)
        if obj is None:
            if namespace is None:
                names = sorted(_name(o) for o in await self._list(k.kind, None))
                raise ToolFailure(f"{k.kind} {name!r} not found", hint=(f"{k.kind}s: " + ", ".join(names[:50])) if names else None)
            raise await self._missing(k.kind, namespace, name)
        (obj.get("metadata") or {}).pop("managedFields", None)
        if k.kind == "Secret":
            obj["data"] = {key: f"<{_b64_len(v)} bytes, not shown>" for key, v in (obj.get("data") or {}).items()}
            obj.pop("stringData", None)
            # kubectl apply keeps the whole manifest, values included, in this annotation.
            ((obj.get("metadata") or {}).get("annotations") or {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)
        return {"kind": k.kind, "namespace": namespace, "name": name, "yaml": yaml.safe_dump(obj, sort_keys=False), "object": obj}
