"""Start our server before the console imports anything heavy.

Launch is two Python start-ups in a row: the console (Textual, the MCP SDK) and then
the server (the MCP SDK again). Spawning the server first lets both import at once
on two cores; the host adopts the running process for its first connection and
spawns normally on any restart. Nothing here imports the MCP SDK.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from typing import Any, AsyncIterator

from sre_console.host.config import ServerSpec

# The variables the SDK's stdio client lets a child inherit, plus the spec's own env.
_INHERIT = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER")


class Prespawned:
    def __init__(self, spec: ServerSpec):
        self.spec = spec
        env = {k: os.environ[k] for k in _INHERIT if k in os.environ} | spec.env
        self.stderr_read, stderr_write = os.pipe()
        self.proc = subprocess.Popen(
            [spec.command, *spec.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr_write,
            env=env,
            cwd=spec.cwd,
            start_new_session=True,  # our own process group: a Ctrl-C in the terminal is the console's to handle
        )
        os.close(stderr_write)

    @contextlib.asynccontextmanager
    async def transport(self) -> AsyncIterator[tuple[Any, Any]]:
        """The same (read, write) stream pair `stdio_client` yields, over the adopted pipes."""
        import anyio
        from mcp.client.stdio import _parse_line

        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=2**24)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), self.proc.stdout)
        w_transport, w_protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, self.proc.stdin)
        writer = asyncio.StreamWriter(w_transport, w_protocol, None, loop)
        read_send, read_recv = anyio.create_memory_object_stream(0)
        write_send, write_recv = anyio.create_memory_object_stream(0)

        async def read_lines() -> None:
            async with read_send:
                while line := await reader.readline():
                    try:
                        await read_send.send(_parse_line(line.decode("utf-8", "replace").rstrip("\n")))
                    except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                        return

        async def write_lines() -> None:
            try:
                async with write_recv:
                    async for message in write_recv:
                        data = message.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n"
                        writer.write(data.encode("utf-8"))
                        await writer.drain()
            except (ConnectionError, OSError, anyio.ClosedResourceError, anyio.BrokenResourceError):
                await read_send.aclose()

        async with anyio.create_task_group() as tg:
            tg.start_soon(read_lines)
            tg.start_soon(write_lines)
            try:
                yield read_recv, write_send
            finally:
                with anyio.CancelScope(shield=True):
                    writer.close()
                    await self.stop()
                tg.cancel_scope.cancel()

    async def stop(self, grace: float = 2.0) -> None:
        """Close stdin, give the server a moment to leave, then make it."""
        proc = self.proc
        for step in (None, proc.terminate, proc.kill):
            if step is not None:
                with contextlib.suppress(ProcessLookupError):
                    step()
            for _ in range(int(grace / 0.05)):
                if proc.poll() is not None:
                    return
                await asyncio.sleep(0.05)
