"""Write tools (only with --allow-writes): scale, rollout restart, rollback, page.

Every write is two calls. Without `confirmation_token` nothing changes: the answer
is a preview (what changes, from → to) and a token bound to this tool and these
exact arguments. Only a second call with the token acts. The token is meant to be
sent by the host after a human approved the preview, never by the model on its
own: a prompt injected through a tool result can at most produce a preview.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Annotated, Any, Literal

from pydantic import Field

from sre_mcp.backends.base import NotFound
from sre_mcp.backends.writes import KubernetesWrites, FixtureWrites, RESTARTED_AT, WriteBackend, deployment_images, deployment_revision
from sre_mcp.errors import ToolFailure
from sre_mcp.runtime import Runtime
from sre_mcp.security.confirm import ConfirmationTokens, TokenError
from sre_mcp.security.redaction import redact
from sre_mcp.timeutil import iso, now_utc
from sre_mcp.tools import tool
from sre_mcp.tools.k8s import check_pod_name

PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
MAX_REPLICAS = 100

Namespace = Annotated[str, Field(description="Kubernetes namespace, e.g. 'payments'", min_length=1, max_length=63)]
DeploymentName = Annotated[str, Field(description="Deployment name as list_deployments shows it", min_length=1, max_length=253)]
Token = Annotated[
    str | None,
    Field(
        description="Leave empty: the first call returns a preview and a token. Only re-send with the token "
        "after a human approved the preview.",
        max_length=200,
    ),
]

WRITE = dict(read_only=False, destructive=True, idempotent=False, write=True)


class ActionTools:
    def __init__(self, rt: Runtime, tokens: ConfirmationTokens, writes: WriteBackend | None = None):
        self.rt = rt
        self.tokens = tokens
        self._writes = writes
        self._previewed: dict[str, Any] = {}  # token id -> the "from" state the human saw
        self._lock = threading.Lock()

    # plumbing ---------------------------------------------------------------
    @property
    def writes(self) -> WriteBackend:
        if self._writes is None:
            if self.rt.config.demo and getattr(self.rt, "scenario", None) is not None:
                self._writes = FixtureWrites(self.rt.scenario)
            else:
                api = getattr(self.rt.cluster, "api_client", None) or getattr(self.rt.cluster, "api", None)
                if api is None:
                    raise ToolFailure("writes are not available for this cluster backend", hint="the cluster backend exposes no API client")
                self._writes = KubernetesWrites(api)
        return self._writes

    def _preview(self, tool: str, arguments: dict[str, Any], preview: dict[str, Any], state: Any) -> dict[str, Any]:
        token, token_id = self.tokens.issue(tool, arguments)
        with self._lock:
            self._previewed[token_id] = state
            while len(self._previewed) > 1000:  # bounded: old previews are dropped first
                self._previewed.pop(next(iter(self._previewed)))
        return {
            "confirmation_required": True,
            "preview": preview,
            "confirmation_token": token,
            "token_id": token_id,
            "expires_in_s": int(self.tokens.ttl_s),
            "how_to_confirm": f"Nothing has changed. Show this preview to a human; only after they approve, call {tool} "
            "again with the same arguments plus confirmation_token. The token works once, for these exact arguments.",
        }

    def _redeem(self, tool: str, arguments: dict[str, Any], token: str | None) -> str | None:
        """None for a preview call; else the token is consumed first, so a reused, expired or foreign
        token is refused as such whatever else is wrong with the call."""
        if token is None:
            return None
        try:
            return self.tokens.redeem(tool, arguments, token)
        except TokenError as exc:
            raise ToolFailure(str(exc), hint=f"call {tool} without confirmation_token for a fresh preview and token") from None

    def _same_state(self, tool: str, token_id: str, state_now: Any) -> None:
        with self._lock:
            seen = self._previewed.pop(token_id, state_now)
        if seen != state_now:
            # The human approved a change from a state that no longer holds.
            raise ToolFailure(
                f"the target changed since the preview (was {seen}, now {state_now}); nothing was done",
                hint=f"call {tool} without confirmation_token for a fresh preview",
            )

    async def _deployment(self, namespace: str, name: str) -> dict[str, Any]:
        self.rt.check_namespace(namespace)
        dep = await self.rt.run(self.writes.read_deployment, namespace, name)
        if dep is None:
            deps = await self.rt.run(self.rt.cluster.list_deployments, namespace)
            names = sorted(d["metadata"]["name"] for d in deps)
            raise ToolFailure(
                f"deployment {name!r} not found in namespace {namespace!r}",
                hint=("deployments that exist: " + ", ".join(names)) if names else "the namespace has no deployments",
            )
        return dep

    # tools --------------------------------------------------------------------
    @tool("Scale deployment", **WRITE)
    async def scale_deployment(
        self,
        namespace: Namespace,
        deployment_name: DeploymentName,
        replicas: Annotated[int, Field(description=f"Desired replica count, 0-{MAX_REPLICAS} (0 stops the service)")],
        confirmation_token: Token = None,
    ) -> dict[str, Any]:
        """Set a deployment's replica count. First call: a preview (replicas from → to) and a confirmation
        token; nothing changes. The change happens only when the call is repeated with the token after a
        human approved it."""
        # Bounds checked here, not clamped by the schema: a write must never act on an adjusted number.
        if not 0 <= replicas <= MAX_REPLICAS:
            raise ToolFailure(f"replicas must be between 0 and {MAX_REPLICAS}, not {replicas}")
        args = {"namespace": namespace, "deployment_name": deployment_name, "replicas": replicas}
        token_id = self._redeem("scale_deployment", args, confirmation_token)
        dep = await self._deployment(namespace, deployment_name)
        current = int(dep["spec"].get("replicas", 1))
        if token_id is None and current == replicas:
            raise ToolFailure(f"deployment {deployment_name!r} already has {replicas} replicas; nothing to change")
        change = {"replicas": {"from": current, "to": replicas}}
        if confirmation_token is None:
            warnings = ["scaling to 0 stops the service entirely"] if replicas == 0 else []
            if replicas < current and replicas > 0:
                warnings.append(f"{current - replicas} pod(s) will be terminated; the rest carry the load")
            preview = {"action": "scale", "target": f"deployment/{deployment_name}", "namespace": namespace, "changes": change, "warnings": warnings}
            return self._preview("scale_deployment", args, preview, current)
        self._same_state("scale_deployment", token_id, current)
        after = await self.rt.run(self.writes.scale, namespace, deployment_name, replicas)
        return {"applied": True, "action": "scale", "target": f"deployment/{deployment_name}", "namespace": namespace,
                "changes": change, "token_id": token_id, "status": _dep_status(after)}

    @tool("Restart pod (rollout restart)", **WRITE)
    async def restart_pod(
        self,
        namespace: Namespace,
        pod_name: Annotated[str, Field(description="A pod of the deployment to restart, as list_pods shows it", min_length=1, max_length=253)],
        confirmation_token: Token = None,
    ) -> dict[str, Any]:
        """Rollout-restart the deployment that owns a pod (like `kubectl rollout restart`): its pods are
        replaced one by one with fresh ones. First call: a preview and a confirmation token; nothing changes
        until the call is repeated with the token after a human approved it."""
        self.rt.check_namespace(namespace)
        check_pod_name(pod_name)
        args = {"namespace": namespace, "pod_name": pod_name}
        token_id = self._redeem("restart_pod", args, confirmation_token)
        pod = await self.rt.run(self.rt.cluster.read_pod, namespace, pod_name)
        if pod is None:
            raise ToolFailure(f"pod {pod_name!r} not found in namespace {namespace!r}", hint="list_pods shows the pods that exist")
        owner = await self.rt.run(self.writes.owner_deployment, pod)
        if owner is None:
            raise ToolFailure(f"pod {pod_name!r} is not managed by a deployment", hint="only pods of a deployment can be restarted this way")
        dep = await self._deployment(namespace, owner)
        selector = (dep["spec"].get("selector") or {}).get("matchLabels") or {}
        pods = await self.rt.run(self.rt.cluster.list_pods, namespace)
        replaced = sorted(
            p["metadata"]["name"] for p in pods
            if selector and all((p["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
        )
        restarted_at = ((dep["spec"]["template"].get("metadata") or {}).get("annotations") or {}).get(RESTARTED_AT)
        change = {
            "pods": {"from": replaced, "to": f"{len(replaced)} new pod(s), replaced one at a time"},
            f"template annotation {RESTARTED_AT}": {"from": restarted_at, "to": "the time of confirmation"},
        }
        state = {"revision": deployment_revision(dep), "pods": replaced}
        if confirmation_token is None:
            preview = {"action": "rollout restart", "target": f"deployment/{owner}", "namespace": namespace,
                       "why_this_deployment": f"pod {pod_name} belongs to it", "changes": change, "warnings": []}
            return self._preview("restart_pod", args, preview, state)
        self._same_state("restart_pod", token_id, state)
        now = iso(now_utc())
        after = await self.rt.run(self.writes.restart, namespace, owner, now)
        change[f"template annotation {RESTARTED_AT}"]["to"] = now
        return {"applied": True, "action": "rollout restart", "target": f"deployment/{owner}", "namespace": namespace,
                "changes": change, "token_id": token_id, "status": _dep_status(after)}

    @tool("Roll back deployment", **WRITE)
    async def rollback_deployment(
        self,
        namespace: Namespace,
        deployment_name: DeploymentName,
        revision: Annotated[int | None, Field(description="Revision to go back to; default: the one before the current")] = None,
        confirmation_token: Token = None,
    ) -> dict[str, Any]:
        """Roll a deployment back to an earlier revision's pod template (like `kubectl rollout undo
        --to-revision`). First call: a preview (image and revision from → to) and a confirmation token;
        nothing changes until the call is repeated with the token after a human approved it."""
        if revision is not None and revision < 1:
            raise ToolFailure(f"revision must be 1 or more, not {revision}")
        args = {"namespace": namespace, "deployment_name": deployment_name, "revision": revision}
        token_id = self._redeem("rollback_deployment", args, confirmation_token)
        dep = await self._deployment(namespace, deployment_name)
        try:
            history = await self.rt.run(self.writes.revisions, namespace, deployment_name)
        except NotFound as exc:
            raise ToolFailure(str(exc)) from None
        current = deployment_revision(dep)
        cur_image = (deployment_images(dep) or [None])[0]
        state = {"revision": current, "image": cur_image}
        if token_id is not None:
            self._same_state("rollback_deployment", token_id, state)
        known = [r["revision"] for r in history]
        if revision is None:
            earlier = [r for r in known if r < current]
            if not earlier:
                raise ToolFailure(f"deployment {deployment_name!r} has no revision before {current}", hint=f"known revisions: {known}")
            revision = max(earlier)
        target = next((r for r in history if r["revision"] == revision), None)
        if target is None:
            raise ToolFailure(f"deployment {deployment_name!r} has no revision {revision}", hint=f"known revisions: {known}")
        if revision == current:
            raise ToolFailure(f"revision {revision} is already the current one; nothing to roll back")
        change = {
            "image": {"from": cur_image, "to": target["image"]},
            "revision": {"from": current, "to": f"{revision}'s template, recorded as new revision {max(known + [current]) + 1}"},
        }
        if confirmation_token is None:
            warnings = [] if target["image"] != cur_image else ["the target revision runs the same image; only the template changes"]
            preview = {"action": "rollback", "target": f"deployment/{deployment_name}", "namespace": namespace,
                       "to_revision": {k: v for k, v in target.items() if v is not None}, "changes": change, "warnings": warnings}
            return self._preview("rollback_deployment", args, preview, state)
        after = await self.rt.run(self.writes.rollback, namespace, deployment_name, revision)
        return {"applied": True, "action": "rollback", "target": f"deployment/{deployment_name}", "namespace": namespace,
                "changes": change, "token_id": token_id, "status": _dep_status(after)}

    @tool("Create PagerDuty incident", **WRITE)
    async def create_pagerduty_incident(
        self,
        service: Annotated[str, Field(description="Service name, e.g. 'payment-gateway'", min_length=1, max_length=63)],
        severity: Annotated[Literal["critical", "error", "warning", "info"], Field(description="PagerDuty severity")],
        title: Annotated[str, Field(description="One-line summary a responder reads first", min_length=1, max_length=1024)],
        details: Annotated[str | None, Field(description="Evidence and what was tried", max_length=8000)] = None,
        confirmation_token: Token = None,
    ) -> dict[str, Any]:
        """Page the on-call team: trigger a PagerDuty incident (Events API v2). Real when a routing key is
        configured, simulated otherwise (the result says which). First call: a preview and a confirmation
        token; nothing is sent until the call is repeated with the token after a human approved it."""
        args = {"service": service, "severity": severity, "title": title, "details": details}
        token_id = self._redeem("create_pagerduty_incident", args, confirmation_token)
        svc = self.rt.service(service)
        cfg = self.rt.config
        real = bool(cfg.pagerduty_routing_key)
        url = cfg.pagerduty_url or PAGERDUTY_EVENTS_URL
        # Secrets never leave for a third party either: the payload is redacted before it is sent.
        safe_title, _ = redact(title)
        safe_details, _ = redact(details) if details else (None, None)
        dedup_key = "sre-" + hashlib.sha256(f"{svc.name}\0{safe_title}".encode()).hexdigest()[:28]
        payload: dict[str, Any] = {"summary": safe_title, "source": svc.name, "severity": severity, "component": svc.deployment, "group": svc.team}
        if safe_details:
            payload["custom_details"] = {"details": safe_details}
        if confirmation_token is None:
            preview = {"action": "trigger PagerDuty incident", "delivery": "pagerduty" if real else "simulated",
                       "endpoint": url if real else None, "changes": {"incident": {"from": None, "to": payload}},
                       "dedup_key": dedup_key, "warnings": [] if real else ["no routing key configured: the page is simulated, nobody is paged"]}
            return self._preview("create_pagerduty_incident", args, preview, None)
        event = {"routing_key": cfg.pagerduty_routing_key, "event_action": "trigger", "dedup_key": dedup_key,
                 "payload": payload, "client": "sre-mcp-server"}
        if not real:
            return {"applied": True, "delivery": "simulated", "status": "success",
                    "message": "Event processed (simulated: no PagerDuty routing key configured, nobody was paged)",
                    "dedup_key": dedup_key, "token_id": token_id}
        answer = await self.rt.run(_post_event, url, event, min(cfg.call_timeout, 10.0))
        return {"applied": True, "delivery": "pagerduty", **answer, "token_id": token_id}


def _dep_status(dep: dict[str, Any]) -> dict[str, Any]:
    st = dep.get("status") or {}
    return {
        "replicas": (dep.get("spec") or {}).get("replicas"), "ready": st.get("readyReplicas", 0), "updated": st.get("updatedReplicas", 0),
        "revision": deployment_revision(dep), "images": deployment_images(dep),
    }


def _post_event(url: str, event: dict[str, Any], timeout: float) -> dict[str, Any]:
    import httpx

    try:
        r = httpx.post(url, json=event, timeout=timeout)
    except httpx.HTTPError as exc:
        raise ToolFailure(f"PagerDuty unreachable: {type(exc).__name__}; nobody was paged", hint="page by phone; check the network / pagerduty_url") from None
    try:
        body = r.json()
    except ValueError:
        body = {}
    if r.status_code >= 300:
        errors = body.get("errors") if isinstance(body, dict) else None
        raise ToolFailure(
            f"PagerDuty refused the event: HTTP {r.status_code} {body.get('message', '') if isinstance(body, dict) else ''}".strip()
            + (f" ({'; '.join(map(str, errors))})" if errors else "") + "; nobody was paged",
            hint="check the routing key" if r.status_code in (400, 401, 403) else "retry later (PagerDuty throttles bursts)",
        )
    return {"status": body.get("status", "success"), "message": body.get("message", ""), "dedup_key": body.get("dedup_key", event["dedup_key"])}
