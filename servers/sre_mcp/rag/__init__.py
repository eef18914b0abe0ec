"""Runbook RAG: parse runbooks, index them (chromadb + MiniLM + BM25), attach the
relevant ones to tool results.

Importing this package is cheap: torch, sentence-transformers and chromadb load
only when an index warms up.
"""

from sre_mcp.rag.augment import Augmenter
from sre_mcp.rag.index import RunbookIndex, SearchConfig
from sre_mcp.rag.runbooks import Runbook, RunbookError, load_runbooks
from sre_mcp.rag.signals import SIGNALS, Signal, detect_signals

__all__ = [
    "Augmenter",
    "RunbookIndex",
    "SearchConfig",
    "Runbook",
    "RunbookError",
    "load_runbooks",
    "SIGNALS",
    "Signal",
    "detect_signals",
]
