"""Helpers that write a scenario's logs.jsonl and pod_logs/ deterministically.

Not used by the server (and not shipped in the wheel). Each `gen_<scenario>.py`
beside this file builds one scenario's log lines with these helpers; run it from the
repository root to regenerate that scenario's logs.jsonl and pod_logs/*.log (the
hand-written YAML files are left alone):

    python -m scenario_tools.gen_payments_incident

Times are seconds before the scenario's load time ("ago"); they are written in the
relative form of the scenario format (`-7m05s`, `{T-7m05s}`).
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass, field
from pathlib import Path

# The shipped scenarios live in the server package; these scripts sit beside it at the top level.
SCENARIOS = Path(__file__).resolve().parents[1] / "servers" / "sre_mcp" / "scenarios"


def rel(ago: float) -> str:
    """Seconds before now → `-1h02m05s` (the scenario format's relative time)."""
    s = int(round(ago))
    if s <= 0:
        return "now"
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    out = "-"
    if d:
        out += f"{d}d"
    if h:
        out += f"{h}h" if not out[1:] else f"{h:02d}h"
    if m:
        out += f"{m}m" if not out[1:] else f"{m:02d}m"
    if s or out == "-":
        out += f"{s}s" if not out[1:] else f"{s:02d}s"
    return out


@dataclass
class Line:
    ago: float
    seq: int
    service: str
    level: str
    host: str
    message: str
    trace: str | None = None
    duration_ms: float | None = None
    comp: str | None = None
    table: bool = True          # goes to logs.jsonl
    pod: bool = True            # goes to the pod's container log
    cont: list[str] = field(default_factory=list)  # continuation lines (stack traces), pod log only


class Gen:
    def __init__(self, name: str, seed: int, horizon: int = 7200):
        self.name = name
        self.folder = SCENARIOS / name
        self.rng = random.Random(seed)
        self.horizon = horizon
        self.lines: list[Line] = []
        self._seq = 0
        self.runs: dict[str, list[float]] = {}    # host -> container start times (ago), oldest first
        self.formats: dict[str, str] = {}         # host -> "plain" | "logfmt" | "json"
        self.pods: set[str] = set()               # hosts that are pods (get a pod_logs file)

    # ------------------------------------------------------------------ building
    def pod(self, host: str, starts: list[float], fmt: str = "plain") -> None:
        """A pod whose container started at each of `starts` (ago); the last one is current."""
        self.pods.add(host)
        self.runs[host] = sorted(starts, reverse=True)
        self.formats[host] = fmt

    def log(self, ago: float, service: str, level: str, host: str, message: str, trace: str | None = None,
            duration_ms: float | None = None, comp: str | None = None, table: bool = True, pod: bool = True,
            cont: list[str] | None = None) -> None:
        self._seq += 1
        self.lines.append(Line(ago, self._seq, service, level, host, message, trace, duration_ms, comp, table, pod, cont or []))

    def poisson(self, start: float, end: float, per_min: float):
        """Event times (ago) between start and end (ago, start > end), about per_min a minute."""
        t = start
        while True:
            t -= self.rng.expovariate(per_min / 60.0)
            if t <= end:
                return
            yield t

    def tx(self, n: int = 6) -> str:
        return "tx-" + "".join(self.rng.choice(string.ascii_lowercase + string.digits) for _ in range(n))

    def hexid(self, n: int = 8) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def pick(self, seq):
        return self.rng.choice(seq)

    # ------------------------------------------------------------------ writing
    def _fmt(self, ln: Line) -> list[str]:
        ts = "{T" + rel(ln.ago) + "}" if ln.ago >= 1 else "{Tnow}"
        fmt = self.formats.get(ln.host, "plain")
        if fmt == "logfmt":
            msg = ln.message.replace('"', '\\"')
            out = f'ts={ts} level={ln.level.lower()}'
            if ln.comp:
                out += f" component={ln.comp}"
            out += f' msg="{msg}"'
            if ln.trace:
                out += f" trace_id={ln.trace}"
            if ln.duration_ms is not None:
                out += f" duration_ms={ln.duration_ms:g}"
            first = out
        elif fmt == "json":
            body = {"ts": "__TS__", "level": ln.level.lower(), "msg": ln.message}
            if ln.comp:
                body["logger"] = ln.comp
            if ln.trace:
                body["trace_id"] = ln.trace
            if ln.duration_ms is not None:
                body["duration_ms"] = ln.duration_ms
            first = json.dumps(body, ensure_ascii=False).replace('"__TS__"', '"' + ts + '"')
        elif fmt == "redis":
            first = f"1:{ln.comp or 'M'} {ts} * {ln.message}"
        elif fmt in ("nginx", "raw"):
            first = ln.message.replace("{T}", ts)
        else:
            first = f"{ts} {ln.level:<5} [{ln.comp or 'main'}] {ln.message}"
        return [first, *ln.cont]

    def write(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        ordered = sorted(self.lines, key=lambda ln: (-round(ln.ago), ln.seq))
        with (self.folder / "logs.jsonl").open("w", encoding="utf-8") as f:
            for ln in ordered:
                if not ln.table:
                    continue
                row = {"at": rel(ln.ago), "service": ln.service, "level": ln.level, "host": ln.host, "message": ln.message}
                if ln.trace:
                    row["trace_id"] = ln.trace
                if ln.duration_ms is not None:
                    row["duration_ms"] = ln.duration_ms
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        logs_dir = self.folder / "pod_logs"
        logs_dir.mkdir(exist_ok=True)
        for old in logs_dir.glob("*.log"):
            old.unlink()
        for host in sorted(self.pods):
            starts = self.runs[host]
            mine = [ln for ln in ordered if ln.host == host and ln.pod]
            current_start = starts[-1]
            current = [ln for ln in mine if round(ln.ago) <= round(current_start)]
            (logs_dir / f"{host}.log").write_text("".join(x + "\n" for ln in current for x in self._fmt(ln)), encoding="utf-8")
            if len(starts) > 1:
                prev_start = starts[-2]
                previous = [ln for ln in mine if round(current_start) < round(ln.ago) <= round(prev_start)]
                (logs_dir / f"{host}.previous.log").write_text("".join(x + "\n" for ln in previous for x in self._fmt(ln)), encoding="utf-8")
        n = sum(1 for ln in self.lines if ln.table)
        print(f"{self.name}: {n} log rows, {len(self.pods)} pod logs")


def crash_loop(first_crash: float, crashes: int, run_s: float, backoff_cap: float = 300.0) -> list[tuple[float, float]]:
    """(start, crash) times (ago) of the restarts after a first crash, kubelet back-off 10s doubling to the cap."""
    out, t, b = [], first_crash, 10.0
    for _ in range(crashes):
        start = t - b
        t = start - run_s
        out.append((start, t))
        b = min(b * 2, backoff_cap)
    return out


# ---------------------------------------------------------------------- YAML files
import yaml as _yaml


class _Dumper(_yaml.SafeDumper):
    def ignore_aliases(self, data):  # shared dicts are written out in full, never as &id/*id
        return True


def _short(value) -> bool:
    if isinstance(value, dict):
        return all(_short(v) for v in value.values()) and len(str(value)) <= 110
    if isinstance(value, list):
        return all(not isinstance(v, (dict, list)) for v in value) and len(str(value)) <= 110
    return True


def _repr_dict(dumper, data):
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=_short(data) and len(data) <= 6)


def _repr_list(dumper, data):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=_short(data))


