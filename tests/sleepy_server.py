"""A tiny MCP server whose one tool sleeps: for timing parallel tool calls and for
cancelling calls in flight (tests/test_investigate_cancel.py, benchmarks/bench_investigate.py)."""

import asyncio

from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

server = MCPServer("sleepy")


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
async def sleep_ms(ms: int) -> dict:
    """Sleep ms milliseconds."""
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms}


if __name__ == "__main__":
    server.run()
