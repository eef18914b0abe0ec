"""Service health: metrics, alerts and rollout state combined into one verdict."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import Field

from sre_mcp.backends import kube
from sre_mcp.backends.base import BackendError
from sre_mcp.runtime import Runtime
from sre_mcp.series import summarize
from sre_mcp.timeutil import now_utc
from sre_mcp.tools import tool


def trends(series: dict[str, list[Any]], now: Any = None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Per-metric summaries, and the onset: the earliest rise of error rate or p99."""
    out = {metric: summarize(metric, points, now) for metric, points in series.items() if points}
    onset = None
    for metric in ONSET_METRICS:
        change = (out.get(metric) or {}).get("change")
        if change and change["direction"] == "rose" and (onset is None or change["at"] < onset["at"]):
            onset = {"metric": metric, **change}
    return out, onset

# Thresholds as data: (metric, degraded at, critical at).
THRESHOLDS = {
    "error_rate": (0.01, 0.05),
    "p99_ms": (1000.0, 3000.0),
}
STATUS_ORDER = {"critical": 0, "degraded": 1, "unknown": 2, "healthy": 3}
INFO_SEVERITIES = {"info", "none"}
# How far back health looks for the onset, and at what resolution.
TREND_WINDOW_S = 3 * 3600
TREND_STEP_S = 60
# A rise of these is trouble (a fall of rps can be too, but is reported, not used as onset).
ONSET_METRICS = ("error_rate", "p99_ms")


def classify(metrics: dict[str, Any] | None, alerts: list[dict[str, Any]], ready: int | None, desired: int | None,
             unhealthy_pods: int) -> tuple[str, list[str]]:
    """A verdict and the reasons for it, from every signal we have."""
    level, reasons = 3, []

    def raise_to(status: str, why: str) -> None:
        nonlocal level
        level = min(level, STATUS_ORDER[status])
        reasons.append(why)

    for key, (warn, crit) in THRESHOLDS.items():
        value = (metrics or {}).get(key)
        if value is None:
            continue
        shown = f"{value:.1%}" if key == "error_rate" else f"{value:.0f} ms"
        if value >= crit:
            raise_to("critical", f"{key} {shown} ≥ {crit if key != 'error_rate' else f'{crit:.0%}'}")
        elif value >= warn:
            raise_to("degraded", f"{key} {shown} ≥ {warn if key != 'error_rate' else f'{warn:.0%}'}")
    for a in alerts:
        sev = str(a.get("severity", "warning")).lower()
        if sev in INFO_SEVERITIES:
            continue  # informational: shown with the alerts, never a reason to page
        raise_to("critical" if sev == "critical" else "degraded", f"alert {a.get('name')} ({sev}) firing: {a.get('summary', '')}".strip())
    if desired:
        if ready is not None and ready < desired:
            raise_to("critical" if ready * 2 < desired or ready == 0 else "degraded", f"{ready}/{desired} replicas ready")
    if unhealthy_pods:
        raise_to("degraded", f"{unhealthy_pods} unhealthy pod(s)")
    if metrics is None and desired is None:
        return "unknown", ["no metrics and no deployment found"]
    status = next(s for s, n in STATUS_ORDER.items() if n == level)
    return status, reasons


class HealthTools:
    def __init__(self, rt: Runtime):
        self.rt = rt

    @tool("List services")
    async def list_services(self) -> dict[str, Any]:
        """The services this server knows: name, namespace, deployment, owning team. Use the names with
        check_service_health, get_recent_deploys, search_logs and investigate_service."""
        services = await self.rt.run(self.rt.services)
        return {"services": [{"name": s.name, "namespace": s.namespace, "deployment": s.deployment, "team": s.team} for s in services]}

    async def service_pods(self, svc: Any) -> list[dict[str, Any]]:
        """The pod rows of one service (label app = its name or its deployment)."""
        return [
            kube.pod_row(p)
            for p in await self.rt.run(self.rt.cluster.list_pods, svc.namespace)
            if (p["metadata"].get("labels") or {}).get("app") in (svc.name, svc.deployment)
        ]

    async def health(self, service_name: str, history: bool = False) -> dict[str, Any]:
        svc = self.rt.service(service_name)
        metrics = alerts = None
        notes: list[str] = []
        try:
            metrics = await self.rt.run(self.rt.metrics.service_metrics, svc.name)
            alerts = await self.rt.run(self.rt.metrics.alerts, svc.name)
        except BackendError as exc:
            notes.append(f"metrics unavailable: {exc}")
        trend, onset, history_out = {}, None, None
        series_fn = getattr(self.rt.metrics, "service_series", None)
        if series_fn is not None and metrics is not None:
            now = now_utc()
            try:
                series = await self.rt.run(series_fn, svc.name, now - timedelta(seconds=TREND_WINDOW_S), now, TREND_STEP_S)
                trend, onset = trends(series, now)
                if history:
                    history_out = {
                        metric: {"start": points[0][0], "step_s": TREND_STEP_S, "values": [round(v, 6) for _, v in points]}
                        for metric, points in series.items() if points
                    }
            except BackendError as exc:
                notes.append(f"metric history unavailable: {exc}")
        deployment = None
        for d in await self.rt.run(self.rt.cluster.list_deployments, svc.namespace):
            if d["metadata"]["name"] == svc.deployment:
                deployment = kube.deployment_row(d)
        pods = await self.service_pods(svc)
        bad = sorted((p for p in pods if not p["healthy"]), key=lambda p: -int(p["restarts"]))
        status, reasons = classify(
            metrics, alerts or [], deployment["ready_replicas"] if deployment else None,
            deployment["desired"] if deployment else None, len(bad),
        )
        return {
            "service": svc.name,
            "namespace": svc.namespace,
            "team": svc.team,
            "status": status,
            "reasons": reasons,
            "error_rate": (metrics or {}).get("error_rate"),
            "p99_ms": (metrics or {}).get("p99_ms"),
            "rps": (metrics or {}).get("rps"),
            "onset": onset,
            "trends": trend,
            "alerts": alerts or [],
            "deployment": deployment,
            "pods": {"total": len(pods), "ready": sum(1 for p in pods if p["healthy"]), "unhealthy": [
                {k: p.get(k) for k in ("name", "status", "ready", "restarts", "node", "last_termination")} for p in bad
            ]},
            "notes": notes,
            **({"history": history_out or {}} if history else {}),
        }

    @tool("Check service health")
    async def check_service_health(
        self,
        service_name: Annotated[str, Field(description="Service name, e.g. 'payment-gateway' (see list_services)", min_length=1, max_length=63)],
        history: Annotated[bool, Field(description="Also return the raw series behind `trends` (for plotting; "
                                                   "the summaries in `trends` are what you need)")] = False,
    ) -> dict[str, Any]:
        """One service's health at a glance: a verdict (healthy / degraded / critical / unknown) with the
        reasons, error rate, p99 latency, request rate, firing alerts (info-severity ones are listed
        but never degrade the verdict), deployment readiness, and its unhealthy pods (status, restarts,
        last termination reason). Where metric history exists, `trends` summarizes the last 3 hours
        per metric ("rose from 0.2% to 15.3% at 14:02 UTC") and `onset` is when error rate or p99
        first rose: compare it with deploys and the first errors. Start every investigation here."""
        return await self.health(service_name, history)
