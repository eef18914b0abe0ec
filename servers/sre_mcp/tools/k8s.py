"""Kubernetes tools: pods, logs, describe, deployments, events."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any, Literal

from pydantic import Field

from sre_mcp.backends import kube
from sre_mcp.errors import ToolFailure
from sre_mcp.runtime import ALL_NAMESPACES, Runtime
from sre_mcp.tools import tool

_POD_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

Namespace = Annotated[str, Field(description="Kubernetes namespace, e.g. 'payments'", min_length=1, max_length=63)]
AnyNamespace = Annotated[str, Field(
    description="Kubernetes namespace, e.g. 'payments'; or '*' for every namespace this server may read (each row then "
                "names its namespace, counts cover them all)", min_length=1, max_length=63)]
PodName = Annotated[str, Field(description="Pod name exactly as list_pods returns it", min_length=1, max_length=253)]
ROW_MEMO_SECONDS = 10.0
PAGE = 200  # pods per page by default: every unhealthy pod of most namespaces fits in the first
StatusFilter = Literal[
    "unhealthy", "Running", "Pending", "CrashLoopBackOff", "OOMKilled", "Error", "ImagePullBackOff",
    "ErrImagePull", "Completed", "Evicted", "Terminating", "ContainerCreating", "NotReady",
]


def check_pod_name(name: str) -> str:
    if not _POD_NAME.match(name):
        raise ToolFailure(
            f"{name!r} is not a valid Kubernetes pod name",
            hint="pod names are lowercase letters, digits, '-' and '.'; copy one from list_pods",
        )
    return name


class ClusterTools:
    def __init__(self, rt: Runtime):
        self.rt = rt
        # Derived pod rows by (uid, resourceVersion, usage): a watch-cached namespace of 5,000 pods
        # re-derives only the pods that changed. Emptied every ROW_MEMO_SECONDS so ages stay true.
        self._row_memo: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
        self._row_memo_at = 0.0
        self._views: dict[str, _View] = {}
        self._usage_keyed: dict[str, tuple[Any, dict[tuple[str, str], dict[str, str]]]] = {}

    def _rows(self, namespace: str, pods: list[dict[str, Any]], usage: dict[tuple[str, str], dict[str, str]]) -> list[dict[str, Any]]:
        now = time.monotonic()
        if now - self._row_memo_at > ROW_MEMO_SECONDS:
            self._row_memo, self._row_memo_at = {}, now
        old = self._row_memo.get(namespace, {})
        fresh: dict[tuple[Any, ...], dict[str, Any]] = {}
        rows = []
        for p in pods:
            meta = p.get("metadata") or {}
            u = usage.get((meta.get("namespace"), meta.get("name")))
            key = (meta.get("uid"), meta.get("resourceVersion"), meta.get("name"), tuple(sorted(u.items())) if u else None)
            row = old.get(key) if meta.get("resourceVersion") else None
            if row is None:
                row = kube.pod_row(p, u)
            fresh[key] = row
            rows.append(row)
        self._row_memo[namespace] = fresh
        return rows

    async def _existing_pod(self, namespace: str, pod_name: str) -> dict[str, Any]:
        self.rt.check_namespace(namespace)
        check_pod_name(pod_name)
        pod = await self.rt.run(self.rt.cluster.read_pod, namespace, pod_name)
        if pod is None:
            names = [p["metadata"]["name"] for p in await self.rt.run(self.rt.cluster.list_pods, namespace)]
            raise ToolFailure(
                f"pod {pod_name!r} not found in namespace {namespace!r}",
                hint=("pods that exist: " + ", ".join(sorted(names))) if names else "the namespace has no pods",
            )
        return pod

    async def _pods(self, namespaces: list[str], every: bool) -> list[dict[str, Any]]:
        if every:
            return await self.rt.run(self.rt.cluster.list_many, "Pod", namespaces)
        return await self.rt.run(self.rt.cluster.list_pods, namespaces[0])

    async def _usage(self, namespaces: list[str], every: bool) -> dict[tuple[str, str], dict[str, str]]:
        """cpu/memory by (namespace, pod); empty when metrics are unavailable (a nicety: pods
        without them are still pods)."""
        try:
            if every:
                return await self.rt.run(self.rt.cluster.pod_usage_many, namespaces)
            ns = namespaces[0]
            by_name = await self.rt.run(self.rt.cluster.pod_usage, ns)
            hit = self._usage_keyed.get(ns)
            if hit is not None and hit[0] is by_name:  # the same metrics read: the same dict, so views see no change
                return hit[1]
            keyed = {(ns, name): u for name, u in by_name.items()}
            self._usage_keyed[ns] = (by_name, keyed)
            return keyed
        except Exception:
            return {}

    @tool("List pods")
    async def list_pods(
        self,
        namespace: AnyNamespace,
        status_filter: Annotated[
            StatusFilter | None,
            Field(description="Only pods with this status; 'unhealthy' = anything not Running and fully ready"),
        ] = None,
        label_selector: Annotated[
            str | None,
            Field(description="kubectl label selector, e.g. 'app=checkout', 'app in (cart,checkout),tier!=db', '!canary'", max_length=500),
        ] = None,
        node: Annotated[str | None, Field(description="Only pods scheduled on this node (see list_nodes)", max_length=253)] = None,
        offset: Annotated[int, Field(description="Skip this many pods of the sorted list (paging: use page.next_offset)", ge=0, le=1_000_000)] = 0,
        limit: Annotated[int, Field(description="Pods to return in this page (1-1000)", ge=1, le=1000)] = PAGE,
        changed_since: Annotated[
            int | None,
            Field(description="For a client keeping a copy: only pods changed since this `generation` of an earlier answer", ge=0),
        ] = None,
    ) -> dict[str, Any]:
        """List the pods of a namespace like `kubectl get pods -o wide`: status (derived as kubectl does:
        CrashLoopBackOff, OOMKilled, ImagePullBackOff, Pending, Evicted...), ready count, restarts, age,
        node, last termination reason and exit code, and cpu/memory when known. Unhealthy pods come
        first. The result leads with counts for the whole namespace (`by_status`, `unhealthy`) and, when
        more pods match than one page holds, `healthy_summary` counts the healthy ones by app and node and
        `page.next_offset` says how to fetch the rest. Use it to find which pods of a service are failing;
        then describe_pod and get_pod_logs on the worst one.
        namespace="*" lists every namespace this server may read as one list (same shape: counts over all,
        unhealthy pods of every namespace first, `unhealthy_by_namespace`, paged the same way): use it
        when you do not know where the trouble is, or to see whether a failure spans namespaces; then
        call again with the one namespace that matters."""
        namespaces = self.rt.readable_namespaces(namespace)
        every = namespace == ALL_NAMESPACES
        try:
            reqs = kube.parse_selector(label_selector) if label_selector else None
        except kube.SelectorError as exc:
            raise ToolFailure(str(exc), hint="e.g. app=checkout, app in (cart,checkout), tier!=db, !canary") from None
        if changed_since is not None:
            delta = await self._pod_changes(namespace, namespaces, changed_since)
            if delta is not None:
                return delta
        # The version is read before the objects, so a change racing this call comes again later
        # rather than never. On a first call the list makes the cache: the version is read after
        # it, and the objects once more after that (from memory), so they are at least as new.
        gen = self._generation(namespace, namespaces)
        whole = reqs is None and node is None
        pods = None  # a whole list whose cache is live needs no pods but those that changed (_view)
        if gen is None or not whole:
            pods = await self._pods(namespaces, every)
            if gen is None:
                gen = self._generation(namespace, namespaces)
                if gen is not None:
                    pods = await self._pods(namespaces, every)
        if reqs is not None:
            pods = [p for p in pods or [] if kube.labels_match((p.get("metadata") or {}).get("labels"), reqs)]
        if node is not None:
            pods = [p for p in pods or [] if (p.get("spec") or {}).get("nodeName") == node]
        usage = await self._usage(namespaces, every)
        view = await self._view(namespace, namespaces, gen, usage, pods) if whole else _View.of(
            [kube.pod_row(p, usage.get((p["metadata"].get("namespace"), p["metadata"]["name"]))) for p in pods or []])
        rows, summary = view.rows, _ordered(view.by_status)
        if status_filter == "unhealthy":
            matched = [r for r in rows if not r["healthy"]]
        elif status_filter == "NotReady":
            matched = [r for r in rows if not r["healthy"] and r["status"] == "Running"]
        elif status_filter:
            matched = [
                r for r in rows
                if r["status"] == status_filter or (r.get("last_termination") or {}).get("reason") == status_filter
            ]
        else:
            matched = rows
        shown = matched[offset:offset + limit]
        out: dict[str, Any] = {
            "namespace": namespace,
            "status_filter": status_filter,
            "total": len(rows),
            "unhealthy": view.unhealthy,
            "by_status": summary,
        }
        if every:
            out["namespaces"] = len(namespaces)
            out["unhealthy_by_namespace"] = _ordered(view.unhealthy_by_namespace)
        if label_selector is not None:
            out["label_selector"] = label_selector
        if node is not None:
            out["node"] = node
        out["matched"] = len(matched)
        if gen is not None:
            out["generation"] = gen  # the watch cache's version of this list: pass as changed_since later
        out["pods"] = shown
        rest = len(matched) - offset - len(shown)
        if offset or rest > 0:
            page: dict[str, Any] = {"offset": offset, "limit": limit, "returned": len(shown), "remaining": max(0, rest)}
            if rest > 0:
                page["next_offset"] = offset + len(shown)
                page["how_to_get_more"] = (f"{rest} more pods: call list_pods again with offset={offset + len(shown)}"
                                           " (or narrow with status_filter, label_selector or node)")
            out["page"] = page
            healthy = view.healthy_left_out(shown) if matched is rows else _View.of(
                [r for r in matched[:offset] + matched[offset + limit:] if r["healthy"]]).healthy_left_out([])
            if healthy["healthy_not_in_this_page"]:
                if not every:
                    healthy.pop("by_namespace")
                out["healthy_summary"] = healthy
        return out

    async def _view(self, namespace: str, namespaces: list[str], gen: int | None, usage: dict[tuple[str, str], dict[str, str]],
                    pods: list[dict[str, Any]] | None = None, ages: bool = True) -> "_View":
        """The sorted rows and counts of a whole list, kept between calls. The same generation (and
        usage figures) reuses it, so the pages of one list (the pods pane asks for ten of 500 at
        5,000 pods) cost a slice each; a later generation applies only the pods the watch changed
        since. Rebuilt from every pod when the cache cannot say what changed, when much changed, and
        (for answers that show rows, `ages`) every ROW_MEMO_SECONDS so ages stay true."""
        every = namespace == ALL_NAMESPACES
        old = self._views.get(namespace)
        usable = (gen is not None and old is not None and old.gen is not None and (old.usage is usage or old.usage == usage)
                  and (not ages or time.monotonic() - old.at < ROW_MEMO_SECONDS))
        if usable and old.gen == gen:
            return old
        if usable:
            fn = getattr(self.rt.cluster, "changes_since_many" if every else "changes_since", None)
            got = await self.rt.run(fn, "Pod", namespaces if every else namespace, old.gen) if fn else None
            if got is not None and len(got[1]) + len(got[2]) <= max(100, len(old.by_key) // 10):
                _, changed, deleted = got
                fresh = {}
                for p in changed:
                    meta = p.get("metadata") or {}
                    key = (meta.get("namespace"), meta.get("name"))
                    fresh[key] = kube.pod_row(p, usage.get(key))
                gone = {tuple(d.split("/", 1)) if every else (namespace, d) for d in deleted}
                old.apply(fresh, gone, gen)
                return old
        if pods is None:
            pods = await self._pods(namespaces, every)
        view = _View.of(self._rows(namespace, pods, usage))
        view.gen, view.usage = gen, usage
        self._views[namespace] = view
        return view

    def _generation(self, namespace: str, namespaces: list[str]) -> int | None:
        """The watch cache's version of this list (None: not watched, e.g. the fixture cluster)."""
        if namespace == ALL_NAMESPACES:
            fn = getattr(self.rt.cluster, "generation_many", None)
            return fn("Pod", namespaces) if fn else None
        fn = getattr(self.rt.cluster, "generation", None)
        return fn("Pod", namespace) if fn else None

    async def _pod_changes(self, namespace: str, namespaces: list[str], since: int) -> dict[str, Any] | None:
        """Pods changed since a generation, from the server's watch cache: what a refresh costs
        when it costs what changed. None when the cache cannot say (then the whole list).
        For "*", `deleted` holds `namespace/name`s (a name alone is the namespace's)."""
        every = namespace == ALL_NAMESPACES
        changes = getattr(self.rt.cluster, "changes_since_many" if every else "changes_since", None)
        got = await self.rt.run(changes, "Pod", namespaces if every else namespace, since) if changes else None
        if got is None:
            return None
        gen, changed, deleted = got
        # The counts of the whole list, brought up to date with what changed (no rows are shown but
        # the changed ones, derived now, so the view's ages need not be fresh).
        view = await self._view(namespace, namespaces, self._generation(namespace, namespaces),
                                await self._usage(namespaces, every), ages=False)
        rows = []
        for p in changed:
            meta = p.get("metadata") or {}
            key = (meta.get("namespace"), meta.get("name"))
            if key in view.by_key:  # deleted again since `got`: its name is in a later answer's `deleted`
                rows.append(kube.pod_row(p, view.usage.get(key)))
        rows.sort(key=_sort_key)
        out: dict[str, Any] = {"namespace": namespace, "changes_since": since, "generation": gen}
        if every:
            out["namespaces"] = len(namespaces)
        out.update({
            "total": len(view.by_key), "unhealthy": view.unhealthy, "by_status": _ordered(view.by_status),
            "changed": rows, "deleted": deleted,
        })
        return out

    @tool("Get pod logs")
    async def get_pod_logs(
        self,
        namespace: Namespace,
        pod_name: PodName,
        lines: Annotated[int, Field(description="How many of the last lines to return (1-1000)", ge=1, le=1000)] = 20,
        previous: Annotated[bool, Field(description="Logs of the previous, crashed container instance")] = False,
        container: Annotated[str | None, Field(description="Container name; defaults to the pod's first", max_length=63)] = None,
    ) -> dict[str, Any]:
        """The last lines of a pod's container log (like `kubectl logs --tail`). For a pod in
        CrashLoopBackOff the current container may have just started: use previous=true to read the
        log of the instance that crashed (stack traces, OutOfMemoryError, the last thing it did).
        Returns the lines plus counts of ERROR/WARN lines."""
        pod = await self._existing_pod(namespace, pod_name)
        names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
        if container is not None and container not in names:
            raise ToolFailure(f"pod {pod_name!r} has no container {container!r}", hint="containers: " + ", ".join(names))
        text = await self.rt.run(self.rt.cluster.pod_log, namespace, pod_name, container or (names[0] if names else None), lines, previous)
        log_lines = text.splitlines()[-lines:] if text else []
        return {
            "namespace": namespace,
            "pod": pod_name,
            "container": container or (names[0] if names else None),
            "previous": previous,
            "lines": log_lines,
            "line_count": len(log_lines),
            "errors": sum(1 for line in log_lines if re.search(r"\b(ERROR|FATAL|Exception|Error:)", line)),
            "warnings": sum(1 for line in log_lines if re.search(r"\bWARN", line)),
        }

    @tool("Describe pod")
    async def describe_pod(self, namespace: Namespace, pod_name: PodName) -> dict[str, Any]:
        """Everything `kubectl describe pod` shows: containers with image, current state and last state
        (reason such as OOMKilled, exit code 137 = killed by the kernel), restart count, requests and
        limits, liveness/readiness probes, conditions, the owning ReplicaSet, and the pod's events.
        Use it on the worst pod from list_pods to learn why it is failing."""
        pod = await self._existing_pod(namespace, pod_name)
        events = await self.rt.run(self.rt.cluster.list_events, namespace)
        return kube.describe_pod(pod, events)

    @tool("List deployments")
    async def list_deployments(self, namespace: Namespace) -> dict[str, Any]:
        """The deployments of a namespace with desired/ready/available/up-to-date replicas, image and
        revision; degraded ones (ready < desired) first. Use it to see rollout state and which image
        version is running."""
        self.rt.check_namespace(namespace)
        deps = await self.rt.run(self.rt.cluster.list_deployments, namespace)
        rows = sorted((kube.deployment_row(d) for d in deps), key=lambda r: (r["healthy"], r["name"]))
        return {"namespace": namespace, "deployments": rows, "degraded": sum(1 for r in rows if not r["healthy"])}

    @tool("Get events")
    async def get_events(
        self,
        namespace: AnyNamespace,
        event_type: Annotated[Literal["Warning", "Normal"] | None, Field(description="Only Warning or only Normal events")] = None,
        limit: Annotated[int, Field(description="Most recent events to return (1-200)", ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        """Kubernetes events of a namespace, newest first: OOMKilled, BackOff, FailedScheduling,
        Evicted, Unhealthy (probe failures), FailedMount, pulls and scaling. Use event_type='Warning'
        to see only trouble. namespace="*" merges every namespace this server may read, newest first
        (each event names its namespace; `warnings_by_namespace` counts them): use it to find where
        trouble is happening when no namespace is known yet."""
        namespaces = self.rt.readable_namespaces(namespace)
        if namespace == ALL_NAMESPACES:
            raw = await self.rt.run(self.rt.cluster.list_many, "Event", namespaces)
        else:
            raw = await self.rt.run(self.rt.cluster.list_events, namespace)
        events = [kube.event_row(e) for e in raw]
        if event_type:
            events = [e for e in events if e["type"] == event_type]
        events.sort(key=lambda e: e.get("timestamp") or "", reverse=True)
        out: dict[str, Any] = {"namespace": namespace, "event_type": event_type}
        if namespace == ALL_NAMESPACES:
            out["namespaces"] = len(namespaces)
            out["warnings_by_namespace"] = _count(e["namespace"] for e in events if e["type"] == "Warning")
        out.update({
            "events": events[:limit],
            "total": len(events),
            "warnings": sum(1 for e in events if e["type"] == "Warning"),
        })
        return out


def _sort_key(r: dict[str, Any]) -> tuple[Any, ...]:
    return (r["healthy"], -int(r["restarts"]), r["name"], r["namespace"] or "")


class _View:
    """Pod rows sorted as list_pods answers (unhealthy first, most restarts first), with the counts
    every page repeats. A watch's changes are applied to it row by row (`apply`), so the counts
    after a change cost what changed; the sorted order is redone only when a page is asked."""

    def __init__(self, rows: list[dict[str, Any]]):
        self.at = time.monotonic()
        self.gen: int | None = None
        self.usage: dict[tuple[str, str], dict[str, str]] = {}
        self.by_key: dict[tuple[Any, Any], dict[str, Any]] = {}
        self.by_status: dict[str, int] = {}
        self.unhealthy = 0
        self.unhealthy_by_namespace: dict[str, int] = {}
        self._healthy = 0
        self._by: dict[str, dict[str, int]] = {"app": {}, "node": {}, "namespace": {}}
        for r in rows:
            self.by_key[(r["namespace"], r["name"])] = r
            self._count(r, 1)
        self._rows: list[dict[str, Any]] | None = sorted(self.by_key.values(), key=_sort_key)

    @classmethod
    def of(cls, rows: list[dict[str, Any]]) -> "_View":
        return cls(rows)

    @property
    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = sorted(self.by_key.values(), key=_sort_key)
        return self._rows

    def _count(self, r: dict[str, Any], n: int) -> None:
        def bump(counts: dict[str, int], key: Any) -> None:
            counts[key] = counts.get(key, 0) + n
            if not counts[key]:
                del counts[key]

        bump(self.by_status, r["status"])
        if r["healthy"]:
            self._healthy += n
            for k in ("app", "node"):
                bump(self._by[k], str(r.get(k)))
            bump(self._by["namespace"], r["namespace"])
        else:
            self.unhealthy += n
            bump(self.unhealthy_by_namespace, r["namespace"])

    def apply(self, fresh: dict[tuple[Any, Any], dict[str, Any]], gone: set[tuple[Any, Any]], gen: int) -> None:
        """Rows of pods added or changed, and keys of pods deleted, since this view's generation."""
        for key in set(fresh) | gone:
            old = self.by_key.pop(key, None)
            if old is not None:
                self._count(old, -1)
            row = fresh.get(key)
            if row is not None:
                self.by_key[key] = row
                self._count(row, 1)
        self._rows = None
        self.gen = gen

    def healthy_left_out(self, shown: list[dict[str, Any]]) -> dict[str, Any]:
        """Counts of the healthy rows not in `shown`: the totals less the page's."""
        in_page = [r for r in shown if r["healthy"]]
        out: dict[str, Any] = {"healthy_not_in_this_page": self._healthy - len(in_page)}
        for k, label in (("app", "by_app"), ("node", "by_node"), ("namespace", "by_namespace")):
            counts = dict(self._by[k])
            for r in in_page:
                v = str(r.get(k)) if k != "namespace" else r["namespace"]
                counts[v] -= 1
            out[label] = _ordered({v: n for v, n in counts.items() if n})
        return out


def _ordered(counts: dict[str, int]) -> dict[str, int]:
    """Counts most first (then by name): the same answer whichever order the rows were counted in."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out
