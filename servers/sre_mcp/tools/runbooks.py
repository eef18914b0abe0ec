"""Runbook tools: search the team's runbooks and read one."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from sre_mcp.errors import ToolFailure
from sre_mcp.runtime import Runtime
from sre_mcp.tools import tool


class RunbookTools:
    def __init__(self, rt: Runtime):
        self.rt = rt

    @tool("Search runbooks")
    async def search_runbooks(
        self,
        query: Annotated[str, Field(description="Symptoms or error text in your own words, e.g. 'pods restarting exit 137'", min_length=1, max_length=500)],
        n_results: Annotated[int, Field(description="Runbooks to return (1-10)", ge=1, le=10)] = 3,
        team_filter: Annotated[str | None, Field(description="Only runbooks of this team", max_length=63)] = None,
    ) -> dict[str, Any]:
        """Find the team's runbooks for a symptom, phrased any way (semantic + keyword search). Each hit
        has the runbook id, its runbook:// URI, title, the best-matching section and excerpt, the team
        and a relevance score in [0, 1]. Read a whole runbook with get_runbook."""
        try:
            hits = await self.rt.run(self.rt.runbooks.search, query, n_results, team_filter)
        except ValueError as exc:
            raise ToolFailure(str(exc)) from None
        return {"query": query, "team_filter": team_filter, "results": hits, "count": len(hits)}

    @tool("Get runbook")
    async def get_runbook(
        self,
        runbook_id: Annotated[str, Field(description="Runbook id from search_runbooks, e.g. 'pod-crashloop-oomkilled'", min_length=1, max_length=100)],
    ) -> dict[str, Any]:
        """The full Markdown text of one runbook (the same as reading resource runbook://<id>)."""
        text = self.rt.runbooks.get(runbook_id)
        if text is None:
            ids = [r["id"] for r in self.rt.runbooks.runbooks()]
            raise ToolFailure(f"no runbook {runbook_id!r}", hint="runbooks: " + ", ".join(sorted(ids)))
        meta = next(r for r in self.rt.runbooks.runbooks() if r["id"] == runbook_id)
        return {"runbook_id": runbook_id, "uri": f"runbook://{runbook_id}", "title": meta["title"], "team": meta["team"], "markdown": text}
