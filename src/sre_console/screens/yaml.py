"""The YAML of any one object, full height, as k9s shows it (`Y`, `:yaml [KIND NAME [NS]]`).

get_object does the reading (kubectl short names, managedFields left out, a Secret's values
replaced by their sizes); this screen colours it, finds in it (`/`, then n / N), copies it
(`y`) and goes back on esc. A tool error is shown whole (message and hint), never a traceback.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from sre_console.host.host import CallResult
from sre_console.server_facts import Tool
from sre_console.settings import frozen
from sre_console.themes import palette
from sre_console.widgets.logview import LogView

Ref = tuple[str, "str | None", str]  # (Kind, namespace or None, name): what a list row names

_KEY = re.compile(r"^(\s*)(- )?((?:[^\s:#'\"][^:#]*?)|\"[^\"]*\"|'[^']*')(:)(?=\s|$)(\s*)(.*)$")
_LIST_ITEM = re.compile(r"^(\s*)(- )(.*)$")
_SCALAR = re.compile(r"^(?:-?\d+(?:\.\d+)?|true|false|null|~|True|False)$")


def error_text(result: CallResult) -> str:
    """A failed call in full: the server's message, its hint, else whatever the host knows."""
    err = (result.structured or {}).get("error") if isinstance(result.structured, dict) else None
    if isinstance(err, dict):
        parts = [str(err.get("message") or result.error or "failed")]
        if err.get("hint"):
            parts.append(f"hint: {err['hint']}")
        return "\n".join(parts)
    return result.error or result.text or "failed"


