"""Fixture backends: a scenario folder playing the cluster, metrics and deploy history.

They hand out the same shapes the real backends do (Kubernetes API JSON, metric
dicts, deploy records), so nothing above this layer knows it is a demo.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import Any

from sre_mcp.backends.base import BackendError, NotFound
from sre_mcp.scenarios.loader import Scenario
from sre_mcp.series import Piecewise, Point
from sre_mcp.timeutil import now_utc, parse_iso


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

    # The other kinds (nodes, workloads, services, volumes, config, autoscalers) ---------
    def _all(self, kind: str) -> list[dict[str, Any]]:
        if kind == "Pod":
            return self.scenario.pods
        if kind == "Event":
            return self.scenario.events
        if kind == "Deployment":
            return self.scenario.deployments
        return self.scenario.objects.get(kind, [])

    def list_objects(self, kind: str, namespace: str | None) -> list[dict[str, Any]]:
        return [copy.deepcopy(o) for o in self._all(kind)
                if namespace is None or (o.get("metadata") or {}).get("namespace") == namespace]

    def list_many(self, kind: str, namespaces: list[str]) -> list[dict[str, Any]]:
        out = []
        for ns in namespaces:
            out += self.list_objects(kind, ns)
        return out

    def pod_usage_many(self, namespaces: list[str]) -> dict[tuple[str, str], dict[str, str]]:
        return {(ns, pod): u for ns in namespaces for pod, u in self.pod_usage(ns).items()}

    def volume_usage_many(self, namespaces: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(ns, pvc): u for ns in namespaces for pvc, u in self.volume_usage(ns).items()}

    def read_object(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        for o in self._all(kind):
            meta = o.get("metadata") or {}
            if meta.get("name") == name and (namespace is None or meta.get("namespace") == namespace):
                return copy.deepcopy(o)
        return None

    def volume_usage(self, namespace: str) -> dict[str, dict[str, Any]]:
        return {pvc: dict(u) for (ns, pvc), u in self.scenario.volume_usage.items() if ns == namespace}


_SELECTOR = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$", re.S)
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def _normal(promql: str) -> str:
    return re.sub(r"\s+", "", promql)


def _num(v: float) -> str:
    return f"{v:.6g}"  # Prometheus sends sample values as strings


def _matchers(text: str, promql: str) -> list[tuple[str, Any]]:
    out, pos = [], 0
    while pos < len(text.strip()):
        m = _MATCHER.match(text, pos)
        if not m:
            raise BackendError(f"parse error in {promql!r}: bad label matcher at {text[pos:pos + 30]!r}",
                               hint='write matchers as service="name" or service=~"a|b"')
        label, op, value = m.group(1), m.group(2), m.group(3).replace('\\"', '"').replace("\\\\", "\\")
        if op in ("=~", "!~"):
            try:
                rx = re.compile(value)
            except re.error as exc:
                raise BackendError(f"parse error in {promql!r}: invalid regex {value!r}: {exc}") from None
            fn = (lambda v, rx=rx: rx.fullmatch(v) is not None) if op == "=~" else (lambda v, rx=rx: rx.fullmatch(v) is None)
        else:
            fn = (lambda v, value=value: v == value) if op == "=" else (lambda v, value=value: v != value)
        out.append((label, fn))
        pos = m.end()
    return out


class FixtureMetrics:
    kind = "fixture"

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self._rendered: dict[str, tuple[str, str]] | None = None

    def service_metrics(self, service: str) -> dict[str, Any] | None:
        m = self.scenario.metrics.get(service)
        if not m:
            return None
        return {k: m.get(k) for k in ("error_rate", "p99_ms", "rps") if m.get(k) is not None}

    def alerts(self, service: str) -> list[dict[str, Any]]:
        return [dict(a) for a in (self.scenario.metrics.get(service) or {}).get("alerts") or []]

    def service_series(self, service: str, start: datetime, end: datetime, step_s: float) -> dict[str, list[Point]]:
        """Every series the scenario gives the service, sampled on the query grid."""
        anchor = self.scenario.loaded_at
        return {metric: s.sample(start, end, step_s, anchor) for metric, s in (self.scenario.series.get(service) or {}).items()}

    # The PromQL the fixture understands (documented in scenarios/README.md) -------------
    def _templates(self) -> dict[str, tuple[str, str]]:
        """The real backend's health queries, rendered for each scenario service: normalized text → (service, metric)."""
        if self._rendered is None:
            from sre_mcp.backends.prometheus import DEFAULT_QUERIES, SERIES_QUERIES, PrometheusMetrics

            prom = PrometheusMetrics.__new__(PrometheusMetrics)  # render() only: no HTTP client
            prom.queries = {**DEFAULT_QUERIES, **SERIES_QUERIES}
            self._rendered = {
                _normal(prom.render(metric, svc)): (svc, metric)
                for svc in self.scenario.series for metric in prom.queries
            }
        return self._rendered

    def _select(self, promql: str) -> list[tuple[dict[str, str], Piecewise]]:
        hit = self._templates().get(_normal(promql))
        if hit:
            series = (self.scenario.series.get(hit[0]) or {}).get(hit[1])
            return [({}, series)] if series else []
        m = _SELECTOR.match(promql)
        if not m:
            raise BackendError(
                f"the demo metrics fixture cannot evaluate {promql!r}",
                hint="it answers a series name with an optional service matcher, e.g. "
                     'error_rate{service="payment-gateway"}, p99_ms, rps, cpu, memory (or any name in the '
                     "scenario's metrics.yaml), and the health queries of the Prometheus backend; "
                     "a real Prometheus (--prometheus-url) evaluates any PromQL",
            )
        name, matchers = m.group(1), _matchers(m.group(2) or "", promql)
        known = sorted({metric for series in self.scenario.series.values() for metric in series})
        if name not in known:
            return []  # as Prometheus: an unknown name is an empty result, not an error
        out = []
        for svc in sorted(self.scenario.series):
            series = self.scenario.series[svc].get(name)
            labels = {"__name__": name, "service": svc}
            if series is not None and all(fn(labels.get(label, "")) for label, fn in matchers):
                out.append((labels, series))
        return out

    def query(self, promql: str, at: datetime | None = None) -> dict[str, Any]:
        at = at or now_utc()
        return {"resultType": "vector", "result": [
            {"metric": labels, "value": [at.timestamp(), _num(series.value_at(at))]}
            for labels, series in self._select(promql)
        ]}

    def query_range(self, promql: str, start: datetime, end: datetime, step_s: float) -> dict[str, Any]:
        result = []
        for labels, series in self._select(promql):
            values = [[t, _num(v)] for t, v in series.sample(start, end, step_s, self.scenario.loaded_at)]
            if values:
                result.append({"metric": labels, "values": values})
        return {"resultType": "matrix", "result": result}


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
