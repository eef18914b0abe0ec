"""Metric time series: sampling a scenario's piecewise form, and summarizing any series.

A summary is what a model (or a health verdict) needs of a few hundred points:
min, max, mean, last, and the one change that matters ("rose from 0.2% to 15.3% at
14:02"). The same code summarizes a fixture's series and a Prometheus range query,
so the words the model reads do not depend on where the numbers came from.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Sequence

from sre_mcp.timeutil import age, iso

# Units of the standard per-service series (and of `seconds`). Other names are allowed (unit "").
UNITS = {"error_rate": "ratio", "p99_ms": "ms", "rps": "req/s", "cpu": "cores", "memory": "bytes", "seconds": "s"}

Point = tuple[float, float]  # (unix seconds, value)


@dataclass(frozen=True)
class Piecewise:
    """Breakpoints (absolute time, value), interpolated linearly between them and held flat
    outside them; `jitter` adds deterministic relative noise so a demo curve looks measured."""

    points: tuple[tuple[datetime, float], ...]
    jitter: float = 0.0
    seed: str = ""

    def value_at(self, ts: datetime) -> float:
        pts = self.points
        if ts <= pts[0][0]:
            base = pts[0][1]
        elif ts >= pts[-1][0]:
            base = pts[-1][1]
        else:
            base = pts[-1][1]
            for (t0, v0), (t1, v1) in zip(pts, pts[1:]):
                if t0 <= ts <= t1:
                    span = (t1 - t0).total_seconds()
                    base = v1 if span <= 0 else v0 + (v1 - v0) * (ts - t0).total_seconds() / span
                    break
        before_end = (pts[-1][0] - ts).total_seconds()
        if not self.jitter or before_end < 90:
            return base  # the latest values are exact, so "now" matches the scenario's stated figure
        # Seeded by the offset from the last point, so a sample the same distance before the
        # scenario's "now" gets the same noise on every run (stable pictures, stable tests).
        digest = hashlib.blake2b(f"{self.seed}@{round(before_end)}".encode(), digest_size=8).digest()
        u = int.from_bytes(digest, "big") / 2**64 * 2 - 1  # uniform in [-1, 1)
        return max(0.0, base * (1 + self.jitter * u))

    def sample(self, start: datetime, end: datetime, step_s: float, anchor: datetime | None = None) -> list[Point]:
        """Values on a grid of `step` from `start` (as Prometheus evaluates a range query), or,
        with `anchor`, on the grid through the anchor (a scenario's load time: the same offsets
        before "now" whenever the query runs)."""
        step = max(1.0, float(step_s))
        t = start.timestamp()
        if anchor is not None:
            t = anchor.timestamp() + math.ceil((t - anchor.timestamp()) / step - 1e-9) * step
        out = []
        while t <= end.timestamp() + 1e-9:
            out.append((t, self.value_at(datetime.fromtimestamp(t, timezone.utc))))
            t += step
        return out


def fmt_value(metric: str, value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    unit = UNITS.get(metric, "")
    if unit == "ratio":
        return f"{value:.1%}" if value >= 0.01 or value == 0 else f"{value:.2%}"
    if unit == "ms":
        return f"{value / 1000:.2f} s" if value >= 10000 else f"{value:.0f} ms"
    if unit == "bytes":
        for div, suffix in ((2**30, "Gi"), (2**20, "Mi"), (2**10, "Ki")):
            if value >= div:
                return f"{value / div:.0f}{suffix}" if value / div >= 10 else f"{value / div:.1f}{suffix}"
        return f"{value:.0f}B"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.3g} s"
    if unit == "cores":
        return f"{value * 1000:.0f}m" if value < 1 else f"{value:.2f} cores"
    if abs(value) >= 100:
        return f"{value:.0f}" + (f" {unit}" if unit else "")
    return f"{value:.3g}" + (f" {unit}" if unit else "")


def _median(values: Sequence[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def change_point(points: Sequence[Point]) -> dict[str, Any] | None:
    """The single most significant level shift in a series, or None when it is steady.

    The split is where two flat segments fit best (least squares); the onset is then
    moved back to where the departure began, so a ramp reports its start, not its middle.
    A shift counts when it is large against both the noise before it and the level.
    """
    vals = [v for _, v in points]
    n = len(vals)
    if n < 4:
        return None
    prefix, prefix2 = [0.0], [0.0]
    for v in vals:
        prefix.append(prefix[-1] + v)
        prefix2.append(prefix2[-1] + v * v)

    def sse(a: int, b: int) -> float:
        m = b - a
        s = prefix[b] - prefix[a]
        return (prefix2[b] - prefix2[a]) - s * s / m

    best_k, best = None, sse(0, n)
    total = best
    for k in range(2, n - 1):  # at least two points on each side
        cost = sse(0, k) + sse(k, n)
        if cost < best - 1e-12:
            best_k, best = k, cost
    if best_k is None:
        return None
    before_vals, after_vals = vals[:best_k], vals[best_k:]
    before, after = _median(before_vals), _median(after_vals)
    delta = after - before
    mean_b = sum(before_vals) / len(before_vals)
    sd_b = math.sqrt(max(0.0, sum((v - mean_b) ** 2 for v in before_vals) / len(before_vals)))
    scale = max(abs(before), abs(after))
    if scale == 0 or abs(delta) < 0.25 * scale or abs(delta) < 4 * sd_b or (total > 0 and best > 0.5 * total):
        return None
    # Walk back from the split while points have already left the before-level by a fifth of the shift.
    onset = best_k
    sign = 1 if delta > 0 else -1
    while onset > 1 and sign * (vals[onset - 1] - before) > 0.2 * abs(delta):
        onset -= 1
    return {"index": onset, "at": points[onset][0], "before": before, "after": after,
            "direction": "rose" if delta > 0 else "fell"}


def summarize(metric: str, points: Sequence[Point], now: datetime | None = None) -> dict[str, Any]:
    """min / max / mean / last and the change point of one series, with a sentence for the model."""
    clean = [(t, v) for t, v in points if v is not None and not math.isnan(v) and not math.isinf(v)]
    if not clean:
        return {"samples": 0, "summary": "no data in the range"}
    vals = [v for _, v in clean]
    out: dict[str, Any] = {
        "samples": len(clean),
        "from": iso(datetime.fromtimestamp(clean[0][0], timezone.utc)),
        "to": iso(datetime.fromtimestamp(clean[-1][0], timezone.utc)),
        "min": _round(min(vals)),
        "max": _round(max(vals)),
        "mean": _round(sum(vals) / len(vals)),
        "last": _round(vals[-1]),
    }
    cp = change_point(clean)
    if cp:
        at = datetime.fromtimestamp(cp["at"], timezone.utc)
        out["change"] = {
            "direction": cp["direction"],
            "at": iso(at),
            "ago": age(at, now),
            "before": _round(cp["before"]),
            "after": _round(cp["after"]),
        }
        out["summary"] = (
            f"{cp['direction']} from {fmt_value(metric, cp['before'])} to {fmt_value(metric, cp['after'])} "
            f"at {at:%H:%M} UTC ({age(at, now)} ago); now {fmt_value(metric, vals[-1])}"
        )
    else:
        out["change"] = None
        drift = _drift(clean)
        if drift:
            start, end = drift
            out["trend"] = "rising" if end > start else "falling"
            out["summary"] = (
                f"{'climbed' if end > start else 'declined'} steadily from {fmt_value(metric, start)} to "
                f"{fmt_value(metric, end)} over the range (no single step); now {fmt_value(metric, vals[-1])}"
            )
        elif max(vals) - min(vals) > 0.25 * max(abs(max(vals)), abs(min(vals))):
            out["summary"] = (
                f"varied between {fmt_value(metric, min(vals))} and {fmt_value(metric, max(vals))} "
                f"(no single step or trend); now {fmt_value(metric, vals[-1])}"
            )
        else:
            out["summary"] = (
                f"steady: {fmt_value(metric, min(vals))} to {fmt_value(metric, max(vals))}, now {fmt_value(metric, vals[-1])}"
            )
    return out


def _drift(points: Sequence[Point]) -> tuple[float, float] | None:
    """A gradual climb or decline (a leak, a growing backlog): the fitted start and end of a
    straight line that explains most of the variance and moves by a quarter of the level."""
    n = len(points)
    if n < 4:
        return None
    xs = [t for t, _ in points]
    ys = [v for _, v in points]
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    r2 = slope * slope * sxx / syy
    start, end = my + slope * (xs[0] - mx), my + slope * (xs[-1] - mx)
    if r2 < 0.8 or abs(end - start) < 0.25 * max(abs(start), abs(end)):
        return None
    return start, end


def _round(v: float) -> float:
    if v == 0 or math.isnan(v):
        return v
    digits = max(0, 4 - int(math.floor(math.log10(abs(v)))))
    return round(v, digits)
