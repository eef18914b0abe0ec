"""Runbooks: the server's runbook resources, a search box (search_runbooks), Markdown reading."""

from __future__ import annotations

import re

from textual import on, work
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Markdown, OptionList
from textual.widgets.option_list import Option

from sre_console.widgets.pane import Pane, PaneMessage
from sre_console.server_facts import Tool

FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


class RunbooksPane(Pane):
    title = "runbooks"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.catalogue: list[dict] = []  # {uri, title, excerpt?}
        self.opened: str | None = None
        self.opened_text = ""

    def compose(self):
        yield PaneMessage()
        with Horizontal():
            with Vertical(id="runbooks-left"):
                yield Input(placeholder="search runbooks (symptoms, error text) · enter", id="runbooks-search")
                yield OptionList(id="runbooks-list")
            with VerticalScroll(id="runbooks-doc"):
                yield Markdown("*Choose a runbook on the left, search for one, or press **b** for the runbooks attached to the "
                               "latest results. **/** searches.*", id="runbook-md")

    @work(exclusive=True, group="runbooks-list", exit_on_error=False)
    async def load(self) -> None:
        try:
            resources = await self.app.host.list_resources()
        except Exception as exc:  # noqa: BLE001 - shown as one line
            self.message.show(f"runbooks: {exc}", error=True)
            return
        self.catalogue = [
            {"uri": str(r.uri), "title": r.title or r.name}
            for r in resources if str(r.uri).startswith("runbook://")
        ]
        self.message.hide()
        self._show_options(self.catalogue, f"{len(self.catalogue)} runbooks")

    def _show_options(self, items: list[dict], subtitle: str) -> None:
        options = self.query_one("#runbooks-list", OptionList)
        options.clear_options()
        for item in items:
            label = item["title"]
            if item.get("relevance") is not None:
                label = f"{label}  [dim]{item['relevance']:.2f}[/]"
            if item.get("section"):
                label += f"\n  [dim]§ {item['section']}[/]"
            options.add_option(Option(label, id=item["uri"]))
        self.set_subtitle(subtitle)

    @on(Input.Submitted, "#runbooks-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self.search(event.value)

    def search(self, query: str) -> None:
        query = query.strip()
        self.query_one("#runbooks-search", Input).value = query
        if not query:
            self._show_options(self.catalogue, f"{len(self.catalogue)} runbooks")
        else:
            self._search(query)

    @work(exclusive=True, group="runbooks-search", exit_on_error=False)
    async def _search(self, query: str) -> None:
        result = await self.call(Tool.SEARCH_RUNBOOKS, {"query": query, "n_results": 10})
        if result is None:
            return
        self.message.hide()
        hits = (result.payload() or {}).get("results") or []
        self._show_options(
            [{"uri": h.get("uri") or f"runbook://{h.get('runbook_id')}", "title": h.get("title", h.get("runbook_id")),
              "relevance": h.get("relevance"), "section": h.get("section")} for h in hits],
            f"{len(hits)} results for “{query}”",
        )
        if hits:
            self.query_one("#runbooks-list", OptionList).highlighted = 0

    @on(OptionList.OptionSelected, "#runbooks-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.open(event.option.id)

    def open(self, uri: str, section: str | None = None) -> None:
        self._open(uri, section)

    @work(exclusive=True, group="runbooks-open", exit_on_error=False)
    async def _open(self, uri: str, section: str | None) -> None:
        try:
            text = await self.app.host.read_resource(uri)
        except Exception as exc:  # noqa: BLE001
            self.message.show(f"{uri}: {exc}", error=True)
            return
        self.message.hide()
        md = self.query_one("#runbook-md", Markdown)
        self.opened_text = FRONT_MATTER.sub("", text, count=1)
        await md.update(self.opened_text)
        self.opened = uri
        self.set_subtitle(uri + (f" § {section}" if section else ""))
        self.query_one("#runbooks-doc", VerticalScroll).scroll_home(animate=False)
        if section:
            # Jump to the section the augmenter pointed at, when the document has it.
            for block in md.query("MarkdownHeader"):
                if section.lower() in str(getattr(block, "_content", "") or block.render()).lower():
                    self.query_one("#runbooks-doc", VerticalScroll).scroll_to_widget(block, top=True, animate=False)
                    break

    def copy_text(self) -> tuple[str, str]:
        return (self.opened_text, f"the runbook {self.opened}") if self.opened_text else ("", "")
