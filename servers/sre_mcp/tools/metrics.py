"""Metrics tools: read-only PromQL, instant and over a range, summarized per series.

The model gets per-series min / max / mean / last and the change point in words; the
raw points come back only when asked (`points=true`), which is how the console plots.
Queries are bounded: the range (7 days), the points per series (the step is raised
to fit, or refused when given), and the series shown (the rest are counted, never
silently dropped). PromQL has no write operations and the tools reach only the query
endpoints, so they cannot change anything.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from pydantic import Field

from sre_mcp.errors import ToolFailure
from sre_mcp.runtime import Runtime
from sre_mcp.series import UNITS, fmt_value, summarize
from sre_mcp.timeutil import iso, now_utc, parse_iso, parse_relative, parse_time_range
from sre_mcp.tools import tool

MAX_QUERY_CHARS = 2000
MAX_RANGE_S = 7 * 86400
MAX_POINTS = 1100          # per series (Prometheus itself refuses more than 11,000)
TARGET_POINTS = 240        # what an automatic step aims for: enough for a change point and a plot
MAX_SERIES = 30            # summarized and returned; the rest are counted
_NICE_STEPS = (15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
Unit = Literal["ratio", "ms", "s", "bytes", "cores", "req/s", "count"]
_UNIT_KEY = {"ratio": "error_rate", "ms": "p99_ms", "bytes": "memory", "cores": "cpu", "req/s": "rps"}

PromQL = Annotated[str, Field(
    description='A PromQL expression, e.g. error_rate{service="payment-gateway"} or '
                'sum(rate(http_requests_total{service="checkout",code=~"5.."}[5m]))',
    min_length=1, max_length=MAX_QUERY_CHARS,
)]
UnitArg = Annotated[Unit | None, Field(description="How to word the values in summaries: ratio → %, ms, s, bytes, cores, req/s; "
                                                    "guessed from the metric name when omitted")]


def auto_step(seconds: int) -> int:
    """The smallest round step giving at most TARGET_POINTS points over the range."""
    for step in _NICE_STEPS:
        if seconds / step <= TARGET_POINTS:
            return step
    return _NICE_STEPS[-1]


def _unit_key(unit: str | None, labels: dict[str, str], query: str) -> str:
    if unit == "s":
        return "seconds"
    if unit:
        return _UNIT_KEY.get(unit, "")
    name = labels.get("__name__", "")
    if name in UNITS:
        return name
    if name.endswith("_bytes") or "_bytes" in query:
        return "memory"
    return ""


def _value(v: Any) -> float | None:
    try:
        out = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) or math.isinf(out) else out


def _labels(metric: dict[str, Any]) -> str:
    name = metric.get("__name__", "")
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__")
    return f"{name}{{{inner}}}" if inner or not name else name


class MetricsTools:
    def __init__(self, rt: Runtime):
        self.rt = rt

    def _backend(self, what: str) -> Any:
        fn = getattr(self.rt.metrics, what, None)
        if fn is None:
            raise ToolFailure(
                "no metrics source is configured",
                hint="start the server with --prometheus-url (or a --scenario with metrics.yaml series)",
            )
        return fn

    @staticmethod
    def _check_query(query: str) -> str:
        query = query.strip()
        if not query:
            raise ToolFailure("the query is empty", hint='e.g. error_rate{service="payment-gateway"}')
        return query

    @tool("Query metrics (instant)")
    async def query_metrics(
        self,
        query: PromQL,
        time: Annotated[str | None, Field(description="Evaluate at this time: RFC 3339 (2026-11-21T14:02:00Z) or relative "
                                                      "(-15m, -2h); default now", max_length=40)] = None,
        unit: UnitArg = None,
    ) -> dict[str, Any]:
        """Evaluate a PromQL expression at one instant (Prometheus' /api/v1/query): one value per
        series, with its labels. Use it for "what is X now" or at a given past moment; for "since
        when" and before/after use query_metrics_range. Read-only. A bad query returns Prometheus'
        own error message with the query echoed."""
        query = self._check_query(query)
        at = self._time(time)
        data = await self.rt.run(self._backend("query"), query, at)
        kind = data.get("resultType")
        out: dict[str, Any] = {"query": query, "time": iso(at or now_utc()), "result_type": kind, "source": self.rt.metrics.kind}
        result = data.get("result")
        if kind in ("scalar", "string"):
            out["value"] = _value(result[1]) if kind == "scalar" else result[1]
            return out
        rows = []
        for s in result or []:
            labels = s.get("metric") or {}
            v = _value((s.get("value") or [None, None])[1])
            rows.append({"series": _labels(labels), "labels": labels, "value": v,
                         "shown": fmt_value(_unit_key(unit, labels, query), v)})
        rows.sort(key=lambda r: (r["value"] is None, -(r["value"] or 0)))
        out.update(self._cut(rows, "value, largest first"))
        if not rows:
            out["note"] = "no series matched: check the metric name and labels (an unknown name is not an error in PromQL)"
        return out

    @tool("Query metrics over a range")
    async def query_metrics_range(
        self,
        query: PromQL,
        duration: Annotated[str, Field(description="How far back from now: 15m, 1h, 6h, 24h, up to 7d")] = "1h",
        step: Annotated[str | None, Field(description="Resolution, e.g. 30s, 1m, 5m; default: about 240 points over the range")] = None,
        unit: UnitArg = None,
        points: Annotated[bool, Field(description="Also return the raw [unix time, value] points (for plotting; "
                                                  "the per-series summaries are what you need to reason)")] = False,
    ) -> dict[str, Any]:
        """Evaluate a PromQL expression over the last `duration` (Prometheus' /api/v1/query_range) and
        summarize each series: min, max, mean, last, and the change point in words ("rose from 0.2%
        to 15.3% at 14:02 UTC (12m ago)") or "steady". This answers "since when?": compare the change
        time with deploys and the first errors. Read-only; at most 30 series are summarized (the rest
        are counted) and at most 1100 points per series."""
        query = self._check_query(query)
        try:
            seconds = parse_time_range(duration)
        except ValueError as exc:
            raise ToolFailure(str(exc)) from None
        if seconds > MAX_RANGE_S:
            raise ToolFailure(f"duration {duration!r} is longer than the maximum of 7d", hint="use 7d or less")
        if step is None:
            step_s = auto_step(seconds)
        else:
            try:
                step_s = parse_time_range(step)
            except ValueError as exc:
                raise ToolFailure(str(exc).replace("time_range", "step"), hint="e.g. 30s, 1m, 5m") from None
            if seconds / step_s > MAX_POINTS:
                smallest = math.ceil(seconds / MAX_POINTS)
                raise ToolFailure(
                    f"step {step!r} over {duration!r} gives {seconds // step_s} points per series, more than {MAX_POINTS}",
                    hint=f"use a step of at least {smallest}s, or omit step for an automatic one",
                )
        end = now_utc().replace(microsecond=0)
        start = end - timedelta(seconds=seconds)
        data = await self.rt.run(self._backend("query_range"), query, start, end, step_s)
        rows = []
        for s in data.get("result") or []:
            labels = s.get("metric") or {}
            pts = [(float(t), v) for t, raw in s.get("values") or [] if (v := _value(raw)) is not None]
            row = {"series": _labels(labels), "labels": labels, **summarize(_unit_key(unit, labels, query), pts, end)}
            if points:
                row["values"] = [[t, v] for t, v in pts]
            rows.append(row)
        # Series that changed first, then the largest: what an investigation looks at first.
        rows.sort(key=lambda r: (r.get("change") is None, (r.get("change") or {}).get("at", ""), -(r.get("max") or 0)))
        out: dict[str, Any] = {
            "query": query, "duration": duration, "step": f"{step_s}s", "from": iso(start), "to": iso(end),
            "result_type": data.get("resultType"), "source": self.rt.metrics.kind,
        }
        out.update(self._cut(rows, "changed first, then largest"))
        if not rows:
            out["note"] = "no series matched over the range: check the metric name and labels"
        return out

    @staticmethod
    def _cut(rows: list[dict[str, Any]], order: str) -> dict[str, Any]:
        out: dict[str, Any] = {"series": rows[:MAX_SERIES], "series_total": len(rows), "order": order}
        if len(rows) > MAX_SERIES:
            out["note"] = (f"{len(rows)} series matched; the first {MAX_SERIES} ({order}) are shown. "
                           "Narrow the query with label matchers or aggregate with sum by (...)")
        return out

    @staticmethod
    def _time(text: str | None) -> datetime | None:
        if text is None or text.strip() in ("", "now"):
            return None
        text = text.strip()
        if text.startswith("-"):
            try:
                return now_utc() + parse_relative(text)
            except ValueError:
                pass
        else:
            at = parse_iso(text)
            if at is not None:
                if at > now_utc() + timedelta(minutes=5):
                    raise ToolFailure(f"time {text!r} is in the future", hint="omit time for now")
                return at.astimezone(timezone.utc)
        raise ToolFailure(f"invalid time {text!r}", hint="use RFC 3339 (2026-11-21T14:02:00Z) or a relative time such as -15m, -2h")
