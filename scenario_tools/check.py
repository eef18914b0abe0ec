"""Sanity checks for scenario folders beyond what the loader enforces.

    python -m scenario_tools.check [name ...]     (from the repository root)

Every file parses; names are DNS-1123; events point at deployments that exist (and pods that exist or were replaced);
pod logs belong to pods and their containers; log hosts are pods; services in logs, metrics and deploys are
declared; pods belong to a namespace in scenario.yaml; deployment readiness matches its
pods; answer.yaml has the documented fields; and the loader accepts the folder.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parents[1] / "servers" / "sre_mcp" / "scenarios"
DNS = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
REL = re.compile(r"^(-(?:[0-9]+[dhms])+|0|now)$")
CATEGORIES = {"memory-exhaustion", "connection-pool-exhaustion", "resource-pressure-eviction", "certificate-expiry",
              "upstream-saturation", "cache-eviction", "consumer-lag", "bad-image", "dns-failure",
              "probe-misconfiguration", "cpu-throttling", "config-error"}


def check(folder: Path) -> list[str]:
    errs: list[str] = []
    y = lambda n, d=None: (yaml.safe_load((folder / n).read_text()) if (folder / n).is_file() else d)
    meta = y("scenario.yaml", {})
    pods = y("pods.yaml", [])
    deps = y("deployments.yaml", [])
    events = y("events.yaml", []) or []
    metrics = y("metrics.yaml", {}) or {}
    deploys = y("deploys.yaml", []) or []
    answer = y("answer.yaml")
    services = {s["name"]: s for s in meta.get("services", [])}
    namespaces = set(meta.get("namespaces", [])) | {s["namespace"] for s in services.values()}
    workloads = [w for w in (y("workloads.yaml", []) or []) if isinstance(w, dict)]
    for s in services.values():
        # A service runs as a Deployment, or as another workload (a StatefulSet database, a DaemonSet).
        runs = [*deps, *workloads]
        if not any(d.get("name") == s.get("deployment", s["name"]) and d.get("namespace") == s["namespace"] for d in runs):
            errs.append(f"service {s['name']}: no deployment {s.get('deployment')} in {s['namespace']}")
    pod_names = {}
    for p in pods:
        for key in ("name", "namespace"):
            if not DNS.match(p[key]) or len(p[key]) > 63:
                errs.append(f"pod {p[key]!r}: not DNS-1123")
        if p["name"] in pod_names:
            errs.append(f"pod {p['name']} twice")
        pod_names[p["name"]] = p
        if p["namespace"] not in namespaces:
            errs.append(f"pod {p['name']}: namespace {p['namespace']} not in scenario namespaces")
        for c in p["containers"]:
            if not DNS.match(c["name"]):
                errs.append(f"pod {p['name']}: container {c['name']!r}")
            for st in (c.get("state") or {}, c.get("last_state") or {}):
                for body in st.values():
                    for k in ("started", "finished"):
                        if k in (body or {}) and not REL.match(str(body[k])):
                            errs.append(f"pod {p['name']}: bad time {body[k]!r}")
    dep_names = {(d["namespace"], d["name"]) for d in deps}
    for d in deps:
        pods_of = [p for p in pods if p["namespace"] == d["namespace"] and p.get("service") == d.get("service", d["name"])]
        ready = sum(1 for p in pods_of if p.get("phase", "Running") == "Running" and all(c.get("ready", True) for c in p["containers"]))
        if pods_of and ready != d.get("ready", d.get("replicas", 1)):
            errs.append(f"deployment {d['name']}: ready {d.get('ready')} but {ready} ready pods")
        running = [p for p in pods_of if p.get("phase", "Running") != "Failed"]
        want = d.get("replicas", 1)
        if pods_of and not (want <= len(running) <= want + max(1, want // 2)):
            errs.append(f"deployment {d['name']}: replicas {d.get('replicas')} but {len(running)} non-failed pods")
    replaced: set[str] = set()
    for i, e in enumerate(events):
        kind, name = e["object"].split("/", 1)
        if kind == "pod" and name in pod_names and pod_names[name]["namespace"] != e["namespace"]:
            errs.append(f"events[{i}]: pod/{name} is in {pod_names[name]['namespace']}, not {e['namespace']}")
        elif kind == "pod" and name not in pod_names:
            replaced.add(name)  # events outlive a replaced pod; allowed, but said
        if kind == "deployment" and (e["namespace"], name) not in dep_names:
            errs.append(f"events[{i}]: deployment/{name} does not exist in {e['namespace']}")
        for k in ("at", "first"):
            if k in e and not REL.match(str(e[k])):
                errs.append(f"events[{i}]: bad {k} {e[k]!r}")
        if e["namespace"] not in namespaces:
            errs.append(f"events[{i}]: namespace {e['namespace']} not in scenario")
    logs_dir = folder / "pod_logs"
    for f in sorted(logs_dir.glob("*.log")) if logs_dir.is_dir() else []:
        pod = f.name.removesuffix(".previous.log").removesuffix(".log")
        container = None
        if pod not in pod_names and pod.rpartition(".")[0] in pod_names:
            pod, _, container = pod.rpartition(".")  # <pod>.<container>.log: a sidecar's log
        if pod not in pod_names:
            errs.append(f"pod_logs/{f.name}: no such pod")
            continue
        cs = [c for c in pod_names[pod]["containers"] if container is None or c["name"] == container]
        if not cs:
            errs.append(f"pod_logs/{f.name}: pod {pod} has no container {container}")
        elif f.name.endswith(".previous.log") and not any(c.get("last_state") for c in (cs if container else pod_names[pod]["containers"])):
            errs.append(f"pod_logs/{f.name}: {'container' if container else 'pod'} has no last_state")
    gone: set[str] = set()
    for n in ("logs.jsonl", "slow_queries.jsonl"):
        if not (folder / n).is_file():
            continue
        for i, line in enumerate((folder / n).read_text().splitlines(), 1):
            r = json.loads(line)
            if not REL.match(str(r.get("at", "now"))):
                errs.append(f"{n}:{i}: bad at {r.get('at')!r}")
            if r.get("service") not in services:
                errs.append(f"{n}:{i}: service {r.get('service')!r} not declared")
            if n == "logs.jsonl" and r.get("host") and r["host"] not in pod_names:
                gone.add(r["host"])
    if replaced:
        print(f"    note: events of pods not in pods.yaml (replaced pods): {', '.join(sorted(replaced))}")
    if gone:
        print(f"    note: log hosts that are not current pods (replaced or deleted pods?): {', '.join(sorted(gone))}")
    for s in metrics:
        if s not in services:
            errs.append(f"metrics.yaml: {s} not a declared service")
    for d in deploys:
        if d["service"] not in services:
            errs.append(f"deploys.yaml: {d['service']} not a declared service")
    if answer is None:
        errs.append("no answer.yaml")
    else:
        for k in ("category", "difficulty", "keywords", "forbidden", "evidence_tools", "optimal_steps"):
            if k not in answer:
                errs.append(f"answer.yaml: missing {k}")
        # The generators' own kinds are CATEGORIES; a new scenario may name a new kind, in kebab-case.
        category = answer.get("category")
        if not (isinstance(category, str) and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", category)):
            errs.append(f"answer.yaml: category {category!r} is not a kebab-case name")
        if answer.get("difficulty") not in ("easy", "medium", "hard"):
            errs.append("answer.yaml: difficulty")
    try:
        from sre_mcp.scenarios.loader import load_scenario
        load_scenario(folder)
    except Exception as exc:  # noqa: BLE001 - report whatever the loader says
        errs.append(f"loader: {exc}")
    return errs


def main(argv: list[str]) -> int:
    names = argv or sorted(p.name for p in HERE.iterdir() if (p / "scenario.yaml").is_file())
    bad = 0
    for n in names:
        errs = check(HERE / n)
        print(f"{n}: {'ok' if not errs else ''}")
        for e in errs:
            print("   ", e)
        bad += bool(errs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
