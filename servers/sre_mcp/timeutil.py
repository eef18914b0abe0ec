"""Times: the strict `time_range` grammar, relative scenario times, ages like kubectl's."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# Time ranges a tool accepts: one number and one unit, bounded so a typo cannot
# become a scan of years of logs.
_RANGE_RE = re.compile(r"^([1-9][0-9]{0,3})([smhd])$")
MAX_RANGE_SECONDS = 30 * 86400
_RELATIVE_RE = re.compile(r"^-((?:[0-9]+[dhms])+)$")
_PART_RE = re.compile(r"([0-9]+)([dhms])")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def parse_time_range(value: str) -> int:
    """`15m`, `1h`, `6h`, `24h`, `7d` → seconds. Anything else raises ValueError."""
    m = _RANGE_RE.match(value.strip()) if isinstance(value, str) else None
    if not m:
        raise ValueError(
            f"invalid time_range {value!r}: use a number and a unit s, m, h or d, e.g. 15m, 1h, 24h, 7d"
        )
    seconds = int(m.group(1)) * _UNITS[m.group(2)]
    if seconds > MAX_RANGE_SECONDS:
        raise ValueError(f"time_range {value!r} is longer than the maximum of 30d")
    return seconds


def parse_relative(value: object) -> timedelta:
    """Scenario times: `-3d`, `-7m05s`, `-1h30m`, `0`/`now` → a non-positive offset."""
    if value in (0, "0", "now", None):
        return timedelta(0)
    text = str(value).strip()
    m = _RELATIVE_RE.match(text)
    if not m:
        raise ValueError(f"invalid relative time {value!r}: expected e.g. -3d, -45m, -7m05s, now")
    seconds = sum(int(n) * _UNITS[u] for n, u in _PART_RE.findall(m.group(1)))
    return -timedelta(seconds=seconds)


def iso(ts: datetime) -> str:
    """RFC 3339 like the Kubernetes API writes it."""
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


def age(ts: datetime | None, now: datetime | None = None) -> str:
    """Age the way kubectl prints it: 45s, 12m, 5h, 3d."""
    if ts is None:
        return "<unknown>"
    seconds = max(0, int(((now or now_utc()) - ts).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 3 * 3600:
        return f"{seconds // 60}m"
    if seconds < 2 * 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
