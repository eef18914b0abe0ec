"""A watch-based cache of one kind in one namespace, or of one kind in every namespace
(nodes; and any kind when a server reads many namespaces: see docs/live.md).

The first read lists the objects (the caller's own request, so its errors are the
caller's errors); then a thread watches from the list's resourceVersion with the
official client's `watch.Watch`, applying ADDED / MODIFIED / DELETED to the cached
objects. A later read costs nothing against the API server, and a refresh costs
what changed, not the cluster's size. When the API answers 410 Gone (the version
was compacted away) the thread lists again and goes on watching from there; any
other failure marks the cache not live, so the next read lists directly again and
reports the error the way an uncached read would.

Generations come from a `Clock` shared by all the caches of one backend, so they name a
moment rather than a count of one cache: a version handed out for a namespace's list,
for a cluster-wide list, or for several namespaces at once can be asked "what changed
since" of whichever cache serves the objects now.

Readers get the cached dicts themselves (no copy): the watch thread replaces an
object, never edits it in place, so a reader's list stays consistent. Callers must
not mutate what they get.
"""

from __future__ import annotations

import collections
import json
import logging
import socket
import threading
from typing import Any, Callable

log = logging.getLogger("sre_mcp")

LOG_SIZE = 20_000  # changes kept for "changes since" readers
WATCH_SECONDS = 240  # one watch request's server-side timeout; then a new watch from the last version


