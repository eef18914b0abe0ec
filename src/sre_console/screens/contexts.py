"""`:ctx`: the kubeconfig's contexts in a picker (the current one marked); enter switches."""

from __future__ import annotations

from typing import Any, Callable

from rich.markup import escape
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from sre_console.contexts import ContextError, KubeContext, KubeContexts



def context_line(ctx: KubeContext, kube: KubeContexts, current: str | None) -> str:
    skin = kube.skin(ctx)
    mark = "[b]●[/]" if ctx.name == current else " "
    notes = [f"cluster {escape(ctx.cluster or '?')}", f"ns {escape(skin.namespace or 'default')}"]
    if skin.theme:
        notes.append(f"skin {escape(skin.theme)}")
    if skin.readonly:
        notes.append("read-only")
    name = f"[b $error]{escape(ctx.name)}[/]" if skin.prod else f"[b]{escape(ctx.name)}[/]"
    return f"{mark} {name}  [dim]{' · '.join(notes)}[/]"


class ContextScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss_none", "Close", id="ctx.close")]
    DEFAULT_CSS = """
    ContextScreen { align: center middle; }
    ContextScreen > Vertical { width: 100; height: auto; max-height: 80%; border: round $accent; background: $surface; }
    ContextScreen OptionList { height: auto; max-height: 30; }
    """

    def __init__(self, kube: KubeContexts, contexts: list[KubeContext], current: str | None):
        super().__init__()
        self.kube, self.contexts, self.current = kube, contexts, current

    def compose(self):
        with Vertical():
            yield Static(f"[b]Kube contexts[/]  [dim]{escape(self.kube.kubeconfig or '')} · ● in use · enter switches "
                         "(the server restarts in that context)[/]")
            yield OptionList(*[Option(context_line(c, self.kube, self.current), id=c.name) for c in self.contexts],
                             id="ctx-list")

    def on_mount(self) -> None:
        self.call_after_refresh(self._highlight_current)  # the list is mounted by then

    def _highlight_current(self) -> None:
        names = [c.name for c in self.contexts]
        found = self.query(OptionList)
        if found and self.current in names:
            found.first().highlighted = names.index(self.current)
            found.first().focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def context_palette_commands(app: Any) -> list[tuple[str, str, Callable[[], Any]]]:
    """One palette entry per context (none in demo mode, or when the kubeconfig cannot be read)."""
    try:
        found = app.kube.contexts() if app.kube.available else []
    except ContextError:
        return []
    out = []
    for ctx in found:
        skin = app.kube.skin(ctx)
        what = f"cluster {ctx.cluster or '?'} · ns {skin.namespace or 'default'}" + (" · prod" if skin.prod else "")
        current = "  (in use)" if ctx.name == app.context else ""
        out.append((f"Context: {ctx.name}", f"switch to this kube context: {what}{current}",
                    lambda name=ctx.name: app.switch_context(name)))
    return out


def open_context_picker(app: Any) -> None:
    """The picker, or a sentence saying why there is nothing to pick (demo, in-cluster, team server)."""
    try:
        found = app.kube.contexts()
    except ContextError as exc:
        app.notify(str(exc), title=":ctx", severity="warning", timeout=8)
        return
    if not found:
        app.notify(f"the kubeconfig {app.kube.kubeconfig} has no contexts", title=":ctx", severity="warning")
        return

    def chosen(name: str | None) -> None:
        if name:
            app.switch_context(name)

    app.push_screen(ContextScreen(app.kube, found, app.context), chosen)
