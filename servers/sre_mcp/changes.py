"""Cluster changes to MCP clients, as `subscriptions/listen` resource-updated events.

Each watch cache (backends/watch.py) reports a change of (kind, namespace); the feed
turns it into a `notifications/resources/updated` for `k8s://<plural>/<namespace>`
(`k8s://nodes` for cluster-scoped kinds) on every listen stream that asked for that
URI, and for `k8s://<plural>/*` when the namespace is one this server may read (the
all-namespaces lists of the tools' namespace="*"). A namespace outside the allow-list
(seen by a cluster-wide watch) is never announced. Changes within `COALESCE` seconds become one event, so a rollout of 200 pods
is a handful of events, not 600. Reading the resource returns the cache's counters
(generation, object count, live), a cheap "what version is it" for a client that
wants to know whether its copy is current. Why events and not polling: docs/live.md.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from sre_mcp.backends.kinds import KINDS

COALESCE = 0.25  # seconds


def uri_for(kind: str, namespace: str | None) -> str:
    k = KINDS[kind]
    return f"k8s://{k.plural}/{namespace}" if k.namespaced and namespace else f"k8s://{k.plural}"


class ChangeFeed:
    def __init__(self, bus: Any, allowed: Any = None):
        self.bus = bus
        self.allowed = allowed  # () -> the namespaces that may be announced; None: all
        self.loop: asyncio.AbstractEventLoop | None = None
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self.published = 0

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        """As middleware: learns the server's event loop from the first request (initialize)."""
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        return await call_next(ctx)

    def changed(self, kind: str, namespace: str | None, generation: int) -> None:
        """Called on a watch thread."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return  # no client has connected yet: nobody to tell
        for uri in self.uris(kind, namespace):
            with self._lock:
                if uri in self._pending:
                    continue  # an event for it is already on its way
                self._pending.add(uri)
            loop.call_soon_threadsafe(loop.call_later, COALESCE, self._fire, uri)

    def uris(self, kind: str, namespace: str | None) -> list[str]:
        """What a change of (kind, namespace) announces. namespace None for a namespaced kind is a
        cluster-wide cache that listed again: every readable namespace may have changed."""
        k = KINDS[kind]
        if not k.namespaced:
            return [uri_for(kind, None)]
        allowed = list(self.allowed()) if self.allowed is not None else None
        if namespace is None:
            return [f"k8s://{k.plural}/*"] + [uri_for(kind, ns) for ns in allowed or []]
        if allowed is not None and namespace not in allowed:
            return []
        return [uri_for(kind, namespace), f"k8s://{k.plural}/*"]

    def _fire(self, uri: str) -> None:
        with self._lock:
            self._pending.discard(uri)
        from mcp.shared.subscriptions import ResourceUpdated

        self.published += 1
        asyncio.ensure_future(self.bus.publish(ResourceUpdated(uri=uri)))


def register(mcp: Any, rt: Any) -> ChangeFeed | None:
    """Wire the cluster backend's watch caches to the server's listen streams."""
    bus = getattr(mcp, "_subscriptions", None)
    if bus is None:
        return None
    feed = ChangeFeed(bus, allowed=lambda: rt.allowed_namespaces)
    mcp.middleware.insert(0, feed)
    if hasattr(rt.cluster, "on_change"):
        rt.cluster.on_change = feed.changed

    @mcp.resource("k8s://{plural}/{namespace}", name="cluster-objects", title="Cluster objects (change feed)",
                  mime_type="application/json")
    def objects_version(plural: str, namespace: str) -> str:
        """Counters of the server's watch cache for one kind in one namespace ('*': every namespace
        this server may read). Listen for resource-updated events on this URI to learn when the
        objects change."""
        kind = next((k.kind for k in KINDS.values() if k.plural == plural), None)
        if kind and namespace == "*" and hasattr(rt.cluster, "generation_many"):
            gen = rt.cluster.generation_many(kind, list(rt.allowed_namespaces))
        else:
            gen = rt.cluster.generation(kind, namespace) if kind and hasattr(rt.cluster, "generation") else None
        return json.dumps({"kind": kind, "namespace": namespace, "generation": gen, "live": gen is not None,
                           "watching": hasattr(rt.cluster, "generation")})

    return feed
