"""sre-console: the on-call terminal over the composite SRE MCP server."""

__version__ = "0.1.0"