class Clock:
    """The change counter of one backend's caches. A cache takes its lock while it ticks and
    applies the change, so once `now()` returns N every change numbered up to N is readable."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value = 0

    def tick(self) -> int:  # the caller holds self.lock
        self.value += 1
        return self.value

    def now(self) -> int:
        with self.lock:
            return self.value


class WatchCache:
    def __init__(self, kind: str, api_version: str, namespace: str | None, listing: dict[str, Any],
                 list_fn: Callable[[], dict[str, Any]], watch_fn: Callable[..., Any],
                 on_change: Callable[[str, str | None, int], None] | None = None, timeout: float = 10.0,
                 clock: Clock | None = None):
        self.kind, self.api_version, self.namespace = kind, api_version, namespace
        self._list_fn = list_fn
        self._watch_fn = watch_fn  # the client's list_* function, handed to watch.Watch().stream
        self._on_change = on_change
        self._timeout = timeout
        self._lock = threading.Lock()
        self._objects: dict[tuple[str | None, str], dict[str, Any]] = {}
        self._snapshot: list[dict[str, Any]] | None = None
        self._by_ns: dict[str | None, list[dict[str, Any]]] | None = None  # the snapshot by namespace, built on demand
        self._clock = clock or Clock()
        self.resource_version = ""
        self.generation = 0  # the clock's value at this cache's last change; readers compare it to see "changed since"
        self.relists = 0
        self.events = 0
        self.live = True
        self.error: str | None = None
        # What changed, by generation, for "changes since" reads; a relist resets the floor.
        self._log: collections.deque[tuple[int, tuple[str | None, str], bool]] = collections.deque(maxlen=LOG_SIZE)
        self._floor = 0
        self._stop = threading.Event()
        self._resp: Any = None
        self._seed(listing)
        self._thread = threading.Thread(target=self._run, name=f"watch-{kind}-{namespace or 'all'}", daemon=True)

    def start(self) -> "WatchCache":
        self._thread.start()
        return self

    def stop(self) -> None:
        # Closing the response from this thread would block on the reader's lock; shutting the
        # socket down does not, and wakes the reader at once (it sees the stop flag and returns),
        # so the API server's watch ends now rather than at its timeout.
        self._stop.set()
        sock = getattr(getattr(self._resp, "connection", None), "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # reading --------------------------------------------------------------------------
    def items(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """Every cached object, or (a cluster-wide cache) those of one namespace."""
        with self._lock:
            if self._snapshot is None:
                self._snapshot = list(self._objects.values())  # the API's order, new objects last
                self._by_ns = None
            if namespace is None or namespace == self.namespace:
                return self._snapshot
            if self._by_ns is None:
                by_ns: dict[str | None, list[dict[str, Any]]] = {}
                for o in self._snapshot:
                    by_ns.setdefault((o.get("metadata") or {}).get("namespace"), []).append(o)
                self._by_ns = by_ns
            return self._by_ns.get(namespace, [])

    def get(self, name: str, namespace: str | None) -> dict[str, Any] | None:
        with self._lock:
            return self._objects.get((namespace, name))

    def changes_since(self, generation: int, namespaces: set[str] | None = None,
                      ) -> tuple[int, list[dict[str, Any]], list[tuple[str | None, str]]] | None:
        """(current generation, objects changed since `generation`, keys deleted since), or None
        when that generation is before what the log holds (a relist, or too many changes) or
        after anything the clock has handed out. `namespaces` keeps a cluster-wide cache's
        answer to those namespaces."""
        if generation > self._clock.now():
            return None
        with self._lock:
            if generation < self._floor:
                return None
            touched: dict[tuple[str | None, str], bool] = {}
            for gen, key, _deleted in reversed(self._log):  # newest first: stop at the asked generation
                if gen <= generation:
                    break
                if namespaces is None or key[0] in namespaces:
                    touched[key] = True
            changed = [self._objects[k] for k in touched if k in self._objects]
            deleted = [k for k in touched if k not in self._objects]
            return max(generation, self.generation), changed, deleted

    # keeping it current ---------------------------------------------------------------
    def _stamp(self, obj: dict[str, Any]) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind, **{k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}}

    def _seed(self, listing: dict[str, Any]) -> None:
        objects = {}
        for item in listing.get("items") or []:
            meta = item.get("metadata") or {}
            objects[(meta.get("namespace"), meta.get("name"))] = self._stamp(item)
        with self._clock.lock, self._lock:
            self._objects = objects
            self._snapshot = None
            self.resource_version = str((listing.get("metadata") or {}).get("resourceVersion") or "")
            # Every (re)list is a new moment: a version from before it cannot be answered from the log.
            self.generation = self._clock.tick()
            self._log.clear()
            self._floor = self.generation

    def _apply(self, etype: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        key = (meta.get("namespace"), meta.get("name"))
        with self._clock.lock, self._lock:
            if etype == "DELETED":
                self._objects.pop(key, None)
            else:
                self._objects[key] = self._stamp(obj)
            self._snapshot = None
            self.resource_version = str(meta.get("resourceVersion") or self.resource_version)
            self.generation = gen = self._clock.tick()
            self.events += 1
            if len(self._log) == self._log.maxlen:
                self._floor = self._log[0][0]
            self._log.append((gen, key, etype == "DELETED"))
        if self._on_change is not None:
            try:
                # The object's own namespace: a cluster-wide cache tells each namespace's listeners.
                self._on_change(self.kind, self.namespace or key[0], gen)
            except Exception:  # a listener's failure must not stop the watch
                log.exception("change listener failed")

    def _run(self) -> None:
        # The client's own watch machinery (`watch=True` on the typed list call, its line
        # reader) but raw JSON events: Watch.stream(deserialize=False) cannot report an ERROR
        # event (it reads a key only the deserializing path sets), and models are slow.
        from kubernetes.watch.watch import iter_resp_lines

        while not self._stop.is_set():
            resp = None
            try:
                resp = self._watch_fn(
                    *([self.namespace] if self.namespace else []), watch=True, resource_version=self.resource_version,
                    timeout_seconds=WATCH_SECONDS, allow_watch_bookmarks=True, _preload_content=False,
                    _request_timeout=(self._timeout, WATCH_SECONDS + 30),
                )
                self._resp = resp
                gone = False
                for line in iter_resp_lines(resp):
                    if self._stop.is_set():
                        return
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    etype, obj = event.get("type"), event.get("object") or {}
                    if etype == "ERROR":
                        if obj.get("code") == 410:
                            gone = True
                            break
                        raise RuntimeError(f"watch error {obj.get('code')}: {obj.get('message')}")
                    if etype == "BOOKMARK":
                        self.resource_version = str((obj.get("metadata") or {}).get("resourceVersion") or self.resource_version)
                    elif etype in ("ADDED", "MODIFIED", "DELETED"):
                        self._apply(etype, obj)
                if gone:
                    # Our version was compacted away: list again, then watch from the new version.
                    self._seed(self._list_fn())
                    self.relists += 1
                    if self._on_change is not None:
                        self._on_change(self.kind, self.namespace, self.generation)
                # Otherwise the server ended this watch (timeoutSeconds): watch again from where we are.
            except Exception as exc:  # noqa: BLE001 (connection lost, timeout, refused relist...)
                if self._stop.is_set():
                    return
                self._fail(exc)
                return
            finally:
                if resp is not None:
                    resp.release_conn()

    def _fail(self, exc: BaseException) -> None:
        self.error = f"{type(exc).__name__}: {str(exc)[:200]}"
        self.live = False
        log.warning("watch of %s in %s stopped (%s); the next read lists again", self.kind, self.namespace or "all namespaces", self.error)
