"""The server's runtime: configuration, backends, catalogues, and what is warming up.

Start-up must answer `initialize` and `tools/list` at once, so everything slow
(chdb, the Kubernetes client, the embedding model) is created on first use or on a
background thread, and the first tool that needs it waits for it.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

import anyio
import anyio.to_thread

from sre_mcp.backends.base import BackendError, ClusterBackend, DeployHistoryBackend, LogsBackend, MetricsBackend
from sre_mcp.config import ServerConfig, cache_dir
from sre_mcp.errors import ToolFailure
from sre_mcp.scenarios.loader import Scenario, Service, load_scenario

log = logging.getLogger("sre_mcp")
T = TypeVar("T")
SHIPPED_RUNBOOKS = Path(__file__).resolve().parent / "runbooks"


class Lazy:
    """A value built on a background thread; users wait for it (off the event loop).

    A failed build is not kept until restart: the next use after a back-off (1 s, doubling
    to 60 s) builds again, so a log store that was down at start comes back by itself.
    """

    RETRY_FIRST_S = 1.0
    RETRY_MAX_S = 60.0

    def __init__(self, name: str, build: Callable[[], Any], clock: Callable[[], float] = time.monotonic):
        self.name = name
        self._build = build
        self.clock = clock
        self._done = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None
        self._started = False  # a build was ever asked for
        self._running = False
        self._failures = 0
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def start(self) -> "Lazy":
        with self._lock:
            if self._running or (self._done.is_set() and self._error is None):
                return self
            if self._done.is_set():  # failed before: again only once the back-off has passed
                if self.clock() < self._retry_at:
                    return self
                self._done.clear()
            self._started = self._running = True
        threading.Thread(target=self._run, name=f"warm-{self.name}", daemon=True).start()
        return self

    def _run(self) -> None:
        try:
            value = self._build()
        except BaseException as exc:  # reported to every caller, never lost
            log.exception("%s failed to start", self.name)
            with self._lock:
                self._error = exc
                self._failures += 1
                self._retry_at = self.clock() + min(self.RETRY_MAX_S, self.RETRY_FIRST_S * 2 ** (self._failures - 1))
        else:
            with self._lock:
                self._value, self._error, self._failures = value, None, 0
        finally:
            with self._lock:
                self._running = False
                self._done.set()

    @property
    def ready(self) -> bool:
        return self._done.is_set() and self._error is None

    def get(self, timeout: float | None = None) -> Any:
        """Blocks: call it from a worker thread (Runtime.run), never on the event loop."""
        self.start()
        if not self._done.wait(timeout):
            raise BackendError(f"{self.name} is still starting", hint="try again in a few seconds")
        with self._lock:
            error, retry_in = self._error, self._retry_at - self.clock()
        if error is not None:
            raise BackendError(f"{self.name} is unavailable: {str(error)[:300]}",
                               hint=f"the server tries again {'in %.0fs' % retry_in if retry_in > 0 else 'on the next call'}")
        return self._value


class LazyProxy:
    """Stands for a Lazy's value: reaching a method is free, calling it waits for the value.

    So `rt.run(rt.logs.query, ...)` resolves the store in the worker thread, and a log
    store that hangs while it starts holds that call only, not the event loop."""

    def __init__(self, lazy: Lazy, timeout: float):
        self._lazy = lazy
        self._timeout = timeout

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return getattr(self._lazy.get(self._timeout), name)(*args, **kwargs)

        call.__sre_gate__ = self  # type: ignore[attr-defined]  # one concurrency gate for the store
        call.__name__ = name
        return call


class Gate:
    """At most `limit` calls of one backend in worker threads, counting calls that were
    abandoned at their deadline but are still running. A hung backend ties up its own
    slots only; callers beyond them wait (until their own deadline) without holding the
    shared thread pool, so every other backend keeps answering."""

    def __init__(self, name: str, limit: int):
        self.name = name
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)
        self.busy = 0
        self.peak = 0
        self._lock = threading.Lock()

    async def enter(self) -> None:
        delay = 0.005
        while not self._slots.acquire(blocking=False):
            await anyio.sleep(delay)  # cancellable: the call's deadline still holds while waiting
            delay = min(delay * 2, 0.05)
        with self._lock:
            self.busy += 1
            self.peak = max(self.peak, self.busy)

    def leave(self) -> None:
        with self._lock:
            self.busy -= 1
        self._slots.release()


GATE_LIMIT = 8
ALL_NAMESPACES = "*"  # a list tool's namespace for every namespace this server may read


class Runtime:
    def __init__(self, config: ServerConfig):
        self.config = config
        self.scenario: Scenario | None = None
        if (config.demo and not config.logs_only) or config.scenario:
            self.scenario = load_scenario(config.scenario)
        self.cluster: ClusterBackend = self._make_cluster()
        self.metrics: MetricsBackend = self._make_metrics()
        self.deploys: DeployHistoryBackend = self._make_deploys()
        self._logs = Lazy("log store", self._make_logs)
        self._logs_proxy = LazyProxy(self._logs, timeout=60)
        self._gates: dict[int, tuple[Any, Gate]] = {}
        self._gates_lock = threading.Lock()
        self.databases = self._make_databases()
        self.allowed_namespaces: list[str] = list(dict.fromkeys(self.cluster.default_namespaces() + list(config.namespaces)))
        self._services_cache: list[Service] | None = None
        self.runbooks = self._make_runbooks()
        self.audit = None  # set by server.build_server
        self._process_role: Any = None  # security.roles.Role when --role is given (stdio, no auth)
        self.extra: dict[str, Any] = {}

    # backends ------------------------------------------------------------
    def _make_cluster(self) -> ClusterBackend:
        if not self.config.demo:
            from sre_mcp.backends.kubernetes import KubernetesCluster

            return KubernetesCluster(
                kubeconfig=self.config.kubeconfig,
                context=self.config.context,
                in_cluster=self.config.in_cluster,
                # Below the call timeout, so the backend's own clearer message wins the race.
                timeout=min(0.8 * self.config.call_timeout, 10.0),
            )
        if self.scenario is None:
            from sre_mcp.backends.nocluster import NoCluster

            return NoCluster()
        from sre_mcp.backends.fixture import FixtureCluster

        return FixtureCluster(self.scenario)

    def _make_metrics(self) -> MetricsBackend:
        if self.config.prometheus_url:
            from sre_mcp.backends.prometheus import PrometheusMetrics

            return PrometheusMetrics(self.config.prometheus_url, queries=self.config.prometheus_queries)
        if self.scenario is not None:
            from sre_mcp.backends.fixture import FixtureMetrics

            return FixtureMetrics(self.scenario)
        from sre_mcp.backends.kubernetes import NoMetrics

        return NoMetrics()

    def _make_deploys(self) -> DeployHistoryBackend:
        if self.scenario is not None and self.config.demo:
            from sre_mcp.backends.fixture import FixtureDeploys

            return FixtureDeploys(self.scenario)
        from sre_mcp.backends.kubernetes import KubernetesDeploys

        return KubernetesDeploys(self.cluster, self.services)

    def _make_databases(self) -> Any:
        """Configured PostgreSQL databases, else those the scenario describes, else none
        (and then the database tools are not offered)."""
        if self.config.databases:
            from sre_mcp.backends.postgres import DatabaseSpec, PostgresDatabases

            try:
                specs = [DatabaseSpec.parse(name, value) for name, value in self.config.databases.items()]
            except ValueError as exc:
                raise SystemExit(f"databases: {exc}") from None
            return PostgresDatabases(specs, connect_timeout=min(5.0, 0.5 * self.config.call_timeout))
        if self.scenario is not None:
            from sre_mcp.backends.postgres import FixtureDatabases

            described = FixtureDatabases.from_folder(self.scenario.path, self.scenario.name)
            return described if described.names() else None
        return None

    def _make_logs(self) -> LogsBackend:
        if self.config.clickhouse_url:
            from sre_mcp.backends.clickhouse import ClickHouseServerLogs

            return ClickHouseServerLogs(self.config.clickhouse_url)
        from sre_mcp.backends.clickhouse import ChdbLogs

        data_dir = self.config.logs_db or _process_logs_dir()
        if self.scenario is None or self.config.logs_store:
            # A named store is what the log tools read: imported logs, never mixed with a
            # scenario's own (those load only into a private store when none is named).
            return ChdbLogs(data_dir)
        # A scenario gets its own database, reloaded with fresh relative times at
        # every start, beside whatever `logs-import` put in the default one. In the
        # private per-process store each runtime gets its own, so two servers built in
        # one process (tests, an embedding host) never see each other's reloads.
        suffix = "" if self.config.logs_db else f"_{next(_RUNTIME_IDS)}"
        store = ChdbLogs(data_dir, database=f"scenario_{self.scenario.name}{suffix}")
        store.replace_source(f"scenario:{self.scenario.name}", self.scenario.logs, self.scenario.slow_queries)
        return store

    def _make_runbooks(self) -> "Runbooks":
        from sre_mcp.rag.index import RunbookIndex

        dirs = [SHIPPED_RUNBOOKS, *self.config.runbooks]
        return Runbooks(
            RunbookIndex(dirs, persist_dir=self.config.chroma_dir, chroma_url=self.config.chroma_url),
            self.config.rag,
            self.config.rag_wait,
        )

    @property
    def logs(self) -> LogsBackend:
        """The log store; its methods wait for its start when called (in a worker thread)."""
        return self._logs_proxy  # type: ignore[return-value]

    def start_background(self) -> None:
        """Warm what is slow without delaying `initialize` or a host's first calls.

        Loading chdb (a large native library) and importing torch both hold the
        interpreter for a while: started at once they slow the handshake and the
        first panes (pods, events, health), which need neither. So each starts
        on a timer; a call that needs one earlier starts (and waits for) it itself.
        """
        for delay, warm in ((self.config.logs_delay, self._logs.start),
                            (self.config.rag_delay, self.runbooks.start_background_warmup)):
            timer = threading.Timer(delay, warm)
            timer.daemon = True
            timer.start()

    # catalogues ------------------------------------------------------------
    def services(self) -> list[Service]:
        """The services the caller may see: those in namespaces the role allows."""
        return [s for s in self._all_services() if self.role_allows(s.namespace)]

    @property
    def role(self) -> Any:
        """The caller's role: an authenticated HTTP caller's own (security/identity.py), else the
        process's --role. Its namespaces bound every tool, service-keyed ones included."""
        from sre_mcp.security.identity import current

        ident = current()
        if ident is not None and ident.via != "process":
            return ident.role if ident.role is not None else _NO_ROLE
        return self._process_role

    @role.setter
    def role(self, value: Any) -> None:
        self._process_role = value

    def role_allows(self, namespace: str) -> bool:
        return self.role is None or self.role.allows_namespace(namespace)

    def log_scope(self) -> dict[str, str]:
        """Query parameters that keep log rows of services outside the role's namespaces out
        (logsql's `hidden` / `only`). A service the catalogue does not know has no known
        namespace: it is shown only to a role that allows every namespace but its exclusions."""
        if self.role is None:
            return {"hidden": "", "only": ""}
        every = self._all_services()
        hidden = sorted({s.name for s in every if not self.role.allows_namespace(s.namespace)})
        if any(p == "*" for p in self.role.namespaces):
            return {"hidden": ",".join(hidden), "only": ""}
        visible = sorted({s.name for s in every} - set(hidden))
        return {"hidden": "", "only": ",".join(visible) or ","}  # "," matches no service

    def _all_services(self) -> list[Service]:
        if self.scenario is not None and self.config.demo:
            return list(self.scenario.services)
        if self.config.services:
            return [Service(**s) for s in self.config.services]
        if self.config.logs_only:
            return [Service(name=n, namespace="", deployment="", team="unknown") for n in self.log_services()]
        if self._services_cache is None:
            found = []
            every: list[dict[str, Any]] | None = None
            if len(self.allowed_namespaces) > 1 and hasattr(self.cluster, "list_many"):
                try:  # one read (one cluster-wide watch when there are many namespaces)
                    every = self.cluster.list_many("Deployment", list(self.allowed_namespaces))
                except BackendError:
                    every = None  # namespace by namespace below, skipping the ones that fail
            if every is None:
                every = []
                for ns in self.allowed_namespaces:
                    try:
                        every += self.cluster.list_deployments(ns)
                    except BackendError:
                        continue
            for d in every:
                meta = d.get("metadata") or {}
                found.append(Service(name=meta.get("name"), namespace=meta.get("namespace"), deployment=meta.get("name"),
                                     team=(meta.get("labels") or {}).get("team", "unknown")))
            self._services_cache = found
        return list(self._services_cache)

    def service(self, name: str) -> Service:
        services = self.services()
        for s in services:
            if s.name == name:
                return s
        hidden = next((s for s in self._all_services() if s.name == name), None)
        if hidden is not None:  # every service-keyed tool and the meta-tool resolve names here
            raise ToolFailure(
                f"role {self.role.name!r} may not use namespace {hidden.namespace!r} (service {name!r})",
                hint="namespaces of this role: " + ", ".join(self.role.namespaces),
            )
        from difflib import get_close_matches

        names = sorted(s.name for s in services)
        near = get_close_matches(name, names, n=3, cutoff=0.6)
        raise ToolFailure(
            f"unknown service {name!r}",
            hint=(f"did you mean {' or '.join(near)}? " if near else "") + "known services: " + ", ".join(names),
        )

    def check_namespace(self, namespace: str) -> str:
        if not self.role_allows(namespace):
            raise ToolFailure(
                f"role {self.role.name!r} may not use namespace {namespace!r}",
                hint="namespaces of this role: " + ", ".join(self.role.namespaces),
            )
        if namespace not in self.allowed_namespaces:
            raise ToolFailure(
                f"namespace {namespace!r} is not allowed",
                hint="allowed namespaces: " + ", ".join(self.allowed_namespaces),
            )
        return namespace

    def readable_namespaces(self, namespace: str) -> list[str]:
        """The namespaces a list tool reads for its `namespace` argument: that one (checked), or for
        "*" every namespace of the allow-list that the caller's role may read."""
        if namespace != ALL_NAMESPACES:
            return [self.check_namespace(namespace)]
        names = [ns for ns in self.allowed_namespaces if self.role_allows(ns)]
        if not names:
            raise ToolFailure("no namespace to read: the role allows none of this server's namespaces",
                              hint="allowed namespaces: " + ", ".join(self.allowed_namespaces))
        return names

    LOG_SERVICES_TTL = 30.0

    def log_services(self) -> list[str]:
        """Services that have rows in the log store (cached briefly): searchable by the log
        tools even when no cluster object carries their name. Blocking: call on a worker."""
        cached = getattr(self, "_log_services", None)
        if cached is not None and time.monotonic() - cached[0] < self.LOG_SERVICES_TTL:
            return cached[1]
        from sre_mcp.backends import logsql

        rows = self.logs.query(f"SELECT DISTINCT service FROM {logsql.DB}.logs ORDER BY service LIMIT 10000", {})
        names = [str(r["service"]) for r in rows if r.get("service")]
        self._log_services = (time.monotonic(), names)
        return names

    # running blocking backend work ------------------------------------------
    def gate(self, fn: Callable[..., Any]) -> Gate:
        """The concurrency gate of the backend a callable belongs to (its bound object)."""
        owner = getattr(fn, "__sre_gate__", None) or getattr(fn, "__self__", None)
        if owner is None or owner is self:
            owner = self  # plain functions and the runtime's own catalogue work share one gate
        with self._gates_lock:
            entry = self._gates.get(id(owner))
            if entry is None:
                name = "log store" if owner is self._logs_proxy else type(owner).__name__
                entry = self._gates[id(owner)] = (owner, Gate(name, GATE_LIMIT * (2 if owner is self else 1)))
            return entry[1]

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking backend work on a worker thread. A hung backend is abandoned
        when the call's deadline passes, so the event loop (and every other tool) keeps going;
        its gate keeps it from taking more than its share of threads meanwhile."""
        gate = self.gate(fn)
        await gate.enter()
        claim = threading.Lock()
        claimed: list[str] = []

        def work() -> Any:
            with claim:
                if claimed:  # the caller gave up before this ever started
                    return None
                claimed.append("thread")
            try:
                return fn(*args)
            finally:
                gate.leave()  # in the thread: an abandoned call holds its slot until it really ends

        try:
            return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
        except BaseException:
            with claim:
                if not claimed:  # cancelled before a worker took it: the slot is the caller's to give back
                    claimed.append("caller")
                    gate.leave()
            raise


class Runbooks:
    """The runbook catalogue and search the tools see, over the RAG index."""

    REFRESH_EVERY = 2.0  # seconds between looks at the runbook folders

    def __init__(self, index: Any, rag: bool, rag_wait: float = 20.0):
        self.index = index
        self._looked = time.monotonic()
        self.rag = rag
        self.rag_wait = rag_wait

    @property
    def ready(self) -> bool:
        return bool(self.rag and self.index.ready)

    def _refresh(self, inline: bool = False) -> None:
        """Runbooks added or edited while the server runs count from the next call.

        `inline` only for search, which runs on a worker thread: once the index is warm a
        change means embedding, which must not run on the server's event loop (get and
        the catalogue are called there), so they hand it to a thread of its own.
        """
        now = time.monotonic()
        if now - self._looked < self.REFRESH_EVERY:
            return
        self._looked = now
        if not inline and self.index.ready:
            threading.Thread(target=self._refresh_now, name="runbook-refresh", daemon=True).start()
            return
        self._refresh_now()

    def _refresh_now(self) -> None:
        try:
            changed = self.index.refresh_if_changed()
        except Exception:  # noqa: BLE001 - a bad edit must not take search down
            log.exception("re-reading the runbook folders failed")
            return
        if changed:
            log.info("runbooks changed on disk: %s", changed)

    def runbooks(self) -> list[dict[str, Any]]:
        self._refresh()
        return self.index.runbooks()

    def teams(self) -> list[str]:
        return self.index.teams()

    def get(self, runbook_id: str) -> str | None:
        self._refresh()
        try:
            return self.index.get(runbook_id)
        except KeyError:
            return None

    def search(self, query: str, n_results: int = 3, team: str | None = None, wait: float | None = None) -> list[dict[str, Any]]:
        """Semantic + keyword search. A search that arrives during warm-up waits for it
        (up to `wait` seconds, default `rag_wait`), then answers from the keyword half
        of the same index rather than keep an investigation stalled on torch."""
        self._refresh(inline=True)
        # `--no-rag`: BM25 over the same section chunks, no embedding model.
        if not self.rag:
            return self.index.keyword_search(query, n_results, team)
        if not self.index.ready:
            self.index.start_background_warmup()
            deadline = time.monotonic() + (self.rag_wait if wait is None else wait)
            while not self.index.ready and time.monotonic() < deadline and self.index.warm_error is None:
                time.sleep(0.05)
            if not self.index.ready:
                hits = self.index.keyword_search(query, n_results, team)
                for h in hits:
                    h["search_mode"] = "keyword (semantic index still warming up)"
                return hits
        return self.index.search(query, n_results, team)

    def start_background_warmup(self) -> None:
        if self.rag:
            self.index.start_background_warmup()


class _NoRole:
    """An authenticated caller bound to no role: no namespace, no tool."""

    name = "<none>"
    namespaces: list[str] = []

    def allows_namespace(self, namespace: str) -> bool:
        return False

    def allows_tool(self, tool: str, write: bool) -> bool:
        return False


_NO_ROLE = _NoRole()
_RUNTIME_IDS = itertools.count(1)
_PROCESS_LOGS_DIR: Path | None = None


def _process_logs_dir() -> Path:
    """One private embedded store per process (chdb binds a process to one directory)."""
    global _PROCESS_LOGS_DIR
    if _PROCESS_LOGS_DIR is None:
        base = cache_dir()
        base.mkdir(parents=True, exist_ok=True)
        _PROCESS_LOGS_DIR = Path(tempfile.mkdtemp(prefix="sre-logs-", dir=base))
        atexit.register(shutil.rmtree, _PROCESS_LOGS_DIR, True)
    return _PROCESS_LOGS_DIR