class YamlView(LogView):
    """LogView's fast lines, find and scrolling, with YAML colours (or a unified diff's)."""

    def __init__(self, *, diff: bool = False, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.diff = diff
        self.set_reactive(LogView.follow, False)  # a document is read from the top

    def _styled(self, i: int) -> Text:
        text = self._cache.get(i)
        if text is not None:
            return text
        colours = palette(self.app)
        line = self.lines[i].expandtabs(2)
        if self.diff:
            text = self._diff_line(line, colours)
        else:
            text = yaml_line(line, colours)
        if self._find is not None:
            text.highlight_regex(self._find, style=Style(bgcolor=colours["log-match"], color="black", bold=True))
        self._cache[i] = text
        return text

    @staticmethod
    def _diff_line(line: str, colours: dict[str, str]) -> Text:
        if line.startswith(("+++", "---")):
            return Text(line, style=Style(bold=True), no_wrap=True)
        if line.startswith("@@"):
            return Text(line, style=Style(color=colours["log-info"]), no_wrap=True)
        if line.startswith("+"):
            return Text(line, style=Style(color=colours["pod-running"]), no_wrap=True)
        if line.startswith("-"):
            return Text(line, style=Style(color=colours["pod-failed"]), no_wrap=True)
        return Text(line, style=Style(dim=True), no_wrap=True)


def yaml_line(line: str, colours: dict[str, str]) -> Text:
    """One line of block YAML coloured: keys, scalars (numbers, booleans, null), comments."""
    text = Text(line, no_wrap=True)
    if line.lstrip().startswith("#"):
        text.stylize(Style(color=colours["log-debug"], italic=True))
        return text
    m = _KEY.match(line)
    value_start = None
    if m:
        key_start = len(m.group(1)) + len(m.group(2) or "")
        if m.group(2):
            text.stylize(Style(color=colours["log-debug"]), len(m.group(1)), key_start)
        text.stylize(Style(color=colours["log-info"], bold=True), key_start, m.end(3))
        value_start = m.end(5)
    else:
        item = _LIST_ITEM.match(line)
        if item:
            text.stylize(Style(color=colours["log-debug"]), len(item.group(1)), item.end(2))
            value_start = item.end(2)
    if value_start is not None:
        value = line[value_start:].strip()
        if _SCALAR.match(value):
            text.stylize(Style(color=colours["log-warn"]), value_start)
        elif value.startswith(("<", "|", ">")) and value.endswith((">", "not shown>")):
            text.stylize(Style(color=colours["log-debug"], italic=True), value_start)  # e.g. a Secret's "<12 bytes, not shown>"
    return text


class FindBar(Input):
    """`/` in a document: a regex (a bad one taken literally); enter keeps it, esc clears it."""

    DEFAULT_CSS = """
    FindBar { display: none; height: 3; }
    FindBar.-shown { display: block; }
    """


class DocumentScreen(Screen[None]):
    """What the YAML view and the history's diff share: a find bar over a YamlView, n / N, copy, esc."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="doc.back"),
        Binding("slash", "find", "Find", id="doc.find"),
        Binding("n", "find_next", "Next match", id="doc.find.next"),
        Binding("N", "find_prev", "Prev match", id="doc.find.prev"),
        Binding("y", "copy", "Copy", id="doc.copy"),
    ]
    DEFAULT_CSS = """
    DocumentScreen .doc-title { height: 1; background: $panel; padding: 0 1; }
    DocumentScreen .doc-message { height: auto; max-height: 8; padding: 0 1; color: $error; display: none; }
    DocumentScreen .doc-message.-shown { display: block; }
    DocumentScreen YamlView { height: 1fr; }
    """

    copy_what = "the document"

    @property
    def view(self) -> YamlView:
        return self.query_one("#doc-view", YamlView)

    @property
    def find_bar(self) -> FindBar:
        return self.query_one(FindBar)

    def show_error(self, text: str | None) -> None:
        box = self.query_one(".doc-message", Static)
        self.error = text or ""
        box.update(Text(self.error))
        box.set_class(bool(self.error), "-shown")

    def on_mount(self) -> None:
        if frozen():
            self.find_bar.cursor_blink = False

    def action_find(self) -> None:
        self.find_bar.add_class("-shown")
        self.find_bar.focus()

    @on(Input.Changed, "FindBar")
    def _find_changed(self, event: Input.Changed) -> None:
        self.view.find(event.value)

    @on(Input.Submitted, "FindBar")
    def _find_done(self, event: Input.Submitted) -> None:
        self.view.focus()

    def action_find_next(self) -> None:
        self._step(backwards=False)

    def action_find_prev(self) -> None:
        self._step(backwards=True)

    def _step(self, backwards: bool) -> None:
        if self.view.next_match(backwards=backwards) is None and self.view._find is not None:
            self.app.notify("no match", severity="warning", timeout=2)

    def action_back(self) -> None:
        if self.focused is self.find_bar:
            self.find_bar.value = ""
            self.find_bar.remove_class("-shown")
            self.view.find(None)
            self.view.focus()
        else:
            self.app.pop_screen()

    def copy_text(self) -> str:
        return "\n".join(self.view.lines)

    def action_copy(self) -> None:
        text = self.copy_text()
        if not text:
            self.app.notify("nothing to copy", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.app.notify(f"copied {self.copy_what} to the clipboard")


class YamlScreen(DocumentScreen):
    def __init__(self, kind: str, name: str, namespace: str | None):
        super().__init__(id="yaml-screen")
        self.kind, self.target, self.ns = kind, name, namespace
        self.error = ""
        self.loaded: dict[str, Any] | None = None

    @property
    def copy_what(self) -> str:  # type: ignore[override]
        return f"the YAML of {self.kind} {self.target}"

    def compose(self) -> ComposeResult:
        yield Static(self._title(), classes="doc-title", id="yaml-title")
        yield Static("", classes="doc-message", id="yaml-message")
        yield FindBar(placeholder="find: regex · enter keeps · esc clears · then n / N", id="yaml-find")
        yield YamlView(id="doc-view")
        yield Footer()

    def _title(self, suffix: str = "loading…") -> str:
        where = f"{self.ns}/" if self.ns else ""
        return f"[b]{self.kind}[/] {where}{self.target}  [dim]{suffix} · / find · n/N · y copy · esc back[/]"

    def on_mount(self) -> None:
        super().on_mount()
        self.view.focus()
        self.load()

    @work(exclusive=True, group="yaml", exit_on_error=False)
    async def load(self) -> None:
        args: dict[str, Any] = {"kind": self.kind, "name": self.target}
        if self.ns:
            args["namespace"] = self.ns
        result = await self.app.host.call_tool(Tool.GET_OBJECT, args)
        title = self.query_one("#yaml-title", Static)
        if not result.ok:
            self.show_error(f"get_object: {error_text(result)}")
            title.update(self._title("not found" if "not found" in (result.error or "") else "error"))
            return
        res = result.payload() or {}
        self.loaded = res
        self.kind = res.get("kind") or self.kind  # `deploy` → Deployment, as the server resolved it
        self.ns = res.get("namespace")
        self.show_error(None)
        lines = str(res.get("yaml") or "").splitlines()
        self.view.set_lines(lines)
        title.update(self._title(f"{len(lines)} lines"))


def parse_target(words: tuple[str, ...] | list[str], selected: Callable[[], Ref | None], namespace: str) -> Ref | str:
    """`:yaml` words → (kind, namespace, name), or what is wrong in words.

    none: the selected row; `KIND NAME [NS]`; `KIND/NAME [NS]`.
    """
    words = [w for w in words if w]
    if not words:
        ref = selected()
        return ref if ref else "no object under the cursor: select a row, or :yaml KIND NAME [NS]"
    if "/" in words[0]:
        kind, _, name = words[0].partition("/")
        rest = words[1:]
    elif len(words) >= 2:
        kind, name, rest = words[0], words[1], words[2:]
    else:
        return "usage: :yaml KIND NAME [NS]  (e.g. :yaml deploy payment-gateway)"
    if len(rest) > 1 or not kind or not name:
        return "usage: :yaml KIND NAME [NS]"
    return kind, (rest[0] if rest else namespace), name


def open_yaml(screen: Any, words: tuple[str, ...]) -> None:
    """The `yaml` action: the selected or named object's YAML on its own screen."""
    target = parse_target(words, screen.selected_ref, screen.app.namespace)
    if isinstance(target, str):
        screen.app.notify(target, severity="warning")
        return
    kind, namespace, name = target
    if namespace == "*" and kind.lower() not in ("node", "nodes", "no"):
        # All namespaces are shown: a typed name needs its own (a selected row carries it).
        screen.app.notify(f"all namespaces are shown: say which one, :yaml {kind} {name} NS", severity="warning")
        return
    screen.app.push_screen(YamlScreen(kind, name, namespace))
