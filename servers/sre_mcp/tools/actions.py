"""Write tools (only with --allow-writes): scale, rollout restart, rollback, page.

Every write is two calls. Without `confirmation_token` nothing changes: the answer
is a preview (what changes, from → to) and a token bound to this tool and these
exact arguments. Only a second call with the token acts. The token is meant to be
sent by the host after a human approved the preview, never by the model on its
own: a prompt injected through a tool result can at most produce a preview.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Annotated, Any, Callable, Literal

from pydantic import Field

from sre_mcp.backends.base import NotFound
from sre_mcp.backends.writes import (
    RESTARTED_AT,
    FixtureWrites,
    KubernetesWrites,
    OutcomeUnknown,
    WriteBackend,
    deployment_images,
    deployment_revision,
)
from sre_mcp.errors import ToolFailure
from sre_mcp.runtime import Runtime
from sre_mcp.security.audit import CURRENT_CALL, AuditError
from sre_mcp.security.confirm import ConfirmationTokens, TokenError
from sre_mcp.security.redaction import redact
from sre_mcp.timeutil import iso, now_utc
from sre_mcp.tools import tool
from sre_mcp.tools.k8s import check_pod_name

log = logging.getLogger("sre_mcp")
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


class PreviewStore:
    """What each preview showed the human, per write tool, until its token expires.

    Kept per tool and by expiry, never evicted while live: an approval must not lose the
    state it was made on because other previews came in. Past `MAX_LIVE` live previews of
    one tool, new previews are refused instead (the rate limit makes that a runaway loop).
    """

    MAX_LIVE = 5000

    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self._by_tool: dict[str, dict[str, tuple[float, Any]]] = {}
        self._lock = threading.Lock()

    def _expire(self, tool: str) -> dict[str, tuple[float, Any]]:
        live = self._by_tool.setdefault(tool, {})
        now = self.clock()
        for token_id in [t for t, (exp, _) in live.items() if exp < now]:
            del live[token_id]
        return live

    def put(self, tool: str, token_id: str, state: Any, expires_at: float) -> None:
        with self._lock:
            live = self._expire(tool)
            if len(live) >= self.MAX_LIVE:
                raise ToolFailure(
                    f"{len(live)} previews of {tool} are waiting for approval; no more until some expire",
                    hint="stop requesting previews; approve or let the pending ones expire",
                )
            live[token_id] = (expires_at, state)

    def take(self, tool: str, token_id: str) -> tuple[bool, Any]:
        """(found, state the preview showed); the entry is consumed."""
        with self._lock:
            entry = self._expire(tool).pop(token_id, None)
        return (False, None) if entry is None else (True, entry[1])

    def __len__(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._by_tool.values())


class Deadline:
    """The time left of this call's --call-timeout, shared out between the steps of a write."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()


