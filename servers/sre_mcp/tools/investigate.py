"""The meta-tool: one call that walks health → pods → describe → logs → deploys → runbooks."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field

from sre_mcp.backends import kube
from sre_mcp.backends.base import BackendError
from sre_mcp.runtime import Runtime
from sre_mcp.tools import tool
from sre_mcp.tools.deploys import DeployTools
from sre_mcp.tools.health import HealthTools

_INTERESTING = re.compile(r"\b(ERROR|FATAL|WARN|Exception|Error|OOM|Killed|refused|timeout|timed out|failed)\b", re.I)


class InvestigateTools:
    def __init__(self, rt: Runtime, health: HealthTools, deploys: DeployTools):
        self.rt = rt
        self.health = health
        self.deploys = deploys

    @tool("Investigate service")
    async def investigate_service(
        self,
        service_name: Annotated[str, Field(description="Service to investigate, e.g. 'payment-gateway'", min_length=1, max_length=63)],
        symptoms: Annotated[str | None, Field(description="What people see, in plain words (optional)", max_length=500)] = None,
    ) -> dict[str, Any]:
        """A first-pass investigation in one call: service health, its pods, a describe of the worst
        pod, that pod's logs (the crashed instance's when it restarted), recent deploys, and matching
        runbooks. Returns each step's findings, the trouble signals seen (OOMKilled, OutOfMemoryError,
        connection refused, ...) and which pods they came from. Use it to get oriented fast; follow up
        with the individual tools."""
        from sre_mcp.rag.signals import detect_signals

        svc = self.rt.service(service_name)
        steps: list[str] = []
        health = await self.health.health(svc.name)
        steps.append("check_service_health")
        pods = await self.health.service_pods(svc)
        pods.sort(key=kube.pod_severity, reverse=True)
        steps.append("list_pods")
        worst = pods[0] if pods and not pods[0]["healthy"] else None
        describe = logs = None
        if worst:
            pod = await self.rt.run(self.rt.cluster.read_pod, svc.namespace, worst["name"])
            events = await self.rt.run(self.rt.cluster.list_events, svc.namespace)
            describe = kube.describe_pod(pod, events) if pod else None
            steps.append("describe_pod")
            previous = int(worst["restarts"]) > 0
            try:
                text = await self.rt.run(self.rt.cluster.pod_log, svc.namespace, worst["name"], None, 50, previous)
            except BackendError:
                previous = False
                text = await self.rt.run(self.rt.cluster.pod_log, svc.namespace, worst["name"], None, 50, False)
            lines = text.splitlines()
            logs = {
                "pod": worst["name"],
                "previous": previous,
                "notable_lines": [line for line in lines if _INTERESTING.search(line)][-15:],
                "last_lines": lines[-5:],
            }
            steps.append("get_pod_logs")
        deploys = (await self.deploys.get_recent_deploys(service_name=svc.name, hours_back=24))
        steps.append("get_recent_deploys")
        # Signals and the pods they came from: what the model should look at next.
        evidence = {"health": health, "describe": describe, "logs": logs}
        signals = detect_signals(str(evidence) + " " + (symptoms or ""))
        query = " ".join(filter(None, [symptoms, " ".join(signals), svc.name]))
        runbooks: list[dict[str, Any]] = []
        try:
            runbooks = await self.rt.run(self.rt.runbooks.search, query or svc.name, 3, None)
        except Exception as exc:  # runbooks help; their absence must not sink the investigation
            runbooks = [{"error": str(exc)}]
        steps.append("search_runbooks")
        unhealthy = [p for p in pods if not p["healthy"]]
        summary = f"{svc.name} is {health['status']}"
        if health["reasons"]:
            summary += " (" + "; ".join(health["reasons"][:3]) + ")"
        if unhealthy:
            summary += f". {len(unhealthy)}/{len(pods)} pods unhealthy: " + ", ".join(
                f"{p['name']} {p['status']}" + (f" (last: {p['last_termination']['reason']})" if p.get("last_termination") else "")
                for p in unhealthy[:5]
            )
        if deploys["deploys"]:
            d = deploys["deploys"][0]
            summary += f". Last deploy {d.get('version')} {d.get('ago')} ago: {d.get('change', '')}"
        if signals:
            summary += ". Signals: " + ", ".join(signals)
        return {
            "service": svc.name,
            "namespace": svc.namespace,
            "symptoms": symptoms,
            "summary": summary,
            "signals": signals,
            "unhealthy_pods": [p["name"] for p in unhealthy],
            "worst_pod": worst["name"] if worst else None,
            "health": health,
            "pods": pods,
            "describe_worst_pod": describe,
            "worst_pod_logs": logs,
            "recent_deploys": deploys["deploys"],
            "runbooks": runbooks,
            "steps": steps,
        }
