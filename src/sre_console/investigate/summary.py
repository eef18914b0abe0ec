"""One line per tool result, for the trace widgets, the transcript and compaction."""

from __future__ import annotations

from typing import Any, Callable


def _clip(text: str, n: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _health(r: dict) -> str:
    out = f"{r.get('service')} {r.get('status')}"
    if r.get("error_rate") is not None:
        out += f", errors {r['error_rate']:.1%}"
    if r.get("p99_ms") is not None:
        out += f", p99 {r['p99_ms']:.0f} ms"
    pods = r.get("pods") or {}
    if pods.get("total"):
        out += f", {pods.get('ready')}/{pods.get('total')} pods ready"
    if r.get("alerts"):
        out += f", {len(r['alerts'])} alert(s)"
    onset = r.get("onset") or {}
    if onset.get("ago"):
        out += f", onset {onset['ago']} ago ({onset.get('metric')} rose)"
    return out


def _pods(r: dict) -> str:
    pods = r.get("pods") or []
    bad = [p for p in pods if not p.get("healthy")]
    out = f"{r.get('total', len(pods))} pods, {r.get('unhealthy', len(bad))} unhealthy"
    if bad:
        out += ": " + ", ".join(
            f"{p['name']} {p.get('status')}" + (f" ({p['last_termination']['reason']})" if p.get("last_termination") else "")
            for p in bad[:3]
        )
        if len(bad) > 3:
            out += f" +{len(bad) - 3}"
    return out


def _describe(r: dict) -> str:
    parts = [f"{r.get('name')} {r.get('status')}"]
    for c in r.get("containers") or []:
        last = c.get("last_state") or {}
        if last.get("reason"):
            parts.append(f"{c.get('name')} last {last['reason']} exit {last.get('exitCode')}")
        lim = ((c.get("resources") or {}).get("limits") or {}).get("memory")
        if lim:
            parts.append(f"limit {lim}")
        parts.append(f"{c.get('restart_count', 0)} restarts")
    return ", ".join(parts)


def _pod_logs(r: dict) -> str:
    lines = r.get("lines") or []
    worst = next((line for line in reversed(lines) if "ERROR" in line or "FATAL" in line or "Exception" in line), None)
    out = f"{r.get('line_count', len(lines))} lines{' (previous)' if r.get('previous') else ''}, {r.get('errors', 0)} errors"
    return out + (f": {_clip(worst, 100)}" if worst else "")


def _events(r: dict) -> str:
    evs = r.get("events") or []
    reasons: dict[str, int] = {}
    for e in evs:
        reasons[e.get("reason", "?")] = reasons.get(e.get("reason", "?"), 0) + 1
    top = ", ".join(f"{k}×{v}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])[:4])
    return f"{len(evs)} events" + (f": {top}" if top else "")


def _deploys(r: dict) -> str:
    ds = r.get("deploys") or []
    if not ds:
        return f"no deploys of {r.get('service')} in {r.get('hours_back')}h"
    d = ds[0]
    kind = " (config only)" if d.get("config_only") else ""
    return f"{len(ds)} deploy(s); last {d.get('version')}{kind} {d.get('ago')} ago: {_clip(d.get('change', ''), 90)}"


def _metrics(r: dict) -> str:
    series = r.get("series") or []
    if not series:
        return f"no series for {_clip(r.get('query', ''), 80)}"
    first = series[0]
    said = first.get("summary") or first.get("shown") or first.get("value")
    return f"{r.get('series_total', len(series))} series; {_clip(first.get('series', ''), 60)}: {said}"


def _search_logs(r: dict) -> str:
    rows = r.get("rows") or []
    out = f"{r.get('total_matches', len(rows))} matches"
    if rows:
        out += f"; newest: {_clip(rows[0].get('message', ''), 100)}"
    return out


def _count_errors(r: dict) -> str:
    groups = r.get("groups") or []
    out = f"{r.get('total_errors', 0)} errors in {len(groups)} groups"
    if groups:
        out += f"; top: {_clip(groups[0].get('key', ''), 80)} ×{groups[0].get('errors')}"
    return out


def _trace(r: dict) -> str:
    out = f"{r.get('status')} across {' → '.join(r.get('services') or [])}"
    f = r.get("failed_at")
    if f:
        out += f"; first failure in {f.get('service')}: {_clip(f.get('message', ''), 80)}"
    return out


def _runbooks(r: dict) -> str:
    hits = r.get("results") or []
    return f"{len(hits)} runbook(s)" + (": " + ", ".join(h.get("runbook_id", "?") for h in hits[:3]) if hits else "")


def _deployments(r: dict) -> str:
    deps = r.get("deployments") or []
    bad = [d for d in deps if not d.get("healthy")]
    return f"{len(deps)} deployments, {len(bad)} degraded" + (": " + ", ".join(f"{d['name']} {d.get('ready')}" for d in bad[:3]) if bad else "")


def _slow(r: dict) -> str:
    qs = r.get("queries") or []
    if not qs:
        return "no slow queries"
    q = qs[0]
    return f"{len(qs)} slow queries; slowest {q.get('duration_ms', 0):.0f} ms on {q.get('database')}: {_clip(q.get('query', ''), 70)}"


def _services(r: dict) -> str:
    ss = r.get("services") or []
    return f"{len(ss)} services: " + ", ".join(s.get("name", "?") for s in ss[:6])


SUMMARIZERS: dict[str, Callable[[dict], str]] = {
    "check_service_health": _health,
    "list_pods": _pods,
    "describe_pod": _describe,
    "get_pod_logs": _pod_logs,
    "get_events": _events,
    "get_recent_deploys": _deploys,
    "search_logs": _search_logs,
    "count_errors": _count_errors,
    "trace_transaction": _trace,
    "search_runbooks": _runbooks,
    "list_deployments": _deployments,
    "get_slow_queries": _slow,
    "list_services": _services,
    "investigate_service": lambda r: _clip(r.get("summary", ""), 200),
    "get_runbook": lambda r: f"{r.get('runbook_id')}: {r.get('title')}",
    "query_metrics": _metrics,
    "query_metrics_range": _metrics,
}


def summarize(tool: str, ok: bool, payload: Any, error: str | None = None) -> str:
    """A one-line description of a result; never raises (an odd shape falls back to a generic line)."""
    if not ok:
        return "error: " + _clip(error or str(payload), 150)
    if isinstance(payload, dict):
        if payload.get("confirmation_required"):
            return "preview: " + _clip(str(payload.get("preview")), 140)
        fn = SUMMARIZERS.get(tool)
        if fn is not None:
            try:
                line = fn(payload)
            except Exception:  # a summary is a nicety: a changed shape must not break the loop
                line = ""
            if line:
                related = (payload.get("related_runbooks") or {}).get("runbooks") or []
                if related:
                    line += f" [+{len(related)} runbook(s)]"
                return _clip(line, 200)
        keys = ", ".join(list(payload)[:6])
        return f"{{{keys}}}"
    if isinstance(payload, list):
        return f"{len(payload)} items"
    return _clip(str(payload), 150)
