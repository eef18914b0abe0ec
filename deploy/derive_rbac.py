"""Derive the server's Kubernetes RBAC from what its code actually requests.

Every tool the server offers is called against the Kubernetes API stand-in
(tests/fake_k8s.py, answering the official client) loaded with a scenario that has
every object kind; each request the stand-in receives becomes an (apiGroup, resource,
verb) rule. Read tools give the ClusterRole, write tools (--allow-writes) the extra
rules of the write Role. `tests/test_deploy.py` checks the manifests in deploy/ equal
this, so a new tool that reads a new kind cannot ship without its permission, and no
permission stays that no tool uses.

    python deploy/derive_rbac.py            # print the derived rules as YAML
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "checkout-latency"  # the shipped scenario with every object kind the tools read


def rule_of(request: str) -> tuple[str, str, str] | None:
    """`GET /apis/apps/v1/namespaces/x/deployments?watch=true` → ("apps", "deployments", "watch")."""
    method, _, target = request.partition(" ") if " " in request else ("GET", "", request)
    url = urlsplit(target)
    parts = [p for p in url.path.split("/") if p]
    if not parts:
        return None
    if parts[0] == "api" and len(parts) >= 2:
        group, rest = "", parts[2:]
    elif parts[0] == "apis" and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    else:
        return None  # /version, /healthz ...: no RBAC
    if rest[:1] == ["namespaces"] and len(rest) >= 3:
        rest = rest[2:]
    if not rest:
        return None
    resource, name, sub = rest[0], rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None
    if sub:
        resource = f"{resource}/{sub}"
    query = parse_qs(url.query)
    verb = {"PATCH": "patch", "PUT": "update", "DELETE": "delete", "POST": "create"}.get(method)
    if verb is None:  # GET: one object (or its subresource), else a list or a watch
        verb = "get" if name is not None else ("watch" if query.get("watch", [""])[0] in ("true", "1") else "list")
    return group, resource, verb


def _args_for(tool: Any, sc: Any) -> list[dict[str, Any]]:
    """Arguments that reach real objects of the scenario for each of a tool's parameters."""
    props = (tool.input_schema or {}).get("properties") or {}
    required = set((tool.input_schema or {}).get("required") or [])
    pod = sc.pods[0]["metadata"]
    dep = sc.deployments[0]["metadata"]
    svc = sc.services[0]
    objects = getattr(sc, "objects", {})
    first = {kind: (items[0]["metadata"] if items else None) for kind, items in objects.items()}
    values: dict[str, Any] = {
        "namespace": pod["namespace"], "pod_name": pod["name"], "deployment_name": dep["name"], "service_name": svc.name,
        "service": svc.name, "replicas": 1, "time_range": "1h", "query": "up", "duration": "1h", "summary": "rbac check",
    }
    if "name" in props:
        # the object a `name` parameter means depends on the tool
        guess = {"get_configmap": first.get("ConfigMap"), "get_rollout_history": dep}.get(tool.name) or dep
        values["name"] = guess["name"] if guess else dep["name"]
        if guess and guess.get("namespace"):
            values["namespace"] = guess["namespace"]
    out = [{k: values[k] for k in props if k in values and (k in required or k in ("namespace",))}]
    kind_prop = props.get("kind") or {}
    # an optional kind is anyOf [enum, null]: each of its kinds reads its own objects
    kind_enum = kind_prop.get("enum") or next((a["enum"] for a in kind_prop.get("anyOf") or [] if "enum" in a), None)
    if kind_enum:
        out = [{**out[0], "kind": k} for k in kind_enum]
        for args in out:
            obj = first.get(args["kind"])
            if obj is not None and "name" in props:
                args["name"] = obj["name"]
                if obj.get("namespace"):
                    args["namespace"] = obj["namespace"]
    return out


async def _exercise(write: bool) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from mcp import Client

    from sre_mcp.config import ServerConfig
    from sre_mcp.scenarios.loader import load_scenario
    from sre_mcp.server import build_server
    from tests.fake_k8s import ClusterData, FakeKubeAPI, write_kubeconfig

    sc = load_scenario(SCENARIO)
    with tempfile.TemporaryDirectory() as tmp, FakeKubeAPI(ClusterData.from_scenario(sc)) as api:
        kubeconfig = write_kubeconfig(Path(tmp) / "kubeconfig", api.url)
        cfg = ServerConfig(kubeconfig=kubeconfig, namespaces=list(sc.namespaces), audit_log=Path(tmp) / "audit.jsonl", rag=False,
                           allow_writes=write, services=[{"name": s.name, "namespace": s.namespace, "deployment": s.deployment} for s in sc.services])
        server, _ = build_server(cfg, start_background=False)
        async with Client(server) as client:
            tools = (await client.list_tools()).tools
            for tool in tools:
                is_write = not (tool.annotations and tool.annotations.read_only_hint)
                if is_write != write:
                    continue
                for args in _args_for(tool, sc):
                    result = await client.call_tool(tool.name, args)
                    token = (result.structured_content or {}).get("confirmation_token")
                    if token:  # a write previews first; the confirmed call makes the write request
                        await client.call_tool(tool.name, {**args, "confirmation_token": token})
        # The calls start watches in the background: wait until no new request arrives for a second.
        seen, quiet = -1, 0
        for _ in range(40):
            await asyncio.sleep(0.25)
            quiet = quiet + 1 if len(api.requests) == seen else 0
            seen = len(api.requests)
            if quiet >= 4:
                break
        return list(api.requests)


def derive(write: bool = False) -> set[tuple[str, str, str]]:
    import logging

    logging.getLogger("sre_mcp").setLevel(logging.ERROR)  # watches stop noisily when the stand-in closes
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    requests = asyncio.run(_exercise(write))
    return {r for r in map(rule_of, requests) if r is not None}


def as_rules(rules: set[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """One RBAC rule per (apiGroup, resource), its verbs sorted: the manifest's shape."""
    by: dict[tuple[str, str], set[str]] = {}
    for group, resource, verb in rules:
        by.setdefault((group, resource), set()).add(verb)
    return [{"apiGroups": [g], "resources": [r], "verbs": sorted(v)} for (g, r), v in sorted(by.items())]


if __name__ == "__main__":
    import yaml

    read = derive(False)
    write = derive(True) - read
    print(yaml.safe_dump({"read": as_rules(read), "write": as_rules(write)}, sort_keys=False))
