"""No cluster at all: the server runs on a log store only (`--logs-db DIR` or
`--clickhouse-url` with no kubeconfig and no scenario). Every cluster call says so
plainly instead of inventing a demo cluster next to real logs."""

from __future__ import annotations

from typing import Any

from sre_mcp.backends.base import BackendError

HINT = "this server has no cluster configured (logs only): pass --kubeconfig, --in-cluster or --scenario; the log tools work"


class NoCluster:
    kind = "none"

    def default_namespaces(self) -> list[str]:
        return []

    def pod_usage(self, namespace: str) -> dict[str, dict[str, str]]:
        return {}

    def pod_usage_many(self, namespaces: list[str]) -> dict[tuple[str, str], dict[str, str]]:
        return {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def unavailable(*args: Any, **kwargs: Any) -> Any:
            raise BackendError("no cluster is configured", hint=HINT)

        return unavailable
