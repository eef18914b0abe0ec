"""Fixture backends: a scenario folder playing the cluster, metrics and deploy history.

They hand out the same shapes the real backends do (Kubernetes API JSON, metric
dicts, deploy records), so nothing above this layer knows it is a demo.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sre_mcp.backends.base import NotFound
from sre_mcp.scenarios.loader import Scenario
from sre_mcp.series import Point
from sre_mcp.timeutil import parse_iso


class FixtureCluster:
    kind = "fixture"

    def __init__(self, scenario: Scenario):
        self.scenario = scenario

    def default_namespaces(self) -> list[str]:
        return list(self.scenario.namespaces)

    def list_pods(self, namespace: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(p) for p in self.scenario.pods if p["metadata"]["namespace"] == namespace]

    def read_pod(self, namespace: str, name: str) -> dict[str, Any] | None:
        for p in self.scenario.pods:
            if p["metadata"]["namespace"] == namespace and p["metadata"]["name"] == name:
                return copy.deepcopy(p)
        return None

    def pod_log(self, namespace: str, name: str, container: str | None, tail_lines: int, previous: bool) -> str:
        if container is None:
            pod = self.read_pod(namespace, name) or {}
            names = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
            container = names[0] if names else ""
        text = self.scenario.pod_logs.get((namespace, name, container, previous))
        if text is None:
            if previous:
                raise NotFound(
                    f'previous terminated container not found for pod "{name}"',
                    hint="the container has not restarted; call without previous=true",
                )
            return ""
        lines = text.splitlines()
        return "\n".join(lines[-tail_lines:])

    def list_events(self, namespace: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(e) for e in self.scenario.events if e["metadata"]["namespace"] == namespace]

    def list_deployments(self, namespace: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(d) for d in self.scenario.deployments if d["metadata"]["namespace"] == namespace]

    def pod_usage(self, namespace: str) -> dict[str, dict[str, str]]:
        return {pod: u for (ns, pod), u in self.scenario.pod_usage.items() if ns == namespace}


class FixtureMetrics:
    kind = "fixture"

    def __init__(self, scenario: Scenario):
        self.scenario = scenario

    def service_metrics(self, service: str) -> dict[str, Any] | None:
        m = self.scenario.metrics.get(service)
        if not m:
            return None
        return {k: m.get(k) for k in ("error_rate", "p99_ms", "rps") if m.get(k) is not None}

    def alerts(self, service: str) -> list[dict[str, Any]]:
        return [dict(a) for a in (self.scenario.metrics.get(service) or {}).get("alerts") or []]

    def service_series(self, service: str, start: datetime, end: datetime, step_s: float) -> dict[str, list[Point]]:
        """Every series the scenario gives the service, sampled on the query grid."""
        return {metric: s.sample(start, end, step_s) for metric, s in (self.scenario.series.get(service) or {}).items()}


class FixtureDeploys:
    kind = "fixture"

    def __init__(self, scenario: Scenario):
        self.scenario = scenario

    def deploys(self, service: str, since: datetime) -> list[dict[str, Any]]:
        out = []
        for d in self.scenario.deploys:
            at = parse_iso(d.get("at"))
            if d.get("service") == service and at is not None and at >= since:
                out.append(copy.deepcopy(d))
        return sorted(out, key=lambda d: d["at"], reverse=True)
