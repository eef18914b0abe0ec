"""Deploy history tools."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import Field

from sre_mcp.deploy_diff import describe
from sre_mcp.runtime import Runtime
from sre_mcp.timeutil import age, now_utc, parse_iso
from sre_mcp.tools import tool

ServiceName = Annotated[str, Field(description="Service name, e.g. 'payment-gateway'", min_length=1, max_length=63)]


class DeployTools:
    def __init__(self, rt: Runtime):
        self.rt = rt

    @tool("Get recent deploys")
    async def get_recent_deploys(
        self,
        service_name: ServiceName,
        hours_back: Annotated[int, Field(description="How many hours back to look (1-720)", ge=1, le=720)] = 24,
    ) -> dict[str, Any]:
        """Deploys of a service in the last hours, newest first: version, image, when, who, the change
        description and outcome. `kind` is image (a new version), config (a new revision that changed
        only env, resources or other settings) or configmap (a referenced ConfigMap edited in place,
        no new revision); `config_only` is true for the last two, and `changes` lists what changed
        (e.g. "env DB_POOL_MAX: 50 → 10") where it is known. A deploy shortly before trouble started is a suspect, not proof:
        check that the errors match what the change did."""
        svc = self.rt.service(service_name)
        since = now_utc() - timedelta(hours=hours_back)
        deploys = await self.rt.run(self.rt.deploys.deploys, svc.name, since)
        for d in deploys:
            d["ago"] = age(parse_iso(d.get("at")))
            kind = d.get("kind") or "image"
            d["kind"] = kind
            d["config_only"] = kind != "image"
            if d.get("diff"):
                d["changes"] = describe(d["diff"])
            if kind == "configmap":
                d["rollback_note"] = ("a ConfigMap edited in place has no revision: rollout undo does not revert it; "
                                      "re-apply its previous data and restart the pods")
        return {"service": svc.name, "hours_back": hours_back, "deploys": deploys, "count": len(deploys)}
