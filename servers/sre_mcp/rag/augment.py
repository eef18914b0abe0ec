"""Attach the runbooks that match what a tool result shows.

The augmenter never changes a result in place and never fails a tool call: no
signal, nothing relevant enough, or an index that is not ready yet all mean the
result goes back unchanged.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from typing import Any

from sre_mcp.rag.signals import detect_signals, query_for

log = logging.getLogger(__name__)

KEY = "related_runbooks"


class Augmenter:
    applies_to: frozenset[str] = frozenset(
        {
            "check_service_health",
            "list_pods",
            "describe_pod",
            "get_pod_logs",
            "get_events",
            "investigate_service",
            "search_logs",
        }
    )

    def __init__(
        self,
        index: Any,
        *,
        threshold: float = 0.5,
        margin: float = 0.15,
        max_runbooks: int = 3,
        cache_size: int = 128,
        wait: bool = False,
    ):
        """``threshold``: minimum relevance for a runbook to be attached; ``margin``: and
        within this much of the best one, so a strong match does not drag weak
        neighbours along (docs/rag.md shows how both were chosen). ``wait``: block until the index has warmed up; by
        default a call made during warm-up simply gets no runbooks, so tools answer at
        once while the model loads."""
        self.index = index
        self.threshold = threshold
        self.margin = margin
        self.max_runbooks = max_runbooks
        self.wait = wait
        self._cache: OrderedDict[tuple[Any, str], list[dict[str, Any]]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.searches = 0  # searches actually run (cache misses); tests read it

    def related(self, signals: list[str]) -> list[dict[str, Any]]:
        """Runbooks above the threshold for a set of signal names (cached per query)."""
        query = query_for(signals)
        if not query:
            return []
        key = (getattr(self.index, "generation", None), query)  # a re-sync invalidates
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        hits = self.index.search(query, n_results=self.max_runbooks)
        self.searches += 1
        floor = max(self.threshold, (hits[0]["relevance"] - self.margin) if hits else 1.0)
        out = [
            {
                "runbook_id": h["runbook_id"],
                "uri": h["uri"],
                "title": h["title"],
                "section": h["section"],
                "excerpt": h["excerpt"],
                "relevance": h["relevance"],
            }
            for h in hits
            if h["relevance"] >= floor
        ][: self.max_runbooks]
        with self._lock:
            self._cache[key] = out
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return out

    def augment(self, tool_name: str, result: dict[str, Any]) -> dict[str, Any]:
        if tool_name not in self.applies_to or not isinstance(result, dict) or KEY in result:
            return result
        if not self.wait and not getattr(self.index, "ready", True):
            return result
        try:
            text = json.dumps(result, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            return result
        signals = detect_signals(text)
        if not signals:
            return result
        try:
            runbooks = self.related(signals)
        except Exception:  # augmentation is a nicety; the tool's own answer must still go out
            log.exception("runbook augmentation failed for %s", tool_name)
            return result
        if not runbooks:
            return result
        return {**result, KEY: {"signals": signals, "runbooks": [dict(r) for r in runbooks]}}

    async def augment_async(self, tool_name: str, result: dict[str, Any]) -> dict[str, Any]:
        """``augment`` off the event loop (an embedding costs a few ms of CPU; a wait for
        warm-up costs seconds)."""
        import asyncio  # local: only async hosts pay for it

        return await asyncio.to_thread(self.augment, tool_name, result)
