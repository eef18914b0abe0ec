"""Every console action, declared once.

Key bindings, the command palette, `:` commands, tab titles, the footer and `?` help
are all generated from `ACTIONS`; a user's `keymap` in config.yaml (binding id → keys)
changes the keys everywhere they are shown. An action's `handler` is a Textual action
on the main screen (`screens/main.py`), or on a pane for `scope="pods"` etc.

`:verb ARGS` runs the same handler with the words after the verb appended as string
arguments: `:events payments` runs `action_events("payments")`. So adding a view is one
entry here plus the handler it names, e.g.

    Action("view.deploy", "view('deployments')", "Deployments", verbs=("deploy", "dp"),
           usage="[NS]", palette="Deployments: list", group="Cluster")

(`MainScreen.action_view("deployments", "payments")` then receives the namespace).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from sre_console.views import VIEWS


@dataclass(frozen=True)
class Action:
    id: str  # the binding id: what `keymap:` in config.yaml remaps
    handler: str  # a Textual action string, e.g. "tab('events')"
    description: str  # short: footer, help
    keys: str = ""  # default keys, Textual names or characters, comma-separated ("ctrl+r,R")
    palette: str | None = None  # palette title; default "<group>: <description>"
    detail: str = ""  # a longer line for the palette and help
    verbs: tuple[str, ...] = ()  # `:` commands; the first is the canonical one
    usage: str = ""  # what follows the verb, e.g. "[NS]"
    tab: str | None = None  # the bottom tab this action opens (its title shows the key)
    show: bool = False  # in the footer
    scope: str = "screen"  # "screen", or the pane whose bindings hold it ("pods", "events", "chat")
    group: str = "Console"
    palette_visible: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.palette or f"{self.group}: {self.description}"


ACTIONS: list[Action] = [
    # moving around ---------------------------------------------------------------
    Action("command", "command", ":cmd", ":", palette="Command mode", detail="k9s commands: :pods NS, :logs POD, :runbook Q…",
           show=True, group="Console"),
    Action("filter", "filter", "/filter", "/", palette="Filter / find", detail="filter pods, find in logs, search runbooks",
           show=True, group="Console"),
    Action("back", "back", "Back", "escape", palette="Back to the panes",
           detail="close a filter or find, leave a tab: focus goes back toward the panes", group="Console"),
    Action("help", "help", "Help", "?", palette="Help", detail="keys, commands and chat commands", verbs=("help",), show=True),
    Action("focus.health", "health", "Health", "h", palette="Health: focus", detail="service health, worst first",
           verbs=("health",), group="Health"),
    Action("focus.pods", "pods", "Pods", "o", palette="Pods: focus", detail="the pods list", verbs=("pods", "po", "pod"),
           usage="[NS|*]", group="Pods"),
    Action("ns.all", "all_namespaces", "All ns", "0", palette="Namespace: all namespaces (k9s 0)",
           detail="pods and views of every namespace the server may read, with a namespace column; 0 again goes back",
           group="Namespace"),
    Action("ns.next", "namespace(1)", "Next ns", "]", palette="Namespace: next", detail="cycle the namespaces with services",
           group="Namespace"),
    Action("ns.prev", "namespace(-1)", "Prev ns", "[", palette="Namespace: previous", group="Namespace"),
    Action("ns", "set_namespace", "Switch namespace", palette="Namespace: switch (:ns NS)", verbs=("ns",), usage="NS",
           group="Namespace", palette_visible=False),
    Action("maximize", "maximize", "Maximize", "z", palette="Maximize / restore the focused pane",
           detail="one pane at a time (small terminals)", group="Console"),
    # cluster views (k9s): one per entry of sre_console.views.VIEWS, shown where the pods are ------
    *[Action(f"view.{v.name}", f"view('{v.name}')", v.name.capitalize(), palette=f"Cluster: {v.name}", detail=v.description,
             verbs=v.verbs, usage="[NS|*]" if v.namespaced else "", group="Cluster") for v in VIEWS.values()],
    Action("sort", "sort_next", "Sort", ">", palette="Sort the pods or the view by the next column",
           detail="cycle the sort column (the server's order first: problems on top); :sort COLUMN picks one",
           verbs=("sort",), usage="[COLUMN]", group="Cluster"),
    Action("sort.reverse", "sort_reverse", "Reverse sort", "<", palette="Reverse the sort of the pods or the view",
           group="Cluster"),
    Action("view.faulty", "toggle_faulty", "Faulty only", "f", palette="Cluster view: toggle faulty only",
           detail="only rows with problems", scope="resources", group="Cluster"),
    # tabs ---------------------------------------------------------------------------
    Action("logs", "logs", "Logs", "l", palette="Logs: selected pod", detail="logs of the selected pod",
           verbs=("logs", "log"), usage="[POD [NS]]", tab="logs", show=True, group="Logs"),
    Action("describe", "describe", "Describe", "d", palette="Describe: selected pod", detail="describe the selected pod",
           verbs=("describe", "desc"), usage="[POD]", tab="describe", show=True, group="Describe"),
    Action("events", "events", "Events", "e", palette="Events: show", detail="events of the namespace",
           verbs=("events", "ev"), usage="[NS]", tab="events", show=True, group="Events"),
    Action("runbooks", "runbooks", "Runbooks", "r", palette="Runbooks: browse and search",
           detail="the runbook list; / to search", verbs=("runbook", "rb", "runbooks"), usage="[QUERY]", tab="runbooks",
           show=True, group="Runbooks"),
    Action("metrics", "metrics", "Metrics", "m", palette="Metrics: plot the highlighted service",
           detail="error rate, p99, rps, CPU, memory over 3h, onset marked", verbs=("metrics", "me"), usage="[SERVICE]",
           tab="metrics", group="Health"),
    Action("chat", "chat", "Chat", "c", palette="Chat: open", detail="the investigation chat", verbs=("chat",), tab="chat",
           group="Chat"),
    # logs -----------------------------------------------------------------------------
    Action("previous", "previous_logs", "Prev logs", "p", palette="Logs: previous container",
           detail="logs of the crashed instance", group="Logs"),
    Action("follow", "toggle_log('follow')", "Follow", "s", palette="Logs: toggle follow", detail="autoscroll to new lines",
           group="Logs"),
    Action("wrap", "toggle_log('wrap')", "Wrap", "w", palette="Logs: toggle wrap", detail="wrap long lines", group="Logs"),
    Action("timestamps", "toggle_log('show_timestamps')", "Timestamps", "t", palette="Logs: toggle timestamps", group="Logs"),
    *[Action(f"window.{w}", f"log_window('{w}')", f"Logs {w}", str(k), palette=f"Logs: service logs, last {w}",
             detail=f"search_logs time_range={w}", group="Logs") for k, w in enumerate(("15m", "1h", "6h", "24h", "7d"), start=1)],
    Action("logs.level", "log_level", "Log level", "v", palette="Logs: service level filter", detail="all → ERROR → WARN",
           group="Logs"),
    Action("find", "find", "Find in logs", palette="Logs: find", detail="find in logs (regex), then n / N", group="Logs"),
    Action("find.next", "find_next", "Next match", "n", palette="Logs: next match", group="Logs"),
    Action("find.prev", "find_prev", "Prev match", "N", palette="Logs: previous match", group="Logs"),
    Action("copy", "copy_pane", "Copy", "y", palette="Copy: logs / describe / events / runbook in view",
           detail="to the clipboard; only the find matches when a find is active", verbs=("copy",), group="Copy"),
    # cluster objects ----------------------------------------------------------------------
    Action("yaml", "yaml", "YAML", "Y", palette="YAML: selected object",
           detail="the selected (or named) object as YAML, full screen: / find, n / N, y copy, esc back",
           verbs=("yaml",), usage="[KIND NAME [NS]]", group="Cluster"),
    Action("history", "history", "History", "H", palette="Rollout history: selected workload",
           detail="revisions of a Deployment, StatefulSet or DaemonSet (a pod: its owner's) and the diff of any two",
           verbs=("history", "rollout"), usage="[NAME [NS]]", group="Cluster"),
    Action("related", "related_runbooks", "Related rb", "b", palette="Runbooks: attached to results",
           detail="runbooks the server attached to recent results", group="Runbooks"),
    # panes' own keys --------------------------------------------------------------------
    Action("pods.faulty", "toggle_faulty", "Faulty only", "f", palette="Pods: toggle faulty only",
           detail="show only unhealthy pods", scope="pods", group="Pods"),
    Action("events.warnings", "toggle_warnings", "Warnings only", "f", palette="Events: toggle warnings only",
           detail="only Warning events", scope="events", group="Events"),
    # investigations -------------------------------------------------------------------
    Action("investigate", "investigate", "Investigate", "i", palette="Investigate a service",
           detail="guided investigate-service, worst first", verbs=("investigate", "inv"), usage="[SERVICE]", show=True,
           group="Chat"),
    Action("chat.export", "export", "Export notes", palette="Chat: export incident notes",
           detail="the last investigation as a Markdown file", verbs=("export",), group="Chat"),
    Action("chat.copy", "copy_report", "Copy report", palette="Chat: copy report",
           detail="the last report and its tool calls to the clipboard", group="Chat"),
    Action("chat.cancel", "cancel", "Cancel investigation", "escape", palette="Chat: cancel investigation",
           detail="stop the model and in-flight tool calls (only while one runs)", verbs=("cancel",), scope="chat",
           show=True, group="Chat"),
    # the console ------------------------------------------------------------------------
    Action("refresh", "refresh", "Refresh", "ctrl+r,R", palette="Refresh now", detail="reload every pane",
           verbs=("refresh",), show=True),
    Action("autorefresh", "toggle_auto_refresh", "Auto-refresh", "A", palette="Auto-refresh: pause/resume"),
    Action("serverlog", "server_log", "Server log", "S", palette="Server log", detail="the servers' stderr",
           verbs=("server",)),
    Action("ctx", "ctx", "Kube context", palette="Context: list and switch (:ctx NAME)",
           detail="the kubeconfig's contexts; switching restarts the server there (red skin for prod)",
           verbs=("ctx", "context"), usage="[NAME]", group="Context"),
    Action("theme", "theme", "Switch theme", palette="Theme: switch (:theme NAME)", verbs=("theme",), usage="NAME",
           palette_visible=False),
    Action("quit", "app.quit", "Quit", "ctrl+q", palette="Quit", verbs=("q", "quit", "q!"), show=True),
]

BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS}
assert len(BY_ID) == len(ACTIONS), "action ids are unique"
VERBS: dict[str, Action] = {verb: a for a in ACTIONS for verb in a.verbs}
assert len(VERBS) == sum(len(a.verbs) for a in ACTIONS), "a `:` verb names one action"
TABS: dict[str, Action] = {a.tab: a for a in ACTIONS if a.tab}
TAB_LABELS = {"logs": "Logs", "describe": "Describe", "events": "Events", "runbooks": "Runbooks", "metrics": "Metrics",
              "chat": "Chat"}


def keys_of(action: Action, keymap: Mapping[str, str] | None = None) -> list[str]:
    """The keys an action answers to now: the user's keymap, else the defaults."""
    raw = (keymap or {}).get(action.id, action.keys)
    return [k.strip() for k in str(raw).split(",") if k.strip()]