class ActionTools:
    def __init__(self, rt: Runtime, tokens: ConfirmationTokens, writes: WriteBackend | None = None):
        self.rt = rt
        self.tokens = tokens
        self._writes = writes
        self.previews = PreviewStore(tokens.clock)

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
                self._writes = KubernetesWrites(api, request_timeout=min(0.8 * self.rt.config.call_timeout, 10.0))
        return self._writes

    def _preview(self, tool: str, arguments: dict[str, Any], preview: dict[str, Any], state: Any) -> dict[str, Any]:
        token, token_id = self.tokens.issue(tool, arguments)
        self.previews.put(tool, token_id, state, int(token.split(".", 1)[0]))
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
        found, seen = self.previews.take(tool, token_id)
        if not found:
            # Without the state the human saw, "unchanged since the preview" cannot be shown.
            raise ToolFailure(
                "the preview this token came from is no longer on record (server restarted or preview expired); nothing was done",
                hint=f"call {tool} without confirmation_token for a fresh preview",
            )
        if seen != state_now:
            # The human approved a change from a state that no longer holds.
            raise ToolFailure(
                f"the target changed since the preview (was {seen}, now {state_now}); nothing was done",
                hint=f"call {tool} without confirmation_token for a fresh preview",
            )

    async def _apply(self, tool: str, token_id: str, target: dict[str, Any], change: Any, deadline: Deadline,
                     fn: Callable[..., Any], *args: Any, reread: Callable[[float], Any] | None = None) -> Any:
        """Apply a confirmed write: intent line (fsync'ed) first, or no write at all; the outcome line
        is written by the worker thread itself, so it lands even if the call was abandoned meanwhile."""
        audit = self.rt.audit
        if audit is None or not audit.enabled:
            raise ToolFailure("writes need an audit log and none is configured; nothing was done",
                              hint="start the server with --audit-log PATH")
        # Keep a share of the call for re-reading the target if the answer does not come.
        reserve = max(0.3, 0.25 * deadline.seconds)
        budget = min(deadline.left() - reserve, 10.0)
        if budget < 0.2:
            raise ToolFailure("too little of the call's time is left to apply and confirm this write; nothing was done",
                              hint=f"call {tool} without confirmation_token for a fresh preview (or raise --call-timeout)")
        call = CURRENT_CALL.get() or {}
        base = {"call_id": call.get("call_id"), "tool": tool, "token_id": token_id, "target": target, "change": change,
                **{k: call[k] for k in ("identity", "client_assertion") if k in call}}
        try:
            audit.write({**base, "phase": "intent", "request_timeout_s": round(budget, 2)}, durable=True)
        except AuditError as exc:
            raise ToolFailure(f"write refused: its intent could not be recorded in the audit log ({exc}); nothing was changed",
                              hint="free space on the audit log's filesystem or fix its path, then preview again") from None

        def outcome(**fields: Any) -> None:
            try:
                audit.write({**base, "phase": "outcome", **fields}, durable=True)
            except AuditError:
                log.error("audit: the outcome of %s (call %s) could not be recorded", tool, base["call_id"])

        def run() -> Any:
            try:
                result = fn(*args, timeout=budget)
            except OutcomeUnknown as exc:
                outcome(outcome="unknown", error=str(exc))
                raise
            except BaseException as exc:
                outcome(outcome="error", error=f"{type(exc).__name__}: {str(exc)[:300]}")
                raise
            outcome(outcome="applied")
            return result

        # The write counts against its backend's gate (the cluster, or PagerDuty for this toolset).
        run.__sre_gate__ = getattr(fn, "__self__", None) or self  # type: ignore[attr-defined]
        try:
            return await self.rt.run(run)
        except OutcomeUnknown as exc:
            current = None
            if reread is not None:
                try:
                    current = await self.rt.run(reread, max(0.1, min(deadline.left() - 0.1, reserve)))
                except Exception as read_exc:  # noqa: BLE001 - the re-read is best effort; say so
                    current = {"unavailable": f"re-read failed too: {str(read_exc)[:200]}"}
            raise ToolFailure(
                f"outcome unknown: {exc}. Re-read the target before anything else; do not simply retry",
                hint="compare current_state with the preview's 'to': if it already matches, the change was applied",
                outcome="unknown", current_state=current, token_id=token_id,
            ) from None

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

    def _dep_state(self, namespace: str, name: str) -> Callable[[float], Any]:
        def reread(timeout: float) -> Any:
            dep = self.writes.read_deployment(namespace, name, timeout=timeout)
            return None if dep is None else _dep_status(dep)
        reread.__sre_gate__ = self.writes  # type: ignore[attr-defined]
        return reread

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
        deadline = Deadline(self.rt.config.call_timeout)
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
        after = await self._apply("scale_deployment", token_id, {"namespace": namespace, "deployment": deployment_name}, change, deadline,
                                  self.writes.scale, namespace, deployment_name, replicas, reread=self._dep_state(namespace, deployment_name))
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
        deadline = Deadline(self.rt.config.call_timeout)
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
        after = await self._apply("restart_pod", token_id, {"namespace": namespace, "deployment": owner}, change, deadline,
                                  self.writes.restart, namespace, owner, now, reread=self._dep_state(namespace, owner))
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
        deadline = Deadline(self.rt.config.call_timeout)
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
        after = await self._apply("rollback_deployment", token_id, {"namespace": namespace, "deployment": deployment_name}, change,
                                  deadline, self.writes.rollback, namespace, deployment_name, revision,
                                  reread=self._dep_state(namespace, deployment_name))
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
        deadline = Deadline(self.rt.config.call_timeout)
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
        self._same_state("create_pagerduty_incident", token_id, None)
        target = {"service": svc.name, "delivery": "pagerduty" if real else "simulated"}
        if not real:
            await self._apply("create_pagerduty_incident", token_id, target, {"dedup_key": dedup_key}, deadline, _simulated)
            return {"applied": True, "delivery": "simulated", "status": "success",
                    "message": "Event processed (simulated: no PagerDuty routing key configured, nobody was paged)",
                    "dedup_key": dedup_key, "token_id": token_id}
        answer = await self._apply("create_pagerduty_incident", token_id, target, {"dedup_key": dedup_key}, deadline, _post_event, url, event)
        return {"applied": True, "delivery": "pagerduty", **answer, "token_id": token_id}


def _dep_status(dep: dict[str, Any]) -> dict[str, Any]:
    st = dep.get("status") or {}
    return {
        "replicas": (dep.get("spec") or {}).get("replicas"), "ready": st.get("readyReplicas", 0), "updated": st.get("updatedReplicas", 0),
        "revision": deployment_revision(dep), "images": deployment_images(dep),
    }


def _simulated(timeout: float | None = None) -> None:
    """A simulated page changes nothing outside; it is still audited as a write."""


def _post_event(url: str, event: dict[str, Any], timeout: float) -> dict[str, Any]:
    import httpx

    try:
        r = httpx.post(url, json=event, timeout=timeout)
    except (httpx.ReadTimeout, httpx.RemoteProtocolError) as exc:  # sent, no answer: it may have paged
        raise OutcomeUnknown(f"PagerDuty did not answer ({type(exc).__name__}); the page may or may not have gone out") from None
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
