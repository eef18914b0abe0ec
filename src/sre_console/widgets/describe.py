"""Describe: describe_pod for the selected pod, laid out like `kubectl describe`."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.containers import VerticalScroll
from textual.widgets import Static

from sre_console.themes import palette
from sre_console.widgets.pane import Pane, PaneMessage
from sre_console.server_facts import Tool


def render_describe(d: dict, colours: dict[str, str]) -> Text:
    out = Text()

    def field(key: str, value, style: str = "") -> None:
        out.append(f"{key + ':':<16}", style="bold")
        out.append(f"{value}\n", style=style)

    status = str(d.get("status", ""))
    bad = status not in ("Running", "Completed", "Succeeded")
    field("Name", d.get("name", ""))
    field("Namespace", d.get("namespace", ""))
    field("Node", d.get("node", ""))
    field("Start Time", d.get("start_time", ""))
    field("Status", status, colours["pod-failed"] if bad else colours["pod-running"])
    field("IP", d.get("ip", ""))
    field("Controlled By", d.get("controlled_by", ""))
    field("QoS Class", d.get("qos_class", ""))
    labels = d.get("labels") or {}
    field("Labels", ", ".join(f"{k}={v}" for k, v in labels.items()))
    out.append("Containers:\n", style="bold")
    for c in d.get("containers") or []:
        out.append(f"  {c.get('name')}:\n", style="bold")
        out.append(f"    Image:          {c.get('image', '')}\n")
        state = c.get("state") or {}
        st_style = colours["pod-failed"] if state.get("state") != "Running" else colours["pod-running"]
        out.append(f"    State:          {state.get('state', '')} {state.get('reason') or ''}\n", style=st_style)
        if state.get("message"):
            out.append(f"      Message:      {state['message']}\n", style="dim")
        last = c.get("last_state") or {}
        if last:
            reason = last.get("reason") or ""
            out.append(f"    Last State:     {last.get('state', '')} {reason} exit={last.get('exitCode', '')}\n",
                       style=colours["pod-failed"] if reason in ("OOMKilled", "Error") else "")
            out.append(f"      Started/Finished: {last.get('startedAt', '')} → {last.get('finishedAt', '')}\n", style="dim")
        out.append(f"    Ready:          {c.get('ready')}\n")
        out.append(f"    Restart Count:  {c.get('restart_count', 0)}\n", style=colours["pod-failed"] if c.get("restart_count") else "")
        res = c.get("resources") or {}
        for kind in ("limits", "requests"):
            if res.get(kind):
                out.append(f"    {kind.title() + ':':<16}" + ", ".join(f"{k}={v}" for k, v in res[kind].items()) + "\n")
        for probe in ("liveness", "readiness"):
            if c.get(probe):
                out.append(f"    {probe.title() + ':':<16}{c[probe]}\n", style="dim")
        env = c.get("env") or {}
        if env:
            out.append("    Environment:\n")
            for k, v in env.items():
                out.append(f"      {k}={v}\n", style="dim")
    conds = d.get("conditions") or {}
    if conds:
        out.append("Conditions:\n", style="bold")
        for k, v in conds.items():
            out.append(f"  {k:<18}{v}\n", style="" if v == "True" else colours["pod-pending"])
    events = d.get("events") or []
    out.append("Events:\n", style="bold")
    for e in events:
        warn = e.get("type") == "Warning"
        out.append(
            f"  {e.get('type', ''):<8} {e.get('reason', ''):<16} {str(e.get('last_seen', '')):>5} x{e.get('count', 1):<4} {e.get('message', '')}\n",
            style=colours["event-warning"] if warn else colours["event-normal"],
        )
    if not events:
        out.append("  <none>\n", style="dim")
    return out


class DescribePane(Pane):
    title = "describe"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.target: tuple[str, str] | None = None
        self.data: dict | None = None
        self.shown_target: tuple[str, str] | None = None

    def compose(self):
        yield PaneMessage()
        with VerticalScroll(id="describe-scroll"):
            yield Static("", id="describe-body")

    def on_mount(self) -> None:
        super().on_mount()
        self.message.show("select a pod to describe it")

    def show_pod(self, namespace: str, pod: str) -> None:
        self.target = (namespace, pod)
        self.load()

    def forget(self) -> None:
        self.target = self.shown_target = self.data = None
        self.query_one("#describe-body", Static).update("")
        super().forget()
        self.message.show("select a pod to describe it")

    @work(exclusive=True, group="describe", exit_on_error=False)
    async def load(self) -> None:
        target = self.target
        if target is None:
            return
        result = await self.call(Tool.DESCRIBE_POD, {"namespace": target[0], "pod_name": target[1]})
        if result is None or target != self.target:
            return
        self.message.hide()
        self.data = result.payload()
        self.query_one("#describe-body", Static).update(render_describe(self.data or {}, palette(self.app)))
        self.shown_target = target
        self.set_subtitle(f"{target[0]}/{target[1]}")

    def copy_text(self) -> tuple[str, str]:
        if not self.data:
            return "", ""
        return render_describe(self.data, palette(self.app)).plain, "the describe output"
