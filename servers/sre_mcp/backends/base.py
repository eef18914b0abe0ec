"""The backend interface: one protocol per domain.

Every tool is written once against these. The fixture backends (a scenario folder)
and the real ones (Kubernetes API, ClickHouse, Prometheus) implement them, and which
one runs is configuration. Cluster objects are exchanged in the Kubernetes API's own
JSON shape (camelCase dicts), so the fixture and a real cluster share the status
derivation and describe code in `kube.py`.

Backends are synchronous and may block; the tool layer runs them on worker threads
under a timeout, so a hung API server cannot stall the server.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, runtime_checkable


class BackendError(Exception):
    """A backend failed in a way the caller should see (unreachable, timed out, refused).

    `hint` tells the model or the user what to try instead.
    """

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


class NotFound(BackendError):
    """The object does not exist; `hint` names what does."""


@runtime_checkable
class ClusterBackend(Protocol):
    kind: str  # "fixture" | "kubernetes"

    def default_namespaces(self) -> list[str]:
        """Namespaces allowed when the configuration names none."""

    def list_pods(self, namespace: str) -> list[dict[str, Any]]:
        """v1.Pod objects of a namespace."""

    def read_pod(self, namespace: str, name: str) -> dict[str, Any] | None:
        """One v1.Pod, or None when it does not exist."""

    def pod_log(self, namespace: str, name: str, container: str | None, tail_lines: int, previous: bool) -> str:
        """The container's log text (last `tail_lines` lines). NotFound when there is none."""

    def list_events(self, namespace: str) -> list[dict[str, Any]]:
        """v1.Event objects of a namespace."""

    def list_deployments(self, namespace: str) -> list[dict[str, Any]]:
        """apps/v1.Deployment objects of a namespace."""

    def pod_usage(self, namespace: str) -> dict[str, dict[str, str]]:
        """Current usage per pod name ({"cpu": "250m", "memory": "384Mi"}); empty when unknown."""

    def list_objects(self, kind: str, namespace: str | None) -> list[dict[str, Any]]:
        """Objects of a kind in `kinds.KINDS` ("StatefulSet", "Node"...), API-shaped with kind and
        apiVersion set; `namespace` is None for cluster-scoped kinds."""

    def read_object(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """One object, or None when it does not exist."""

    def volume_usage(self, namespace: str) -> dict[str, dict[str, Any]]:
        """Per PVC name: {"used_bytes", "capacity_bytes", "available_bytes"} as the kubelet's summary
        API reports them for mounted volumes; empty when unknown."""

    # Several namespaces at once (a tool's namespace="*"): a real cluster reads them with one
    # cluster-wide list + watch when there are many; keys carry the namespace.
    def list_many(self, kind: str, namespaces: list[str]) -> list[dict[str, Any]]:
        """Objects of a namespaced kind in these namespaces, namespace by namespace."""

    def pod_usage_many(self, namespaces: list[str]) -> dict[tuple[str, str], dict[str, str]]:
        """pod_usage of several namespaces, by (namespace, pod)."""

    def volume_usage_many(self, namespaces: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
        """volume_usage of several namespaces, by (namespace, claim)."""


@runtime_checkable
class LogsBackend(Protocol):
    kind: str  # "chdb" | "clickhouse"

    def query(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run parameterised ClickHouse SQL ({name:Type} placeholders), rows as dicts."""


@runtime_checkable
class MetricsBackend(Protocol):
    kind: str  # "fixture" | "prometheus"

    def service_metrics(self, service: str) -> dict[str, Any] | None:
        """{"error_rate": 0..1, "p99_ms": float, "rps": float}, or None when nothing is known."""

    def alerts(self, service: str) -> list[dict[str, Any]]:
        """Firing alerts: [{"name", "severity", "summary", "since"}]."""


@runtime_checkable
class DeployHistoryBackend(Protocol):
    kind: str

    def deploys(self, service: str, since: datetime) -> list[dict[str, Any]]:
        """Deploys of a service since a time, newest first:
        [{"service", "version", "image", "at", "author", "revision", "change", "status"}]."""
