"""Service metrics and alerts from Prometheus' HTTP API (PromQL instant queries).

Queries are templates (config key `prometheus_queries`) in which `$service` stands
for the service name as a PromQL string literal, quotes included, so a template
cannot forget to quote it and a name cannot break out of it: names are validated
and escaped before they are put in.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

import httpx

from sre_mcp.backends.base import BackendError

# Conventional metric names (Prometheus client libraries, most HTTP middlewares).
DEFAULT_QUERIES: dict[str, str] = {
    "error_rate": (
        'sum(rate(http_requests_total{service=$service,code=~"5.."}[5m]))'
        " / sum(rate(http_requests_total{service=$service}[5m]))"
    ),
    "p99_ms": (
        "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service=$service}[5m]))) * 1000"
    ),
    "rps": "sum(rate(http_requests_total{service=$service}[5m]))",
}
# History for health trends: the same three, plus the pods' CPU and memory (cAdvisor names,
# pods named <service>-...). `$pods` stands for that pod-name regex as a string literal.
SERIES_QUERIES: dict[str, str] = {
    "cpu": 'sum(rate(container_cpu_usage_seconds_total{container!="",pod=~$pods}[5m]))',
    "memory": 'sum(container_memory_working_set_bytes{container!="",pod=~$pods})',
}
# Not a query: which alert label names the service.
ALERT_LABEL_KEY = "alert_service_label"
DEFAULT_ALERT_LABEL = "service"
_SERVICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def promql_string(value: str) -> str:
    """A PromQL double-quoted string literal (Go escaping rules)."""
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{out}"'


class PrometheusMetrics:
    kind = "prometheus"

    def __init__(self, url: str, queries: dict[str, str] | None = None, timeout: float = 5.0):
        queries = dict(queries or {})
        self.alert_label = str(queries.pop(ALERT_LABEL_KEY, DEFAULT_ALERT_LABEL))
        if not _LABEL.fullmatch(self.alert_label):
            raise BackendError(f"prometheus_queries.{ALERT_LABEL_KEY}: {self.alert_label!r} is not a label name")
        unknown = set(queries) - set(DEFAULT_QUERIES) - set(SERIES_QUERIES)
        if unknown:
            raise BackendError(
                f"prometheus_queries: unknown keys {', '.join(sorted(unknown))}",
                hint=f"known keys: {', '.join([*DEFAULT_QUERIES, *SERIES_QUERIES, ALERT_LABEL_KEY])}",
            )
        self.queries = {**DEFAULT_QUERIES, **SERIES_QUERIES, **queries}
        for key, template in self.queries.items():
            if "$service" not in template and "$pods" not in template:
                raise BackendError(f"prometheus_queries.{key} must contain $service (the quoted service name) or $pods")
        self.url = url.rstrip("/")
        self.timeout = timeout
        # Bounded connect and read: a hung Prometheus fails one call, not the server.
        self._http = httpx.Client(base_url=self.url, timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)))

    def render(self, key: str, service: str) -> str:
        if not isinstance(service, str) or not _SERVICE.fullmatch(service):
            raise BackendError(f"{service!r} is not a valid service name for a PromQL query")
        pods = promql_string(re.sub(r"([.\\+*?()\[\]{}|^$])", r"\\\1", service) + "-.*")
        return self.queries[key].replace("$service", promql_string(service)).replace("$pods", pods)

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        try:
            resp = self._http.get(path, params=params)  # queries are capped at 2,000 characters: GET fits
        except httpx.TimeoutException:
            raise BackendError(f"Prometheus at {self.url} did not answer within {self.timeout:g}s",
                               hint="retry later; health verdicts fall back to pods and rollout state") from None
        except httpx.HTTPError as exc:
            raise BackendError(f"cannot reach Prometheus at {self.url}: {exc}",
                               hint="check --prometheus-url") from None
        try:
            body = resp.json()
        except ValueError:
            raise BackendError(f"Prometheus at {self.url} answered HTTP {resp.status_code} with no JSON") from None
        if resp.status_code >= 400 or body.get("status") != "success":
            raise BackendError(
                f"Prometheus {path} failed (HTTP {resp.status_code}): {body.get('errorType', '')} {body.get('error', '')}".strip(),
                hint="fix the PromQL and retry" if body.get("errorType") == "bad_data" else None,
            )
        return body.get("data") or {}

    def _scalar(self, query: str) -> float | None:
        data = self._get("/api/v1/query", {"query": query})
        result = data.get("result")
        if data.get("resultType") == "scalar":
            result = [{"value": result}]
        if not result:
            return None  # no series: the service exports nothing under these names
        try:
            value = float(result[0]["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            raise BackendError(f"Prometheus returned an unexpected result for {query!r}") from None
        return None if math.isnan(value) or math.isinf(value) else value  # 0/0 with no traffic is NaN

    def service_metrics(self, service: str) -> dict[str, Any] | None:
        out = {}
        for key in DEFAULT_QUERIES:
            value = self._scalar(self.render(key, service))
            if value is not None:
                out[key] = round(value, 6) if key == "error_rate" else round(value, 2)
        return out or None

    def alerts(self, service: str) -> list[dict[str, Any]]:
        self.render("rps", service)  # same validation as queries
        data = self._get("/api/v1/alerts")
        out = []
        for a in data.get("alerts") or []:
            labels = a.get("labels") or {}
            if a.get("state") != "firing" or labels.get(self.alert_label) != service:
                continue
            ann = a.get("annotations") or {}
            out.append({
                "name": labels.get("alertname", "unnamed"),
                "severity": labels.get("severity", "warning"),
                "summary": ann.get("summary") or ann.get("description") or "",
                "since": a.get("activeAt"),
            })
        return sorted(out, key=lambda a: (a["severity"] != "critical", a["since"] or ""))

    # Free PromQL (query_metrics tools) ----------------------------------------------
    def query(self, promql: str, at: datetime | None = None) -> dict[str, Any]:
        """An instant query: Prometheus' `data` ({"resultType", "result"})."""
        params = {"query": promql, "timeout": f"{self.timeout:g}s"}
        if at is not None:
            params["time"] = f"{at.timestamp():.3f}"
        return self._get("/api/v1/query", params)

    def query_range(self, promql: str, start: datetime, end: datetime, step_s: float) -> dict[str, Any]:
        """A range query: `data` with resultType matrix ([{"metric", "values": [[t, "v"], ...]}])."""
        return self._get("/api/v1/query_range", {
            "query": promql, "start": f"{start.timestamp():.3f}", "end": f"{end.timestamp():.3f}",
            "step": f"{step_s:g}", "timeout": f"{self.timeout:g}s",
        })

    def service_series(self, service: str, start: datetime, end: datetime, step_s: float) -> dict[str, list[tuple[float, float]]]:
        """The health metrics and pod CPU/memory over a range, one series each (absent when empty)."""
        out = {}
        for key in self.queries:
            data = self.query_range(self.render(key, service), start, end, step_s)
            result = data.get("result") or []
            if result:
                out[key] = [(float(t), float(v)) for t, v in result[0].get("values") or []
                            if not (math.isnan(float(v)) or math.isinf(float(v)))]
        return {k: v for k, v in out.items() if v}
