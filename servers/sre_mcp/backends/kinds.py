"""The Kubernetes kinds the server reads, declared once.

The real backend finds its client call here, the fixture cluster and the test API
stand-in find the URL path and list kind here, and the tools find the names a
user may type (`deploy`, `sts`, `pvc`...). Adding a kind is one line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    kind: str  # "StatefulSet"
    api_version: str  # "apps/v1"
    plural: str  # "statefulsets": the URL segment
    namespaced: bool
    client_api: str  # the kubernetes client's API class, e.g. "AppsV1Api"
    snake: str  # the client's method suffix: list_namespaced_<snake>, read_namespaced_<snake>
    aliases: tuple[str, ...] = ()

    @property
    def group_path(self) -> str:
        """`/api/v1` or `/apis/apps/v1`."""
        return "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        parts = [self.group_path]
        if self.namespaced and namespace:
            parts += ["namespaces", namespace]
        parts.append(self.plural)
        if name:
            parts.append(name)
        return "/".join(parts)


KINDS: dict[str, Kind] = {k.kind: k for k in (
    Kind("Pod", "v1", "pods", True, "CoreV1Api", "pod", ("po", "pod", "pods")),
    Kind("Event", "v1", "events", True, "CoreV1Api", "event", ("ev", "event", "events")),
    Kind("Node", "v1", "nodes", False, "CoreV1Api", "node", ("no", "node", "nodes")),
    Kind("Service", "v1", "services", True, "CoreV1Api", "service", ("svc", "service", "services")),
    Kind("Endpoints", "v1", "endpoints", True, "CoreV1Api", "endpoints", ("ep", "endpoints")),
    Kind("PersistentVolumeClaim", "v1", "persistentvolumeclaims", True, "CoreV1Api", "persistent_volume_claim",
         ("pvc", "pvcs", "persistentvolumeclaim", "persistentvolumeclaims")),
    Kind("ConfigMap", "v1", "configmaps", True, "CoreV1Api", "config_map", ("cm", "configmap", "configmaps")),
    Kind("Secret", "v1", "secrets", True, "CoreV1Api", "secret", ("secret", "secrets")),
    Kind("Deployment", "apps/v1", "deployments", True, "AppsV1Api", "deployment", ("deploy", "deployment", "deployments")),
    Kind("StatefulSet", "apps/v1", "statefulsets", True, "AppsV1Api", "stateful_set", ("sts", "statefulset", "statefulsets")),
    Kind("DaemonSet", "apps/v1", "daemonsets", True, "AppsV1Api", "daemon_set", ("ds", "daemonset", "daemonsets")),
    Kind("ReplicaSet", "apps/v1", "replicasets", True, "AppsV1Api", "replica_set", ("rs", "replicaset", "replicasets")),
    Kind("ControllerRevision", "apps/v1", "controllerrevisions", True, "AppsV1Api", "controller_revision",
         ("controllerrevision", "controllerrevisions")),
    Kind("Job", "batch/v1", "jobs", True, "BatchV1Api", "job", ("job", "jobs")),
    Kind("CronJob", "batch/v1", "cronjobs", True, "BatchV1Api", "cron_job", ("cj", "cronjob", "cronjobs")),
    Kind("HorizontalPodAutoscaler", "autoscaling/v2", "horizontalpodautoscalers", True, "AutoscalingV2Api",
         "horizontal_pod_autoscaler", ("hpa", "hpas", "horizontalpodautoscaler")),
)}

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


def by_name(text: str) -> Kind | None:
    """`sts`, `StatefulSet`, `statefulsets` → the StatefulSet kind."""
    t = text.strip()
    if t in KINDS:
        return KINDS[t]
    low = t.lower()
    return next((k for k in KINDS.values() if low == k.kind.lower() or low in k.aliases), None)