_Dumper.add_representer(dict, _repr_dict)
_Dumper.add_representer(list, _repr_list)


def write_yaml(folder: Path, name: str, data, header: str = "") -> None:
    text = _yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=140)
    if isinstance(data, list) and data and isinstance(data[0], dict):
        # a blank line between top-level entries keeps long lists readable
        text = text.replace("\n- ", "\n\n- ")
    (folder / name).write_text((header.rstrip() + "\n" if header else "") + text, encoding="utf-8")


def container(name: str, image: str, *, ready: bool = True, restarts: int = 0, state: dict | None = None,
              last_state: dict | None = None, requests: dict | None = None, limits: dict | None = None,
              env: dict | None = None, liveness: dict | None = None, readiness: dict | None = None,
              ports: list | None = None, started: str = "-1d") -> dict:
    c: dict = {"name": name, "image": image}
    if ports:
        c["ports"] = ports
    c["ready"] = ready
    c["restarts"] = restarts
    c["state"] = state or {"running": {"started": started}}
    if last_state:
        c["last_state"] = last_state
    res = {}
    if requests:
        res["requests"] = requests
    if limits:
        res["limits"] = limits
    if res:
        c["resources"] = res
    if env:
        c["env"] = env
    if liveness:
        c["liveness"] = liveness
    if readiness:
        c["readiness"] = readiness
    return c


def pod(name: str, namespace: str, service: str, node: str, created: str, ip: str, containers: list[dict],
        usage: dict | None = None, **extra) -> dict:
    p: dict = {"name": name, "namespace": namespace, "service": service, "node": node, "created": created, "ip": ip}
    if usage:
        p["usage"] = usage
    p.update(extra)
    p["containers"] = containers
    return p
