"""Metric pictures: one-line sparklines for the health table, and a metrics tab that plots
the highlighted service's series (error rate, p99, request rate, CPU, memory, and any
other series the server has) over the last 3 hours, with the onset marked.

The data is check_service_health's `history` (raw points) and `trends` (the server's
summaries), so the pictures and the words the model reads come from the same numbers.
Times are shown relative to now ("24m ago"): a picture reads the same whenever it is taken.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from sre_console.themes import palette
from sre_console.widgets.pane import Pane, PaneMessage

BARS = "▁▂▃▄▅▆▇█"
# The y axis reaches at least the degraded threshold, so a healthy service's noise draws
# low and flat instead of being stretched to full height.
FLOORS = {"error_rate": 0.01, "p99_ms": 1000.0}
LABELS = {"error_rate": "error rate", "p99_ms": "p99 latency", "rps": "requests/s", "cpu": "CPU", "memory": "memory"}
ORDER = ("error_rate", "p99_ms", "rps", "cpu", "memory")
SPARK_WIDTH = 10  # health table: the last hour, 6 minutes a cell


def fmt(metric: str, value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if metric == "error_rate":
        return f"{value:.1%}" if value >= 0.01 or value == 0 else f"{value:.2%}"
    if metric == "p99_ms":
        return f"{value / 1000:.1f}s" if value >= 10000 else f"{value:.0f}ms"
    if metric == "memory":
        for div, suffix in ((2**30, "Gi"), (2**20, "Mi"), (2**10, "Ki")):
            if value >= div:
                return f"{value / div:.1f}{suffix}"
        return f"{value:.0f}B"
    if metric == "cpu":
        return f"{value * 1000:.0f}m" if value < 1 else f"{value:.2f}"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def top_of(metric: str, values: Sequence[float]) -> float:
    top = max([*values, FLOORS.get(metric, 0.0)], default=0.0)
    return top if top > 0 else 1.0


def buckets(values: Sequence[float], width: int) -> list[float]:
    """`width` columns, each the largest value it covers (a spike never disappears)."""
    n = len(values)
    if n == 0 or width <= 0:
        return []
    if n <= width:
        return list(values)
    return [max(values[i * n // width:max(i * n // width + 1, (i + 1) * n // width)]) for i in range(width)]


def spark(values: Sequence[float], width: int, top: float) -> str:
    return "".join(BARS[min(7, max(0, int(v / top * 7.999)))] for v in buckets(values, width))


def last_hour(history: dict[str, Any] | None, metric: str) -> list[float]:
    h = (history or {}).get(metric) or {}
    step = h.get("step_s") or 60
    return list(h.get("values") or [])[-max(1, int(3600 // step)):]


class Chart:
    """A bar chart of one series, `height` rows tall, as wide as it is given; y labels on the
    left, the onset marked under the axis."""

    def __init__(self, metric: str, values: Sequence[float], height: int, style: str, onset_index: int | None, span_s: float):
        self.metric, self.values, self.height, self.style = metric, list(values), height, style
        self.onset_index, self.span_s = onset_index, span_s

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        top = top_of(self.metric, self.values)
        labels = [fmt(self.metric, top), "", fmt(self.metric, 0.0)]
        label_w = max(len(x) for x in labels) + 1
        width = max(10, options.max_width - label_w - 1 - len(" now"))  # the axis ends in " now"
        cols = buckets(self.values, width)
        levels = [v / top * self.height * 8 for v in cols]
        style = Style.parse(self.style) if self.style else Style()
        for row in range(self.height - 1, -1, -1):
            label = labels[0] if row == self.height - 1 else labels[2] if row == 0 else ""
            yield Segment(label.rjust(label_w) + "┤", Style(dim=True))
            line = []
            for lv in levels:
                part = lv - row * 8
                line.append("█" if part >= 8 else BARS[int(part)] if part >= 1 else ("▁" if row == 0 else " "))
            yield Segment("".join(line), style)
            yield Segment.line()
        axis = [" "] * len(cols)
        onset_col = None
        if self.onset_index is not None and self.values:
            onset_col = min(len(cols) - 1, self.onset_index * len(cols) // len(self.values))
            axis[onset_col] = "▲"
        for h in range(int(self.span_s // 3600), 0, -1):
            pos, mark = int((1 - h * 3600 / self.span_s) * len(cols)), f"-{h}h"
            if pos >= 0 and pos + len(mark) <= len(cols) - 4 and all(c == " " for c in axis[pos:pos + len(mark)]):
                axis[pos:pos + len(mark)] = list(mark)
        ticks = Text(" " * label_w + "└" + "".join(axis) + " now", style="dim", no_wrap=True)
        if onset_col is not None:
            ticks.stylize(Style(color=style.color, bold=True, dim=False), label_w + 1 + onset_col, label_w + 2 + onset_col)
        yield from console.render(ticks, options)


def change_words(metric: str, trend: dict[str, Any] | None) -> str:
    trend = trend or {}
    change = trend.get("change")
    if change:
        return f"{change['direction']} {fmt(metric, change.get('before'))} → {fmt(metric, change.get('after'))}, {change.get('ago')} ago"
    if trend.get("trend"):
        return f"{'climbing' if trend['trend'] == 'rising' else 'declining'} steadily"
    if trend.get("samples"):
        return f"steady {fmt(metric, trend.get('min'))}–{fmt(metric, trend.get('max'))}"
    return "no data"


class MetricsPane(Pane):
    """The highlighted service's series, plotted larger than the health table's sparklines."""

    title = "metrics"
    DEFAULT_CSS = """
    MetricsPane { border: none; }
    #metrics-scroll { height: 1fr; }
    #metrics-body { padding: 0 1; }
    """

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.row: dict[str, Any] | None = None

    def compose(self):
        yield PaneMessage()
        with VerticalScroll(id="metrics-scroll", can_focus=True):
            yield Static(id="metrics-body")

    def on_mount(self) -> None:
        super().on_mount()
        self.message.show("highlight a service in the health pane to see its metrics")

    def show_row(self, row: dict[str, Any] | None) -> None:
        """Plot one health row (check_service_health with history=true)."""
        self.row = row
        if self.is_mounted:
            self._render_row()

    def _render_row(self) -> None:
        body = self.query_one("#metrics-body", Static)
        row = self.row
        if not row:
            body.update("")
            return
        history = row.get("history") or {}
        trends = row.get("trends") or {}
        name = row.get("service", "?")
        if not history:
            why = row.get("error") or "; ".join(row.get("notes") or []) or "the metrics source keeps no history for it"
            self.message.show(f"{name}: no metric series ({why})")
            body.update("")
            return
        self.message.hide()
        colours = palette(self.app)
        onset = row.get("onset") or {}
        head = Text()
        head.append(name, style="bold")
        head.append(f"  {row.get('status', '?')}", style=colours.get(
            {"critical": "health-critical", "degraded": "health-degraded"}.get(str(row.get("status")), "health-ok"), ""))
        if onset:
            head.append(f"  ·  onset {onset.get('ago')} ago ({LABELS.get(onset.get('metric'), onset.get('metric'))} "
                        f"{fmt(onset.get('metric', ''), onset.get('before'))} → {fmt(onset.get('metric', ''), onset.get('after'))})")
        else:
            head.append("  ·  no onset in the last 3 hours")
        parts: list[Any] = [head]
        metrics = [m for m in ORDER if m in history] + sorted(m for m in history if m not in ORDER)
        for metric in metrics:
            h = history[metric]
            values = list(h.get("values") or [])
            trend = trends.get(metric) or {}
            change = trend.get("change") or {}
            bad = bool(change) and metric in FLOORS and change.get("direction") == "rose"
            style = colours["health-critical"] if bad else colours["log-info"]
            title = Text()
            title.append(f"\n{LABELS.get(metric, metric)}", style="bold")
            title.append(f"  now {fmt(metric, values[-1] if values else None)}")
            title.append(f"  ·  {change_words(metric, trend)}", style=style if bad else "dim")
            onset_index = None
            if change.get("ago") and values:
                # the change's position: `ago` is whole minutes before now
                ago_s = _seconds(change["ago"])
                if ago_s is not None:
                    onset_index = max(0, len(values) - 1 - int(ago_s // (h.get("step_s") or 60)))
            parts += [title, Chart(metric, values, 4 if metric in FLOORS else 3, style, onset_index,
                                   len(values) * (h.get("step_s") or 60))]
        body.update(Group(*parts))


def _seconds(ago: str) -> int | None:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        return int(ago[:-1]) * units[ago[-1]]
    except (ValueError, KeyError, IndexError):
        return None
