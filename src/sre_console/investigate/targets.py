"""Never investigate what does not exist: check the service, namespace and trace id first.

An unknown or misspelt name is an error that names the nearest real ones ("did you
mean <the real name>?"); the investigation does not start, so no report can present
another service's evidence as the target's. When the check itself cannot run (no
such tool, the backend down), the investigation goes ahead and the tools say so.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from sre_console.investigate.models import ModelError

_SIMILAR = re.compile(r"similar trace ids:\s*(.+)$", re.M)
_ALLOWED = re.compile(r"allowed namespaces:\s*(.+)$", re.M)


class UnknownTarget(ModelError):
    """The thing to investigate does not exist; `suggestions` are the nearest real names."""

    def __init__(self, kind: str, name: str, suggestions: list[str], known: list[str]):
        self.kind, self.name, self.suggestions, self.known = kind, name, suggestions, known
        text = f"unknown {kind} {name!r}"
        if suggestions:
            text += ": did you mean " + " or ".join(suggestions) + "?"
        elif known:
            shown = ", ".join(known[:20]) + (f" and {len(known) - 20} more" if len(known) > 20 else "")
            text += f"; known {kind}s: {shown}"
        text += ("" if text.endswith("?") else ".") + " Nothing was investigated."
        super().__init__(text)


def nearest(name: str, known: list[str], n: int = 3) -> list[str]:
    """The closest real names: spelling first, then a shared prefix or containment."""
    close = difflib.get_close_matches(name, known, n=n, cutoff=0.75)
    if not close:
        low = name.lower()
        close = [k for k in known if low in k.lower() or k.lower() in low][:n]
    return close


async def _payload(host: Any, tool: str, args: dict[str, Any]) -> tuple[bool, Any, str]:
    if host.tool(tool) is None:
        return False, None, ""
    try:
        call = await host.call_tool(tool, args)
    except Exception as exc:  # the check must never be what breaks an investigation
        return False, None, str(exc)
    if call.ok:
        return True, call.payload(), ""
    data = call.payload()
    err = (data or {}).get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):  # our server's structured error: the message and the hint with real names
        return False, None, f"{err.get('message', '')}\n{err.get('hint', '')}"
    return False, None, call.error or str(data or "")


async def check_targets(host: Any, args: dict[str, Any]) -> None:
    """Raise UnknownTarget when a named service, namespace or trace id does not exist."""
    services = [args[k] for k in ("service", "service_name") if args.get(k)]
    namespace = args.get("namespace")
    trace = args.get("trace_id")
    known_ns: list[str] = []
    if services or namespace:
        ok, data, _ = await _payload(host, "list_services", {})
        if ok and isinstance(data, dict):
            rows = data.get("services") or []
            names = [r.get("name") for r in rows if r.get("name")]
            known_ns = sorted({r.get("namespace") for r in rows if r.get("namespace")})
            for svc in services:
                if names and svc not in names:
                    raise UnknownTarget("service", svc, nearest(svc, names), sorted(names))
    if namespace and namespace not in known_ns:
        ok, _, error = await _payload(host, "list_pods", {"namespace": namespace})
        if not ok and error and re.search(r"not allowed|not found|does not exist|unknown namespace", error, re.I):
            m = _ALLOWED.search(error)
            allowed = [n.strip() for n in m.group(1).split(",")] if m else known_ns
            raise UnknownTarget("namespace", namespace, nearest(namespace, allowed), allowed)
    if trace:
        ok, _, error = await _payload(host, "trace_transaction", {"trace_id": trace})
        if not ok and error and re.search(r"no log events|not a trace id", error, re.I):
            m = _SIMILAR.search(error)
            similar = [t.strip() for t in m.group(1).split(",")] if m else []
            raise UnknownTarget("trace id", trace, nearest(trace, similar) or similar[:3], similar)
