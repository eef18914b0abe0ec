"""A real cluster through the official `kubernetes` client, read-only.

Objects are fetched with `_preload_content=False` and decoded as plain JSON, so they
reach `kube.py` in exactly the API's camelCase shape, the same as the fixture
cluster's. Every request has a connect and read timeout and no retries: a dead or
hung API server becomes a BackendError within `timeout` seconds, never a stall.
Nothing here writes to the cluster.
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable

import yaml

from sre_mcp.backends.base import BackendError, NotFound
from sre_mcp.backends import kube
from sre_mcp.backends.kinds import KINDS
from sre_mcp.deploy_diff import change_kind, template_diff
from sre_mcp.timeutil import parse_iso

# From this many namespaces on, a kind is read with one cluster-wide list + watch filtered to
# the namespaces asked for, instead of a list + watch per namespace (docs/live.md has the figures).
CLUSTER_WIDE_AT = 10
USAGE_TTL = 15.0  # seconds: metrics-server scrapes every 15 s by default, so a fresher read adds nothing

# What Kubernetes mounts into every pod for its service account: token, ca.crt, namespace.
SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"


def _kubeconfig_paths(kubeconfig: Path | None) -> list[Path]:
    if kubeconfig:
        return [Path(kubeconfig).expanduser()]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return [Path("~/.kube/config").expanduser()]


def kubeconfig_context(kubeconfig: Path | None, context: str | None) -> tuple[str | None, dict[str, Any], list[str]]:
    """(context name, its `context:` mapping, all context names) read with plain YAML,
    so start-up needs neither the client library nor a reachable server."""
    contexts: dict[str, dict[str, Any]] = {}
    current = None
    for path in _kubeconfig_paths(kubeconfig):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        if not isinstance(data, dict):
            continue
        current = current or data.get("current-context")
        for c in data.get("contexts") or []:
            if isinstance(c, dict) and c.get("name") and c["name"] not in contexts:
                contexts[c["name"]] = c.get("context") or {}
    name = context or current
    return name, contexts.get(name or "", {}), sorted(contexts)


def _quantity(text: str) -> Decimal | None:
    """A Kubernetes resource quantity ("250m", "384Mi", "1.5", "2G") as a number."""
    m = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", str(text).strip())
    if not m:
        return None
    factors = {"": 1, "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": 10**3, "M": 10**6,
               "G": 10**9, "T": 10**12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
    if m.group(2) not in factors:
        return None
    try:
        return Decimal(m.group(1)) * Decimal(factors[m.group(2)])
    except InvalidOperation:
        return None


def _sum_usage(containers: list[dict[str, Any]]) -> dict[str, str]:
    """Per-container metrics summed to one pod figure, written the way `kubectl top` does."""
    cpu = sum((_quantity((c.get("usage") or {}).get("cpu", "0")) or Decimal(0)) for c in containers)
    mem = sum((_quantity((c.get("usage") or {}).get("memory", "0")) or Decimal(0)) for c in containers)
    return {"cpu": f"{int(cpu * 1000)}m", "memory": f"{int(mem / 2**20)}Mi"}


class KubernetesCluster:
    kind = "kubernetes"

    def __init__(self, kubeconfig: Path | None, context: str | None, in_cluster: bool, timeout: float, watch: bool = True,
                 cluster_wide_at: int = CLUSTER_WIDE_AT):
        self.kubeconfig = Path(kubeconfig).expanduser() if kubeconfig else None
        self.context = context
        self.in_cluster = in_cluster
        self.timeout = float(timeout)
        self._api: Any = None
        self._lock = threading.Lock()
        # Watch-based caches per (kind, namespace): list once, then watch (backends/watch.py).
        self.watch = watch
        self._caches: dict[tuple[str, str | None], Any] = {}
        self._cache_lock = threading.Lock()
        from sre_mcp.backends.watch import Clock

        self._clock = Clock()  # one for all caches: a generation from any of them compares with the others
        self.cluster_wide_at = cluster_wide_at
        self._wide_refused: set[str] = set()  # kinds the credentials may not list cluster-wide (RBAC 403)
        self._usage: dict[Any, tuple[float, Any]] = {}  # metrics read within USAGE_TTL
        self._usage_built: dict[Any, tuple[Any, Any]] = {}  # usage dicts built from those reads
        self.on_change: Callable[[str, str | None, int], None] | None = None  # set by the server to tell clients
        self.server = "in-cluster API server" if in_cluster else "the Kubernetes API server"

    # configuration ---------------------------------------------------------
    def default_namespaces(self) -> list[str]:
        if self.in_cluster:
            try:
                return [(SA_DIR / "namespace").read_text().strip() or "default"]
            except OSError:
                return ["default"]
        _, ctx, _ = kubeconfig_context(self.kubeconfig, self.context)
        return [ctx.get("namespace") or "default"]

    def _client(self) -> Any:
        """The ApiClient, built on first use: importing the client library costs time
        that `initialize` must not wait for."""
        with self._lock:
            if self._api is not None:
                return self._api
            from kubernetes import client, config
            from kubernetes.config.config_exception import ConfigException

            cfg = client.Configuration()
            try:
                if self.in_cluster:
                    # KUBERNETES_SERVICE_HOST/PORT from the environment, the service
                    # account's token (re-read as it rotates) and CA from SA_DIR.
                    from kubernetes.config.incluster_config import InClusterConfigLoader

                    InClusterConfigLoader(token_filename=str(SA_DIR / "token"), cert_filename=str(SA_DIR / "ca.crt"),
                                          environ=os.environ).load_and_set(cfg)
                else:
                    paths = _kubeconfig_paths(self.kubeconfig)
                    if not any(p.is_file() for p in paths):
                        raise BackendError(
                            f"kubeconfig not found: {', '.join(map(str, paths))}",
                            hint="pass --kubeconfig PATH, or --in-cluster inside a pod",
                        )
                    config.load_kube_config(
                        config_file=str(paths[0]) if len(paths) == 1 else None,
                        context=self.context, client_configuration=cfg, persist_config=False,
                    )
            except ConfigException as exc:
                if self.in_cluster:
                    raise BackendError(
                        f"cannot load the in-cluster configuration: {exc}",
                        hint=f"--in-cluster needs KUBERNETES_SERVICE_HOST/PORT and a service account in {SA_DIR} "
                             "(inside a pod); elsewhere pass --kubeconfig PATH",
                    ) from None
                _, _, names = kubeconfig_context(self.kubeconfig, self.context)
                raise BackendError(
                    f"cannot load Kubernetes configuration: {exc}",
                    hint=("contexts in the kubeconfig: " + ", ".join(names)) if names else None,
                ) from None
            # urllib3 would otherwise retry a refused or timed-out GET three times,
            # multiplying the wait; the tool layer reports the failure instead.
            cfg.retries = False
            self.server = cfg.host
            self._api = client.ApiClient(cfg)
            return self._api

    @property
    def api_client(self) -> Any:
        """The configured ApiClient, for the write tools (backends/writes.py)."""
        return self._client()

    # requests ----------------------------------------------------------------
    def _call(self, api_name: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """One typed client call, undecoded (`_preload_content=False`): the body is
        the API's JSON (or log text) as bytes. ApiException passes through for
        callers that read a status as an answer (404 → None)."""
        api = self._client()
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError, ReadTimeoutError

        try:
            resp = getattr(getattr(client, api_name)(api), method)(
                *args, _preload_content=False, _request_timeout=(self.timeout, self.timeout), **kwargs
            )
            return resp.data
        except ApiException:
            raise
        except ReadTimeoutError:
            raise BackendError(
                f"{self.server} did not answer within {self.timeout:g}s",
                hint="the API server is overloaded or unreachable; try again, or check `kubectl cluster-info`",
            ) from None
        except HTTPError as exc:  # refused, DNS, TLS: urllib3 wraps them all
            reason = getattr(exc, "reason", None) or exc
            if isinstance(reason, ReadTimeoutError) or "timed out" in str(reason).lower():
                raise BackendError(
                    f"{self.server} did not answer within {self.timeout:g}s",
                    hint="the API server is overloaded or unreachable; try again, or check `kubectl cluster-info`",
                ) from None
            raise BackendError(
                f"cannot reach {self.server}: {_reason(reason)}",
                hint="check the kubeconfig's server address, VPN, and `kubectl cluster-info`",
            ) from None
        except OSError as exc:
            raise BackendError(f"cannot reach {self.server}: {exc}") from None

    def _json(self, what: str, api_name: str, method: str, *args: Any, **kwargs: Any) -> Any:
        from kubernetes.client.exceptions import ApiException

        try:
            return json.loads(self._call(api_name, method, *args, **kwargs) or b"{}")
        except ApiException as exc:
            raise _api_error(exc, what) from None

    def _cached(self, kind: str, namespace: str | None) -> list[dict[str, Any]]:
        """The objects of a kind, from its watch cache when that is live; otherwise listed now
        (with this call's own errors) and, from that list, a new cache starts watching."""
        key = (kind, namespace)
        cache = self._serving(kind, namespace)
        if cache is not None:
            return cache.items(namespace)
        k = KINDS[kind]
        if not k.namespaced:
            what, method, args = k.plural, f"list_{k.snake}", ()
        elif namespace is None:
            what, method, args = f"{k.plural} in all namespaces", f"list_{k.snake}_for_all_namespaces", ()
        else:
            what, method, args = f"{k.plural} in namespace {namespace!r}", f"list_namespaced_{k.snake}", (namespace,)

        def list_now() -> dict[str, Any]:
            return self._json(what, k.client_api, method, *args)

        listing = list_now()
        if not self.watch:
            return [{"apiVersion": k.api_version, "kind": kind, **item} for item in listing.get("items") or []]
        from kubernetes import client

        from sre_mcp.backends.watch import WatchCache

        watch_fn = getattr(getattr(client, k.client_api)(self._client()), method)
        fresh = WatchCache(kind, k.api_version, namespace, listing, list_now, watch_fn,
                           on_change=self._changed, timeout=self.timeout, clock=self._clock)
        with self._cache_lock:
            old = self._caches.get(key)
            if old is not None and old.live:  # another thread won the race: keep one watch
                return old.items()
            self._caches[key] = fresh
            # A cluster-wide cache serves every namespace of its kind: their own watches can go.
            narrower = [c for (kd, ns), c in self._caches.items() if kd == kind and ns is not None] if namespace is None else []
            for c in narrower:
                del self._caches[(kind, c.namespace)]
        for c in ([old] if old is not None else []) + narrower:
            c.stop()
        fresh.start()
        return fresh.items()

    def _serving(self, kind: str, namespace: str | None) -> Any:
        """The live cache that holds (kind, namespace): its own, or the kind's cluster-wide one."""
        cache = self._caches.get((kind, namespace))
        if cache is not None and cache.live:
            return cache
        wide = self._caches.get((kind, None)) if namespace is not None else None
        return wide if wide is not None and wide.live else None

    def _wide(self, kind: str, namespaces: list[str]) -> bool:
        """Read these namespaces through one cluster-wide list + watch? Yes when there are many of
        them, or a cluster-wide cache is live already, unless RBAC refused it."""
        if not KINDS[kind].namespaced or kind in self._wide_refused:
            return False
        return len(namespaces) >= self.cluster_wide_at or self._serving(kind, None) is not None

    def list_many(self, kind: str, namespaces: list[str]) -> list[dict[str, Any]]:
        """The objects of a kind in several namespaces, in the order asked (namespace by namespace)."""
        if not KINDS[kind].namespaced:
            return self._cached(kind, None)
        if self._wide(kind, namespaces):
            try:
                everything = self._cached(kind, None)
            except Forbidden:  # may list namespace by namespace only: do that
                self._wide_refused.add(kind)
            else:
                cache = self._serving(kind, None)
                if cache is not None:
                    return [o for ns in namespaces for o in cache.items(ns)]
                order = {ns: i for i, ns in enumerate(namespaces)}  # watch off: filter the list just made
                return sorted((o for o in everything if (o.get("metadata") or {}).get("namespace") in order),
                              key=lambda o: order[o["metadata"]["namespace"]])
        return [o for ns in namespaces for o in self._cached(kind, ns)]

    def _changed(self, kind: str, namespace: str | None, generation: int) -> None:
        if self.on_change is not None:
            self.on_change(kind, namespace, generation)

    def generation(self, kind: str, namespace: str | None) -> int | None:
        """The version of (kind, namespace) as the live cache holds it, None when nothing is cached live."""
        cache = self._serving(kind, namespace)
        return cache.generation if cache is not None else None

    def changes_since(self, kind: str, namespace: str | None, generation: int) -> tuple[int, list[dict[str, Any]], list[str]] | None:
        """Objects changed and names deleted since a generation of the live cache; None: read it all."""
        cache = self._serving(kind, namespace)
        if cache is None:
            return None
        got = cache.changes_since(generation, None if cache.namespace == namespace else {namespace} if namespace else None)
        if got is None:
            return None
        gen, changed, deleted = got
        return gen, changed, [name for _, name in deleted]

    def generation_many(self, kind: str, namespaces: list[str]) -> int | None:
        """A version of the objects of several namespaces: the clock, read before the objects are,
        when every one of them is cached live (so every later change is numbered above it)."""
        now = self._clock.now()
        return now if all(self._serving(kind, ns) is not None for ns in namespaces) else None

    def changes_since_many(self, kind: str, namespaces: list[str], generation: int,
                           ) -> tuple[int, list[dict[str, Any]], list[str]] | None:
        """Changed objects and deleted `namespace/name`s in these namespaces since a generation of
        generation_many; None when a cache cannot say (then read it all)."""
        now = self._clock.now()
        changed: list[dict[str, Any]] = []
        deleted: list[str] = []
        seen: set[int] = set()
        wanted = set(namespaces)
        for ns in namespaces:
            cache = self._serving(kind, ns)
            if cache is None:
                return None
            if id(cache) in seen:
                continue
            seen.add(id(cache))
            got = cache.changes_since(generation, wanted if cache.namespace is None else None)
            if got is None:
                return None
            changed += got[1]
            deleted += [f"{d_ns}/{name}" for d_ns, name in got[2]]
        return max(now, generation), changed, deleted

    def caches(self) -> list[dict[str, Any]]:
        return [{"kind": c.kind, "namespace": c.namespace, "objects": len(c.items()), "generation": c.generation,
                 "live": c.live, "relists": c.relists, "events": c.events, "error": c.error}
                for c in list(self._caches.values())]

    def close(self) -> None:
        for c in list(self._caches.values()):
            c.stop()

    # ClusterBackend ----------------------------------------------------------
    def list_pods(self, namespace: str) -> list[dict[str, Any]]:
        return self._cached("Pod", namespace)

    def read_pod(self, namespace: str, name: str) -> dict[str, Any] | None:
        from kubernetes.client.exceptions import ApiException

        try:
            return json.loads(self._call("CoreV1Api", "read_namespaced_pod", name, namespace))
        except ApiException as exc:
            if exc.status == 404:
                return None  # the tool layer answers with the pods that do exist
            raise _api_error(exc, f"pod {namespace}/{name}") from None

    def pod_log(self, namespace: str, name: str, container: str | None, tail_lines: int, previous: bool) -> str:
        from kubernetes.client.exceptions import ApiException

        kwargs: dict[str, Any] = {"tail_lines": int(tail_lines), "previous": bool(previous)}
        if container:
            kwargs["container"] = container
        try:
            data = self._call("CoreV1Api", "read_namespaced_pod_log", name, namespace, **kwargs)
        except ApiException as exc:
            # The API answers 400 (not 404) when there is no previous container or
            # it is still being created: for the caller that is "no such log".
            if exc.status in (400, 404):
                hint = "the container has not restarted; call without previous=true" if previous else None
                raise NotFound(_status_message(exc) or f"no log for pod {name!r}", hint=hint) from None
            raise _api_error(exc, f"log of pod {namespace}/{name}") from None
        return data.decode("utf-8", errors="replace")

    def list_events(self, namespace: str) -> list[dict[str, Any]]:
        return self._cached("Event", namespace)

    def list_deployments(self, namespace: str) -> list[dict[str, Any]]:
        return self._cached("Deployment", namespace)

    def list_replicasets(self, namespace: str) -> list[dict[str, Any]]:
        return self._cached("ReplicaSet", namespace)

    def _metrics(self, namespace: str | None) -> list[dict[str, Any]]:
        """PodMetrics items from metrics-server (metrics.k8s.io) of a namespace or of all, read at
        most every USAGE_TTL seconds; none when it is not installed."""
        import time

        from kubernetes.client.exceptions import ApiException

        hit = self._usage.get(namespace)
        if hit is not None and time.monotonic() - hit[0] < USAGE_TTL:
            return hit[1]
        try:
            if namespace is None:
                data = self._call("CustomObjectsApi", "list_cluster_custom_object", "metrics.k8s.io", "v1beta1", "pods")
            else:
                data = self._call("CustomObjectsApi", "list_namespaced_custom_object", "metrics.k8s.io", "v1beta1", namespace, "pods")
            items = json.loads(data).get("items") or []
        except ApiException:
            items = []
        self._usage[namespace] = (time.monotonic(), items)
        return items

    def _summed(self, key: Any, items: list[dict[str, Any]], build: Callable[[list[dict[str, Any]]], Any]) -> Any:
        """`build(items)`, kept while the metrics read is the same one: callers get the same dict
        back until metrics-server is read again (so a caller can tell nothing changed cheaply)."""
        hit = self._usage_built.get(key)
        if hit is not None and hit[0] is items:
            return hit[1]
        built = build(items)
        self._usage_built[key] = (items, built)
        return built

    def pod_usage(self, namespace: str) -> dict[str, dict[str, str]]:
        """From metrics-server (metrics.k8s.io); empty when it is not installed. Callers must not change it."""
        return self._summed(namespace, self._metrics(namespace), lambda items: {
            (item.get("metadata") or {}).get("name"): _sum_usage(item.get("containers") or []) for item in items})

    def pod_usage_many(self, namespaces: list[str]) -> dict[tuple[str, str], dict[str, str]]:
        """Usage per (namespace, pod): one cluster-wide metrics read for many namespaces."""
        if len(namespaces) < self.cluster_wide_at:
            return {(ns, name): u for ns in namespaces for name, u in self.pod_usage(ns).items()}
        wanted = set(namespaces)

        def build(items: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, str]]:
            out = {}
            for item in items:
                meta = item.get("metadata") or {}
                if meta.get("namespace") in wanted:
                    out[(meta["namespace"], meta.get("name"))] = _sum_usage(item.get("containers") or [])
            return out

        return self._summed(tuple(namespaces), self._metrics(None), build)

    # Every other kind, from the one table in kinds.py -----------------------------
    def list_objects(self, kind: str, namespace: str | None) -> list[dict[str, Any]]:
        return self._cached(kind, namespace if KINDS[kind].namespaced else None)

    def read_object(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        from kubernetes.client.exceptions import ApiException

        k = KINDS[kind]
        cache = self._serving(kind, namespace if k.namespaced else None)
        if cache is not None:
            found = cache.get(name, namespace if k.namespaced else None)
            return copy.deepcopy(found) if found is not None else None
        args = (name, namespace) if k.namespaced else (name,)
        method = f"read_namespaced_{k.snake}" if k.namespaced else f"read_{k.snake}"
        try:
            obj = json.loads(self._call(k.client_api, method, *args))
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise _api_error(exc, f"{kind} {namespace + '/' if namespace else ''}{name}") from None
        return {"apiVersion": k.api_version, "kind": kind, **obj}

    def volume_usage(self, namespace: str) -> dict[str, dict[str, Any]]:
        """From the kubelet's summary API (nodes/<node>/proxy/stats/summary) of each node that
        runs a pod of the namespace; a node that does not answer is skipped, not fatal."""
        return {name: u for (_, name), u in self.volume_usage_many([namespace]).items()}

    def volume_usage_many(self, namespaces: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
        """Usage per (namespace, claim), each node's summary read once for all the namespaces."""
        from kubernetes.client.exceptions import ApiException

        wanted = set(namespaces)
        nodes = sorted({(p.get("spec") or {}).get("nodeName") for p in self.list_many("Pod", namespaces)} - {None})
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for node in nodes:
            try:
                summary = json.loads(self._call("CoreV1Api", "connect_get_node_proxy_with_path", node, "stats/summary"))
            except (ApiException, BackendError, ValueError):
                continue
            for pod in summary.get("pods") or []:
                for vol in pod.get("volume") or []:
                    ref = vol.get("pvcRef") or {}
                    if ref.get("namespace") in wanted and ref.get("name"):
                        out[(ref["namespace"], ref["name"])] = {
                            "used_bytes": vol.get("usedBytes"), "capacity_bytes": vol.get("capacityBytes"),
                            "available_bytes": vol.get("availableBytes")}
        return out

    def version(self) -> dict[str, Any]:
        return self._json("version", "VersionApi", "get_code")


def _reason(reason: Any) -> str:
    text = str(reason)
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "connection timed out"
    return text.split(": ", 1)[-1][:200]


def _status_message(exc: Any) -> str:
    """The `message` of the API's Status object, or the HTTP reason."""
    try:
        return str(json.loads(exc.body).get("message") or "")
    except (TypeError, ValueError, AttributeError):
        return str(exc.reason or "")


def _api_error(exc: Any, what: str) -> BackendError:
    message = _status_message(exc)
    if exc.status in (401, 403):
        return Forbidden(
            f"Kubernetes API refused access to {what} ({exc.status}): {message}",
            hint=("the credentials lack read permission (RBAC: get/list/watch on pods, pods/log, events, deployments, replicasets, "
                  "statefulsets, daemonsets, jobs, cronjobs, nodes, services, endpoints, persistentvolumeclaims, configmaps, secrets, "
                  "horizontalpodautoscalers; get on nodes/proxy for volume usage)"),
        )
    if exc.status == 404:
        return NotFound(f"{what}: {message or 'not found'}")
    if not exc.status and "SSL" in str(exc.reason or ""):  # the client reports TLS failures as status 0
        detail = re.search(r"\] ([^(]+)", str(exc.reason))
        return BackendError(
            f"cannot verify the Kubernetes API server's TLS certificate ({what}): "
            f"{(detail.group(1) if detail else str(exc.reason)).strip()[:200]}",
            hint="check the CA: certificate-authority(-data) in the kubeconfig, or ca.crt of the service account",
        )
    return BackendError(f"Kubernetes API error on {what} ({exc.status}): {message or exc.reason}")


class Forbidden(BackendError):
    """The API refused the credentials this read (401/403): RBAC, or a cluster-wide list
    asked of namespace-scoped permissions."""


class KubernetesDeploys:
    """Deploy history from a Deployment's ReplicaSets: each revision is a rollout.

    The RS's creation time is when that revision first rolled out; a rollback re-uses
    an old RS and gives it a new revision number, so its `at` stays the original
    rollout time (Kubernetes keeps no better record).
    """

    kind = "kubernetes"

    def __init__(self, cluster: Any, services_fn: Callable[[], list[Any]]):
        self.cluster = cluster
        self.services_fn = services_fn

    def deploys(self, service: str, since: datetime) -> list[dict[str, Any]]:
        svc = next((s for s in self.services_fn() if s.name == service), None)
        if svc is None or not hasattr(self.cluster, "list_replicasets"):
            return []
        deployment = next(
            (d for d in self.cluster.list_deployments(svc.namespace) if d["metadata"]["name"] == svc.deployment), None
        )
        current = ((deployment or {}).get("metadata", {}).get("annotations") or {}).get(REVISION)
        complete = _rollout_complete(deployment) if deployment else None
        owned = [rs for rs in self.cluster.list_replicasets(svc.namespace)
                 if any(o.get("kind") == "Deployment" and o.get("name") == svc.deployment
                        for o in (rs.get("metadata") or {}).get("ownerReferences") or [])]
        # Each revision against the one before it, whether or not that one is in the window: the
        # same diff get_rollout_history shows, so a config-only revision is not called an image deploy.
        diffs: dict[str, dict[str, Any]] = {}
        numbered = sorted((r for r in owned if str(((r.get("metadata") or {}).get("annotations") or {}).get(REVISION, "")).isdigit()),
                          key=lambda r: int(r["metadata"]["annotations"][REVISION]))
        for before, after in zip(numbered, numbered[1:]):
            diffs[after["metadata"]["name"]] = template_diff(kube.template_summary(kube.revision_template(before)),
                                                             kube.template_summary(kube.revision_template(after)))
        out = []
        for rs in owned:
            meta = rs.get("metadata") or {}
            annotations = meta.get("annotations") or {}
            at = parse_iso(meta.get("creationTimestamp"))
            if at is None or at < since:
                continue
            containers = (((rs.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
            image = containers[0].get("image") if containers else None
            revision = annotations.get(REVISION)
            if revision is not None and revision == current:
                status = "current" if complete else "rolling out"
            else:
                status = "superseded"
            entry = {
                "service": service,
                "version": _tag(image),
                "image": image,
                "at": meta.get("creationTimestamp"),
                "author": None,  # Kubernetes does not record who applied a change
                "revision": int(revision) if str(revision or "").isdigit() else revision,
                "change": annotations.get(CHANGE_CAUSE),
                "status": status,
                "replicaset": meta.get("name"),
            }
            diff = diffs.get(meta.get("name"))
            if diff:
                entry["diff"] = diff
                entry["kind"] = "image" if change_kind(diff) == "image" else "config"
            out.append(entry)
        return sorted(out, key=lambda d: (d["at"] or "", str(d["revision"])), reverse=True)


def _rollout_complete(dep: dict[str, Any]) -> bool:
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    desired = int(spec.get("replicas") if spec.get("replicas") is not None else 1)
    return int(status.get("updatedReplicas") or 0) >= desired and int(status.get("availableReplicas") or 0) >= desired


def _tag(image: str | None) -> str | None:
    if not image:
        return None
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


class NoMetrics:
    """No metrics source configured: health verdicts rest on rollout and pod state."""

    kind = "none"

    def service_metrics(self, service: str) -> dict[str, Any] | None:
        return None

    def alerts(self, service: str) -> list[dict[str, Any]]:
        return []