def display_key(key: str) -> str:
    """A key as the user types it: `?` not `question_mark`, `]` not `right_square_bracket`."""
    from textual.keys import format_key

    *mods, last = key.split("+") if len(key) > 1 else [key]
    return "+".join([*mods, format_key(last)])


def key_text(action: Action, keymap: Mapping[str, str] | None = None) -> str:
    return " / ".join(display_key(k) for k in keys_of(action, keymap))


def bindings(scope: str = "screen") -> list[Any]:
    """Textual bindings for one scope, each with its id so `App.set_keymap` can remap it."""
    from textual.binding import Binding

    return [Binding(a.keys, a.handler, a.description, show=a.show, id=a.id) for a in ACTIONS if a.scope == scope and a.keys]


def parse_command(text: str) -> tuple[str, list[str]]:
    """`:pods payments` → ("pods", ["payments"]): the verb as typed (lower case) and its words."""
    import shlex

    text = text.strip().lstrip(":").strip()
    if not text:
        return "", []
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    return words[0].lower(), words[1:]


def command_rows() -> list[tuple[str, str]]:
    """(`:verb usage` with its aliases, what it does) for help and the command line's hints."""
    rows = []
    for a in ACTIONS:
        if a.verbs:
            head = f":{a.verbs[0]}" + (f" {a.usage}" if a.usage else "")
            aliases = ", ".join(f":{v}" for v in a.verbs[1:])
            rows.append((head, (a.detail or a.description) + (f"  (also {aliases})" if aliases else "")))
    return rows


def all_verbs() -> Iterable[str]:
    return VERBS.keys()
