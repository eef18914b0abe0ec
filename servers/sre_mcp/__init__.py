"""sre-mcp-server: one MCP server composing Kubernetes, ClickHouse logs and runbook RAG tools.

Importable without Textual (and without torch/chromadb/kubernetes until they are used),
so any MCP host can run it and it starts fast.
"""

__version__ = "0.1.0"
