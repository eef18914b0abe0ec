"""The MCP host: spawns and supervises servers, lists and calls tools, prompts and
resources, and times every call.

Each server lives in its own task, so one that fails to start or dies does not stop
the others; a dead server is restarted with backoff while callers get a clear error
instead of a hang. Everything is async on the caller's event loop (Textual's, or
`asyncio.run` in the headless CLI); nothing blocks it.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import itertools
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable


from sre_console.host.config import BUILTIN, ServerSpec
from sre_console.server_facts import CONSOLE_TOOLS

if TYPE_CHECKING:  # the SDK is imported off the event loop at start (see _import_sdk)
    from mcp import Client

log = logging.getLogger("sre_console.host")
_TOOL_NAME = re.compile(r"[^A-Za-z0-9_-]")


@dataclass
class ToolInfo:
    name: str  # the name the host offers (prefixed with the server on a clash)
    server: str
    remote_name: str
    title: str | None
    description: str
    input_schema: dict[str, Any]
    read_only: bool
    destructive: bool


@dataclass
class PromptInfo:
    name: str
    server: str
    title: str | None
    description: str
    arguments: list[dict[str, Any]]  # {"name", "description", "required"}


@dataclass
class CallResult:
    call_id: int
    tool: str
    server: str
    arguments: dict[str, Any]
    ok: bool = False
    structured: dict[str, Any] | None = None
    text: str = ""
    error: str | None = None
    latency_ms: float = 0.0
    started: float = field(default_factory=time.time)
    done: bool = False

    def payload(self) -> Any:
        """The result as data: structured content when the tool gave it, else its text."""
        if self.structured is not None:
            return self.structured
        try:
            return json.loads(self.text)
        except (ValueError, TypeError):
            return self.text


@dataclass
class HostEvent:
    kind: str  # "server" | "call_started" | "call_finished" | "stderr"
    server: str
    state: str | None = None
    message: str | None = None
    call: CallResult | None = None


class ServerDown(Exception):
    pass


class _Respawn(Exception):
    """Asked for: the server is replaced by a new process (new arguments), at once."""


class ServerConnection:
    """One supervised server: connect, list, stay up; on death, restart with backoff."""

    BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)
    PING_EVERY = 3.0

    def __init__(self, spec: ServerSpec, host: "McpHost"):
        self.spec = spec
        self.host = host
        self.state = "stopped"
        self.error: str | None = None
        self.client: Client | None = None
        self.tools: list[Any] = []
        self.capabilities: Any = None
        self.restarts = 0
        self.prespawned: Any = None  # a server process started before the UI (prespawn.py)
        self.stderr: collections.deque[str] = collections.deque(maxlen=2000)
        self._ready = asyncio.Event()
        self._lost = asyncio.Event()
        self._stop = False
        self._task: asyncio.Task | None = None
        self._generation = 0  # one per spawned process: a stale stderr EOF never marks a new one lost
        self._respawn_why: str | None = None  # a restart asked for (respawn), not yet begun
        self._wake = asyncio.Event()  # cuts a backoff short

    def _set(self, state: str, error: str | None = None) -> None:
        self.state, self.error = state, error
        self.host._emit(HostEvent("server", self.spec.name, state=state, message=error))

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name=f"mcp-{self.spec.name}")

    async def wait_ready(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def _pump_stderr(self, read_fd: int) -> None:
        """Lines from the server's stderr go to the console's log view (never over the UI).

        The end of stderr is the first sign of a dead server (no ping or call needed):
        once nothing else holds the pipe's write end, EOF means the process is gone."""
        name = self.spec.name
        generation = self._generation

        def pump() -> None:
            with os.fdopen(read_fd, "r", encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    line = line.rstrip("\n")
                    self.stderr.append(line)
                    self.host._emit_threadsafe(HostEvent("stderr", name, message=line))
            self.host._call_threadsafe(self._stderr_closed, generation)

        threading.Thread(target=pump, name=f"stderr-{name}", daemon=True).start()

    def _stderr_closed(self, generation: int) -> None:
        if generation == self._generation and not self._stop:
            self.mark_lost()

    def _errlog(self):
        read_fd, write_fd = os.pipe()
        self._pump_stderr(read_fd)
        return os.fdopen(write_fd, "w", encoding="utf-8")

    def respawn(self, spec: ServerSpec, why: str) -> None:
        """Replace the server by a new process started from `spec` (e.g. another kube
        context): now, with no backoff. Calls made meanwhile wait for the new process, never
        reach the old one; the usual "restarting" then "ready" events follow."""
        self.spec = spec
        self._respawn_why = why
        if self.prespawned is not None:  # started with the old arguments: not adopted
            self.prespawned.proc.kill()
            self.prespawned = None
        self.client = None
        self._ready.clear()
        self._lost.set()
        self._wake.set()

    async def _supervise(self) -> None:
        attempt = 0
        while not self._stop:
            # A respawn asked for before this spawn is this spawn (the spec is already the new one).
            why, self._respawn_why = self._respawn_why, None
            self._wake.clear()
            self._set("restarting" if why or attempt else "starting", why)
            from mcp import Client  # imported by McpHost.start on a thread, so this is instant
            from mcp.client.stdio import StdioServerParameters, stdio_client

            self._generation += 1
            prespawned, self.prespawned = self.prespawned, None  # adopted once; restarts spawn anew
            if self.spec.url:
                # A remote server: streamable HTTP with its headers (the bearer token); no
                # process of ours, so no stderr to watch: the ping finds a lost server.
                from mcp.client.streamable_http import streamable_http_client
                from mcp.shared._httpx_utils import create_mcp_http_client

                errlog = None
                http = create_mcp_http_client(headers=dict(self.spec.headers))
                self.http_refusal = None

                async def note_refusal(response: Any) -> None:
                    # The SDK reports any HTTP error as "an error response": keep what the server said.
                    if response.status_code in (401, 403, 421):
                        why = response.headers.get("www-authenticate", "")
                        self.http_refusal = f"HTTP {response.status_code} {response.reason_phrase}" + (f" ({why[:160]})" if why else "")

                http.event_hooks["response"].append(note_refusal)
                transport = streamable_http_client(self.spec.url, http_client=http)
            elif prespawned is not None:
                self._pump_stderr(prespawned.stderr_read)
                errlog = None
                transport = prespawned.transport()
            else:
                errlog = self._errlog()
                params = StdioServerParameters(command=self.spec.command, args=self.spec.args, env=self.spec.env, cwd=self.spec.cwd)
                transport = stdio_client(params, errlog=errlog)
            try:
                async with Client(transport, cache=None, read_timeout_seconds=None) as client:
                    if errlog is not None:
                        # The child holds its own copy now: closing ours lets its death show as EOF.
                        errlog.close()
                        errlog = None
                    capabilities = client.server_capabilities
                    tools = (await client.list_tools()).tools
                    if self._respawn_why is not None:
                        raise _Respawn()  # asked for while this one started: never report it ready
                    self.client, self.capabilities, self.tools = client, capabilities, tools
                    self._lost.clear()
                    self._ready.set()
                    self._set("ready")
                    attempt = 0
                    self.host._refresh_tools()
                    await self._watch(client)
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # noqa: BLE001 - any failure means: restart
                if self._stop:
                    break
                if self._respawn_why is not None:
                    continue  # (the finally below runs first) a new process now, no backoff
                self.error = _describe(exc)
                if getattr(self, "http_refusal", None):
                    hint = "check --token-file" if "401" in self.http_refusal else "check the URL and the server's allowed hosts"
                    self.error = f"the server refused the connection: {self.http_refusal}; {hint}"
                if self.stderr and self.client is None:
                    # Died before the handshake: its last words say why.
                    self.error += f" (server said: {self.stderr[-1][:200]})"
                log.info("server %s: %s", self.spec.name, self.error)
            finally:
                self.client = None
                self._ready.clear()
                if errlog is not None:
                    try:
                        errlog.close()
                    except OSError:
                        pass
            if self._stop:
                break
            delay = self.BACKOFF[min(attempt, len(self.BACKOFF) - 1)]
            attempt += 1
            self.restarts += 1
            self._set("down", f"{self.error or 'connection lost'}; restarting in {delay:g}s")
            self.host._refresh_tools()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except asyncio.TimeoutError:
                pass
        self._set("stopped")

    async def _watch(self, client: Client) -> None:
        """Return when the server is gone: a failed ping, or a call that saw the pipe close."""
        while not self._stop:
            try:
                await asyncio.wait_for(self._lost.wait(), self.PING_EVERY)
                if self._respawn_why is not None:
                    raise _Respawn()
                raise ServerDown("the server stopped answering")
            except asyncio.TimeoutError:
                pass
            try:
                # A cheap request that every protocol version serves (2026 servers
                # dropped `ping`); it also keeps the tool list current.
                tools = (await asyncio.wait_for(client.list_tools(), 5.0)).tools
            except Exception as exc:
                raise ServerDown(f"the server stopped answering ({_describe(exc)})") from None
            if [t.name for t in tools] != [t.name for t in self.tools]:
                self.tools = tools
                self.host._refresh_tools()

    def mark_lost(self) -> None:
        self._lost.set()

    async def stop(self) -> None:
        self._stop = True
        self._lost.set()
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass


def _sanitise(name: str) -> str:
    """A tool name as the Messages API accepts it: [A-Za-z0-9_-], at most 64 characters."""
    return _TOOL_NAME.sub("_", name)[:64]


def _lookalike(name: str) -> str:
    """`scale.deployment`, `Scale-Deployment`, `scale__deployment` → `scaledeployment`."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _import_sdk() -> None:
    import mcp.client.stdio  # noqa: F401

    import mcp  # noqa: F401


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        inner = exc.exceptions[0] if exc.exceptions else exc
        return _describe(inner)
    text = str(exc) or type(exc).__name__
    return text if len(text) < 300 else text[:300] + "…"


class McpHost:
    def __init__(self, specs: list[ServerSpec]):
        # Approval decisions are recorded by the server's own audit writer: they ride on
        # the confirmed call as `_meta["sre/audit_note"]` (see sre_console.approval).
        self.servers: dict[str, ServerConnection] = {s.name: ServerConnection(s, self) for s in specs}
        self._listeners: list[Callable[[HostEvent], None]] = []
        self._tools: dict[str, ToolInfo] = {}
        # Names our own server offers (kept while it is down, so nobody can take them meanwhile).
        self._builtin_names: set[str] = set(CONSOLE_TOOLS)
        self._ids = itertools.count(1)
        self.calls = 0
        self.last_latency_ms: float | None = None
        self.history: collections.deque[CallResult] = collections.deque(maxlen=500)
        self._loop: asyncio.AbstractEventLoop | None = None

    # events ---------------------------------------------------------------
    def subscribe(self, fn: Callable[[HostEvent], None]) -> None:
        self._listeners.append(fn)

    def _emit(self, event: HostEvent) -> None:
        for fn in list(self._listeners):
            try:
                fn(event)
            except Exception:
                log.exception("host listener failed")

    def _call_threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(fn, *args)
            except RuntimeError:
                pass

    def _emit_threadsafe(self, event: HostEvent) -> None:
        if self._loop is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._emit, event)
            except RuntimeError:
                pass

    # lifecycle --------------------------------------------------------------
    async def start(self, wait: float = 20.0) -> None:
        """Start every server; wait (bounded) for them, but a failing one never blocks the rest."""
        self._loop = asyncio.get_running_loop()
        # The MCP SDK takes most of a second to import: do it off the event loop, so a
        # UI on this loop draws its first frame meanwhile (the server is starting too).
        await asyncio.to_thread(_import_sdk)
        for conn in self.servers.values():
            conn.start()
        await asyncio.gather(*(c.wait_ready(wait) for c in self.servers.values()))

    async def stop(self) -> None:
        await asyncio.gather(*(c.stop() for c in self.servers.values()))

    def respawn(self, name: str, spec: ServerSpec, why: str) -> None:
        """Restart a local server from a new spec (e.g. ours in another kube context:
        `builtin_server(args)`). Raises KeyError for an unknown server, ValueError for a remote
        one (its process is not ours to start)."""
        conn = self.servers[name]
        if conn.spec.url or spec.url:
            raise ValueError(f"server {name!r} is remote: the console does not start it")
        conn.respawn(dataclasses.replace(spec, name=name, builtin=conn.spec.builtin), why)

    async def __aenter__(self) -> "McpHost":
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    @property
    def connected(self) -> bool:
        return all(c.state == "ready" for c in self.servers.values())

    def status(self) -> dict[str, str]:
        return {name: c.state for name, c in self.servers.items()}

    # tools -------------------------------------------------------------------
    def _refresh_tools(self) -> None:
        """The tools offered to the model, under names that are unique after sanitising.

        Built-in tools keep their names. Another server's tool is offered as
        `<server>__<name>` when its sanitised name is taken (by a built-in, even one whose
        server is down, or by another server), so it can never shadow ours. A tool that
        only *looks* like ours (`scale.deployment`, `Scale-Deployment`) gets no trust from
        its read-only claim: it is treated as a destructive write."""
        for conn in self.servers.values():
            if conn.spec.builtin:
                self._builtin_names.update(_sanitise(t.name) for t in conn.tools)
        ours = {_lookalike(n) for n in self._builtin_names}
        tools: dict[str, ToolInfo] = {}
        ordered = sorted(self.servers.values(), key=lambda c: not c.spec.builtin)  # ours first
        counts = collections.Counter(_sanitise(t.name) for c in ordered if not c.spec.builtin for t in c.tools)
        for conn in ordered:
            for t in conn.tools:
                name = _sanitise(t.name)
                if not conn.spec.builtin and (name in self._builtin_names or counts[name] > 1 or name in tools):
                    name = _sanitise(f"{conn.spec.name}__{t.name}")
                    base, n = name, 2
                    while name in tools or name in self._builtin_names:
                        name, n = f"{base[:60]}_{n}", n + 1
                ann = t.annotations
                read_only = bool(ann and ann.read_only_hint)
                if not conn.spec.builtin and _lookalike(t.name) in ours:
                    read_only = False  # a stranger's claim about a name like ours is not believed
                tools[name] = ToolInfo(
                    name=name,
                    server=conn.spec.name,
                    remote_name=t.name,
                    title=(ann.title if ann and ann.title else t.title),
                    description=t.description or "",
                    input_schema=t.input_schema or {"type": "object", "properties": {}},
                    read_only=read_only,
                    # Per the spec an unannotated tool may be destructive: ask before running it.
                    destructive=not read_only and (ann is None or ann.destructive_hint is not False
                                                   or (not conn.spec.builtin and _lookalike(t.name) in ours)),
                )
        self._tools = tools

    def tools(self) -> list[ToolInfo]:
        return list(self._tools.values())

    def tool(self, name: str) -> ToolInfo | None:
        return self._tools.get(name)

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None, timeout: float = 60.0, meta: dict[str, Any] | None = None) -> CallResult:
        """Call a tool; never raises for tool or server failures: the CallResult says what happened.

        `meta` rides along as the request's `_meta` (e.g. `{"sre/audit_note": {"approved_by": ...}}`
        so the server's audit line records who approved a write)."""
        arguments = dict(arguments or {})
        info = self._tools.get(name)
        server = info.server if info else BUILTIN
        call = CallResult(call_id=next(self._ids), tool=name, server=server, arguments=arguments)
        self._emit(HostEvent("call_started", server, call=call))
        start = time.perf_counter()
        try:
            if info is None:
                raise LookupError(f"unknown tool {name!r}")
            conn = self.servers[info.server]
            generation = conn._generation
            if conn.client is None and not await conn.wait_ready(min(timeout, 15.0)):
                raise ServerDown(f"server {info.server!r} is {conn.state}: {conn.error or 'not connected'}")
            assert conn.client is not None
            result = await asyncio.wait_for(conn.client.call_tool(info.remote_name, arguments, meta=meta), timeout)
            call.structured = result.structured_content
            call.text = "\n".join(getattr(c, "text", "") for c in result.content if getattr(c, "type", "") == "text")
            call.ok = not result.is_error
            if result.is_error:
                err = (call.structured or {}).get("error") if isinstance(call.structured, dict) else None
                call.error = (err or {}).get("message") if isinstance(err, dict) else None
                call.error = call.error or call.text[:500] or "tool error"
        except asyncio.CancelledError:
            call.error = "cancelled"
            self._finish(call, start)
            raise
        except asyncio.TimeoutError:
            call.error = f"no answer within {timeout:g}s"
        except Exception as exc:
            call.error = _describe(exc)
            conn = self.servers.get(info.server) if info is not None else None
            # A call that failed on a process since replaced says nothing about the new one.
            if conn is not None and not isinstance(exc, LookupError) and conn._generation == generation:
                conn.mark_lost()
        self._finish(call, start)
        return call

    def _finish(self, call: CallResult, start: float) -> None:
        call.latency_ms = round((time.perf_counter() - start) * 1000, 2)
        call.done = True
        self.calls += 1
        self.last_latency_ms = call.latency_ms
        self.history.append(call)
        self._emit(HostEvent("call_finished", call.server, call=call))

    # prompts and resources ----------------------------------------------------
    async def list_prompts(self) -> list[PromptInfo]:
        out = []
        for conn in self.servers.values():
            caps = conn.capabilities
            if conn.client is None or caps is None or getattr(caps, "prompts", None) is None:
                continue  # ask only servers that declare prompts
            try:
                result = await asyncio.wait_for(conn.client.list_prompts(), 10)
            except Exception as exc:
                log.warning("prompts of %s: %s", conn.spec.name, _describe(exc))
                continue
            for p in result.prompts:
                out.append(
                    PromptInfo(
                        name=p.name,
                        server=conn.spec.name,
                        title=p.title,
                        description=p.description or "",
                        arguments=[{"name": a.name, "description": a.description or "", "required": bool(a.required)} for a in p.arguments or []],
                    )
                )
        return out

    async def get_prompt(self, name: str, arguments: dict[str, str], server: str = BUILTIN) -> str:
        return (await self.get_prompt_result(name, arguments, server))[0]

    async def get_prompt_result(self, name: str, arguments: dict[str, str], server: str = BUILTIN) -> tuple[str, dict[str, Any]]:
        """The rendered prompt text and the result's `_meta` (our server puts the steps there as data)."""
        conn = self.servers.get(server)
        if conn is None or conn.client is None:
            raise ServerDown(f"server {server!r} is not connected")
        result = await asyncio.wait_for(conn.client.get_prompt(name, arguments), 15)
        return "\n\n".join(getattr(m.content, "text", "") for m in result.messages), dict(result.meta or {})

    async def list_resources(self, server: str = BUILTIN) -> list[Any]:
        conn = self.servers.get(server)
        caps = conn.capabilities if conn else None
        if conn is None or conn.client is None or caps is None or getattr(caps, "resources", None) is None:
            return []
        return list((await asyncio.wait_for(conn.client.list_resources(), 10)).resources)

    async def listen_resources(self, uris: list[str], on_update: Callable[[str], None], server: str = BUILTIN,
                               on_state: Callable[[bool], None] | None = None) -> None:
        """Until cancelled: a `subscriptions/listen` stream for `uris`, calling `on_update(uri)` per
        resource-updated event. Re-listens after the server restarts; `on_state(True/False)` says
        whether a stream is open, so a pane can say honestly whether it is live."""
        while True:
            conn = self.servers.get(server)
            client = conn.client if conn is not None else None
            if client is None:
                await asyncio.sleep(0.5)
                continue
            try:
                async with client.listen(resource_subscriptions=list(uris)) as sub:
                    if on_state:
                        on_state(True)
                    async for event in sub:
                        uri = getattr(event, "uri", None)
                        if uri:
                            on_update(str(uri))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - not supported, or the stream dropped: retry, say so
                log.info("listen on %s: %s", server, _describe(exc))
            if on_state:
                on_state(False)
            await asyncio.sleep(1.0)

    async def read_resource(self, uri: str, server: str = BUILTIN) -> str:
        conn = self.servers.get(server)
        if conn is None or conn.client is None:
            raise ServerDown(f"server {server!r} is not connected")
        result = await asyncio.wait_for(conn.client.read_resource(uri), 15)
        return "\n".join(getattr(c, "text", "") for c in result.contents)
