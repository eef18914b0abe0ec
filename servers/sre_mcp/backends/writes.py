"""Write operations behind one interface: the fixture scenario or a real cluster.

Only the write tools (tools/actions.py) call these, and only after a confirmed
preview. The fixture changes the in-memory scenario, so the read tools show the
effect (scaled replicas, fresh pods, the rolled-back image) as a cluster would.
The Kubernetes one does what kubectl does: `scale`, `rollout restart` (template
annotation), `rollout undo --to-revision` (the ReplicaSet's template patched back).
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
from typing import Any, Protocol

from sre_mcp.backends.base import BackendError, NotFound
from sre_mcp.timeutil import iso, now_utc

REVISION = "deployment.kubernetes.io/revision"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


class OutcomeUnknown(BackendError):
    """A write request was sent but no answer came in time: it may or may not have been applied."""


class WriteBackend(Protocol):
    """`timeout` is the per-request limit in seconds (None: the backend's default), so a write
    never outlives the tool call that made it unnoticed."""

    kind: str

    def read_deployment(self, namespace: str, name: str, timeout: float | None = None) -> dict[str, Any] | None: ...

    def owner_deployment(self, pod: dict[str, Any]) -> str | None: ...

    def revisions(self, namespace: str, name: str) -> list[dict[str, Any]]:
        """[{"revision": int, "image": str, ...}] oldest first."""

    def scale(self, namespace: str, name: str, replicas: int, timeout: float | None = None) -> dict[str, Any]: ...

    def restart(self, namespace: str, name: str, at: str, timeout: float | None = None) -> dict[str, Any]: ...

    def rollback(self, namespace: str, name: str, revision: int, timeout: float | None = None) -> dict[str, Any]: ...


def deployment_revision(dep: dict[str, Any]) -> int:
    try:
        return int(((dep.get("metadata") or {}).get("annotations") or {}).get(REVISION) or 0)
    except ValueError:
        return 0


def deployment_images(dep: dict[str, Any]) -> list[str]:
    return [c.get("image", "") for c in (((dep.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []]


class FixtureWrites:
    kind = "fixture"

    def __init__(self, scenario: Any):
        self.scenario = scenario
        self._lock = threading.Lock()

    def _dep(self, namespace: str, name: str) -> dict[str, Any]:
        for d in self.scenario.deployments:
            if d["metadata"]["namespace"] == namespace and d["metadata"]["name"] == name:
                return d
        raise NotFound(f"deployment {name!r} not found in namespace {namespace!r}")

    def read_deployment(self, namespace: str, name: str, timeout: float | None = None) -> dict[str, Any] | None:
        try:
            return copy.deepcopy(self._dep(namespace, name))
        except NotFound:
            return None

    def owner_deployment(self, pod: dict[str, Any]) -> str | None:
        # A pod's owner is the ReplicaSet `<deployment>-<template hash>`.
        for ref in (pod.get("metadata") or {}).get("ownerReferences") or []:
            if ref.get("kind") == "ReplicaSet" and "-" in ref.get("name", ""):
                return ref["name"].rsplit("-", 1)[0]
        return None

    def _service(self, dep: dict[str, Any]) -> str:
        return ((dep["spec"].get("selector") or {}).get("matchLabels") or {}).get("app") or dep["metadata"]["name"]

    def revisions(self, namespace: str, name: str) -> list[dict[str, Any]]:
        dep = self._dep(namespace, name)
        service = self._service(dep)
        by_rev: dict[int, dict[str, Any]] = {}
        for d in self.scenario.deploys:
            if d.get("service") == service and d.get("revision") is not None and d.get("image"):
                by_rev[int(d["revision"])] = {k: d.get(k) for k in ("revision", "image", "version", "at", "change", "status")}
        current = deployment_revision(dep)
        by_rev.setdefault(current, {"revision": current, "image": (deployment_images(dep) or [""])[0]})
        return [by_rev[r] for r in sorted(by_rev)]

    def scale(self, namespace: str, name: str, replicas: int, timeout: float | None = None) -> dict[str, Any]:
        with self._lock:
            dep = self._dep(namespace, name)
            old = int(dep["spec"].get("replicas", 1))
            st = dep.setdefault("status", {})
            dep["spec"]["replicas"] = replicas
            # Scaling down removes pods (ready ones last); new pods come up ready.
            for key in ("readyReplicas", "availableReplicas"):
                have = int(st.get(key, old))
                st[key] = min(have, replicas) if replicas <= old else have + (replicas - old)
            st["replicas"] = st["updatedReplicas"] = replicas
            self._bump_generation(dep)
            return copy.deepcopy(dep)

    def restart(self, namespace: str, name: str, at: str, timeout: float | None = None) -> dict[str, Any]:
        with self._lock:
            dep = self._dep(namespace, name)
            tmeta = dep["spec"]["template"].setdefault("metadata", {})
            tmeta.setdefault("annotations", {})[RESTARTED_AT] = at
            self._new_revision(dep)
            self._rotate_pods(dep)
            return copy.deepcopy(dep)

    def rollback(self, namespace: str, name: str, revision: int, timeout: float | None = None) -> dict[str, Any]:
        with self._lock:
            dep = self._dep(namespace, name)
            target = next((r for r in self.revisions(namespace, name) if r["revision"] == revision), None)
            if target is None:
                raise NotFound(f"deployment {name!r} has no revision {revision}")
            old_rev = deployment_revision(dep)
            for c in dep["spec"]["template"]["spec"]["containers"]:
                c["image"] = target["image"]
            new_rev = self._new_revision(dep)
            self._rotate_pods(dep)
            service = self._service(dep)
            # The history shows the rollback as a new revision, as Kubernetes does.
            for d in self.scenario.deploys:
                if d.get("service") == service and d.get("revision") is not None and int(d["revision"]) == old_rev:
                    d["status"] = "rolled_back"
            self.scenario.deploys.append(
                {
                    "service": service, "version": target.get("version") or target["image"].rsplit(":", 1)[-1],
                    "image": target["image"], "at": iso(now_utc()), "author": "sre-mcp-server",
                    "revision": new_rev, "change": f"Rollback to revision {revision}", "status": "succeeded",
                }
            )
            return copy.deepcopy(dep)

    @staticmethod
    def _bump_generation(dep: dict[str, Any]) -> None:
        meta = dep["metadata"]
        meta["generation"] = int(meta.get("generation", 1)) + 1
        dep.setdefault("status", {})["observedGeneration"] = meta["generation"]

    def _new_revision(self, dep: dict[str, Any]) -> int:
        known = [r["revision"] for r in self.revisions(dep["metadata"]["namespace"], dep["metadata"]["name"])]
        new = max(known + [deployment_revision(dep)]) + 1
        dep["metadata"].setdefault("annotations", {})[REVISION] = str(new)
        self._bump_generation(dep)
        return new

    def _rotate_pods(self, dep: dict[str, Any]) -> None:
        """Replace the deployment's pods with fresh, ready ones of the current template."""
        ns, name = dep["metadata"]["namespace"], dep["metadata"]["name"]
        selector = (dep["spec"].get("selector") or {}).get("matchLabels") or {}
        now = iso(now_utc())
        pod_hash = hashlib.md5((name + dep["metadata"]["annotations"][REVISION]).encode()).hexdigest()[:9]
        image = (deployment_images(dep) or [None])[0]
        kept, old = [], []
        for p in self.scenario.pods:
            labels = p["metadata"].get("labels") or {}
            mine = p["metadata"]["namespace"] == ns and selector and all(labels.get(k) == v for k, v in selector.items())
            (old if mine else kept).append(p)
        fresh = []
        for _ in range(int(dep["spec"].get("replicas", len(old)))):
            template = copy.deepcopy(old[0]) if old else None
            if template is None:
                break
            pname = f"{name}-{pod_hash}-{secrets.token_hex(3)[:5]}"
            meta = template["metadata"]
            meta.update(name=pname, creationTimestamp=now, uid=hashlib.md5(pname.encode()).hexdigest())
            meta.pop("deletionTimestamp", None)
            meta["labels"] = {**meta.get("labels", {}), "pod-template-hash": pod_hash}
            for ref in meta.get("ownerReferences") or []:
                ref["name"] = f"{name}-{pod_hash}"
            for c in template["spec"]["containers"]:
                if image:
                    c["image"] = image
            st = template["status"]
            st.update(phase="Running", startTime=now)
            st.pop("reason", None)
            st.pop("message", None)
            st["conditions"] = [{"type": t, "status": "True", "lastTransitionTime": now} for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]
            st["containerStatuses"] = [
                {**cs, "ready": True, "started": True, "restartCount": 0, "state": {"running": {"startedAt": now}}, "lastState": {},
                 "image": image or cs.get("image")}
                for cs in st.get("containerStatuses") or []
            ]
            fresh.append(template)
        self.scenario.pods[:] = kept + fresh
        for p in old:
            for prev in (False, True):
                self.scenario.pod_logs.pop((ns, p["metadata"]["name"], prev), None)
        st = dep.setdefault("status", {})
        n = len(fresh)
        st.update(replicas=n, readyReplicas=n, availableReplicas=n, updatedReplicas=n)


class KubernetesWrites:
    """Real API calls through the official client (an `ApiClient`).

    Every request carries a connect and read timeout. A write whose request went out but
    whose answer did not come back (read timeout, connection cut) raises OutcomeUnknown:
    the API server may have applied it, so the caller must re-read, never simply retry.
    """

    kind = "kubernetes"

    def __init__(self, api_client: Any, request_timeout: float = 10.0):
        from kubernetes import client
        import urllib3

        self.api_client = api_client
        self.request_timeout = float(request_timeout)
        self.apps = client.AppsV1Api(api_client)
        self._ApiException = client.ApiException
        self._transport_errors = urllib3.exceptions.HTTPError
        # After these the request may have reached the API server: the outcome is unknown.
        self._after_send = (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError)

    def _plain(self, obj: Any) -> dict[str, Any]:
        return self.api_client.sanitize_for_serialization(obj)

    def _call(self, what: str, fn: Any, *args: Any, timeout: float | None = None, write: bool = False, **kwargs: Any) -> Any:
        t = self.request_timeout if timeout is None else max(0.05, float(timeout))
        try:
            return fn(*args, _request_timeout=(t, t), **kwargs)
        except self._ApiException as exc:
            status = getattr(exc, "status", None)
            if status == 404:
                raise NotFound(f"{what}: not found") from None
            hint = {
                403: "the kubeconfig's credentials lack RBAC permission for this write (patch deployments / deployments/scale)",
                409: "the object changed meanwhile; preview again",
            }.get(status)
            if write and status in (500, 502, 503, 504):  # a proxy or the API server gave up: it may have been applied
                raise OutcomeUnknown(f"{what}: HTTP {status} from the API server; the change may or may not have been applied") from None
            raise BackendError(f"{what} failed: HTTP {status} {getattr(exc, 'reason', '')}".strip(), hint=hint) from None
        except (OSError, self._transport_errors) as exc:  # connection refused, DNS, TLS, timeouts
            reason = getattr(exc, "reason", None) or exc
            if write and (isinstance(exc, self._after_send) or isinstance(reason, self._after_send)):
                raise OutcomeUnknown(f"{what}: no answer from the API server within {t:g}s; the change may or may not have been applied") from None
            if isinstance(exc, self._after_send) or isinstance(reason, self._after_send):
                raise BackendError(f"{what} failed: the API server did not answer within {t:g}s", hint="check the cluster connection") from None
            raise BackendError(f"{what} failed: API server unreachable ({type(exc).__name__})", hint="check the cluster connection") from None

    def read_deployment(self, namespace: str, name: str, timeout: float | None = None) -> dict[str, Any] | None:
        try:
            return self._plain(self._call(f"read deployment {namespace}/{name}", self.apps.read_namespaced_deployment, name, namespace, timeout=timeout))
        except NotFound:
            return None

    def owner_deployment(self, pod: dict[str, Any]) -> str | None:
        ns = pod["metadata"]["namespace"]
        for ref in pod["metadata"].get("ownerReferences") or []:
            if ref.get("kind") != "ReplicaSet":
                continue
            rs = self._plain(self._call(f"read replicaset {ns}/{ref['name']}", self.apps.read_namespaced_replica_set, ref["name"], ns))
            for owner in (rs.get("metadata") or {}).get("ownerReferences") or []:
                if owner.get("kind") == "Deployment":
                    return owner["name"]
        return None

    def _replica_sets(self, namespace: str, dep: dict[str, Any], timeout: float | None = None) -> list[dict[str, Any]]:
        labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        listed = self._plain(self._call(f"list replicasets in {namespace}", self.apps.list_namespaced_replica_set, namespace,
                                        label_selector=selector, timeout=timeout))
        uid = dep["metadata"].get("uid")
        return [
            rs for rs in listed.get("items") or []
            if any(o.get("kind") == "Deployment" and o.get("uid") == uid for o in (rs.get("metadata") or {}).get("ownerReferences") or [])
        ]

    def revisions(self, namespace: str, name: str) -> list[dict[str, Any]]:
        dep = self.read_deployment(namespace, name)
        if dep is None:
            raise NotFound(f"deployment {name!r} not found in namespace {namespace!r}")
        out = []
        for rs in self._replica_sets(namespace, dep):
            out.append({"revision": deployment_revision(rs), "image": (deployment_images(rs) or [""])[0], "replica_set": rs["metadata"]["name"]})
        return sorted(out, key=lambda r: r["revision"])

    def scale(self, namespace: str, name: str, replicas: int, timeout: float | None = None) -> dict[str, Any]:
        what = f"scale deployment {namespace}/{name}"
        scale = self._plain(self._call(what, self.apps.patch_namespaced_deployment_scale, name, namespace,
                                       {"spec": {"replicas": replicas}}, timeout=timeout, write=True))
        try:
            return self.read_deployment(namespace, name, timeout=timeout) or {}
        except BackendError:  # applied (the API said so); only the follow-up read failed
            return {"spec": {"replicas": (scale.get("spec") or {}).get("replicas", replicas)}, "status": scale.get("status") or {}}

    def restart(self, namespace: str, name: str, at: str, timeout: float | None = None) -> dict[str, Any]:
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}}}
        return self._plain(
            self._call(f"restart deployment {namespace}/{name}", self.apps.patch_namespaced_deployment, name, namespace, body,
                       _content_type="application/strategic-merge-patch+json", timeout=timeout, write=True)
        )

    def rollback(self, namespace: str, name: str, revision: int, timeout: float | None = None) -> dict[str, Any]:
        dep = self.read_deployment(namespace, name, timeout=timeout)
        if dep is None:
            raise NotFound(f"deployment {name!r} not found in namespace {namespace!r}")
        rs = next((r for r in self._replica_sets(namespace, dep, timeout=timeout) if deployment_revision(r) == revision), None)
        if rs is None:
            raise NotFound(f"deployment {name!r} has no ReplicaSet for revision {revision}")
        template = copy.deepcopy(rs["spec"]["template"])
        # As `kubectl rollout undo`: the ReplicaSet's template minus its hash label.
        (template.get("metadata") or {}).get("labels", {}).pop("pod-template-hash", None)
        patch = [{"op": "replace", "path": "/spec/template", "value": template}]
        return self._plain(
            self._call(f"rollback deployment {namespace}/{name}", self.apps.patch_namespaced_deployment, name, namespace, patch,
                       _content_type="application/json-patch+json", timeout=timeout, write=True)
        )
