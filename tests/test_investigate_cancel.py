"""Cancel while tool calls (not the model stream) are in flight: run() returns at once,
the calls are recorded as cancelled, and the server and host keep working."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sre_console.host import McpHost
from sre_console.host.config import ServerSpec
from sre_console.investigate import Investigation
from sre_console.investigate.events import Cancelled, ToolCallStarted, Usage
from sre_console.investigate.models import ModelTurn

SLEEPY = Path(__file__).with_name("sleepy_server.py")


class TwoLongCalls:
    """A scripted model: one turn asking for two 30-second calls."""

    name = "scripted"

    async def turn(self, system, messages, tools, emit, *, tool_choice=None):
        uses = [{"type": "tool_use", "id": f"t{i}", "name": "sleep_ms", "input": {"ms": 30_000}} for i in range(2)]
        return ModelTurn(uses, "tool_use", Usage())


def test_cancel_with_tool_calls_in_flight():
    async def go():
        host = McpHost([ServerSpec(name="sleepy", command=sys.executable, args=[str(SLEEPY)])])
        await host.start()
        try:
            events: list = []
            inv = Investigation(host, TwoLongCalls(), on_event=events.append)
            task = asyncio.ensure_future(inv.run(None, {}, "go"))
            while sum(isinstance(e, ToolCallStarted) for e in events) < 2:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)  # both calls are now waiting on the server
            inv.cancel()
            result = await asyncio.wait_for(task, 5)  # not the 30 s the calls would take
            assert result.status == "cancelled" and isinstance(events[-1], Cancelled)
            assert [(c.name, c.ok, c.error) for c in result.tool_calls] == [("sleep_ms", False, "cancelled")] * 2
            # The host and the server are fine: the next call answers normally.
            after = await asyncio.wait_for(host.call_tool("sleep_ms", {"ms": 1}), 10)
            assert after.ok and after.payload() == {"slept_ms": 1}
        finally:
            await host.stop()

    asyncio.run(go())
