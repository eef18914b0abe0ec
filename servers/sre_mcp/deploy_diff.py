"""What a rollout changed: image, env, resources, referenced ConfigMaps, as a diff and as words.

A diff is a mapping of area to changes, each change an `[old, new]` pair (null = absent):

    image: [shop/orders:v3.1.0, shop/orders:v3.2.0]
    env: {DB_POOL_MAX: ["50", "10"]}
    resources: {limits.memory: [512Mi, 1Gi]}
    configmaps: {orders-config: {pool.max: ["50", "10"]}}

The fixture reads it from deploys.yaml; `template_diff` derives the same shape from two
pod templates (ReplicaSets of a real Deployment), so one renderer serves both.
"""

from __future__ import annotations

from typing import Any

_NESTED = {"env", "resources", "annotations", "labels", "args"}


def _pair(value: Any, where: str) -> list[Any]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"{where}: a change is [old, new] (null for absent), not {value!r}")
    return [None if v is None else str(v) for v in value]


def normalize_diff(diff: Any) -> dict[str, Any]:
    if not isinstance(diff, dict) or not diff:
        raise ValueError("expected a mapping such as {env: {NAME: [old, new]}, image: [old, new]}")
    out: dict[str, Any] = {}
    for area, body in diff.items():
        area = str(area)
        if area == "configmaps":
            if not isinstance(body, dict):
                raise ValueError("configmaps: expected {configmap-name: {key: [old, new]}}")
            out[area] = {}
            for cm, keys in body.items():
                if not isinstance(keys, dict):
                    raise ValueError(f"configmaps.{cm}: expected {{key: [old, new]}}")
                out[area][str(cm)] = {str(k): _pair(v, f"configmaps.{cm}.{k}") for k, v in keys.items()}
        elif isinstance(body, dict):
            out[area] = {str(k): _pair(v, f"{area}.{k}") for k, v in body.items()}
        else:
            out[area] = _pair(body, area)
    return out


def _arrow(old: str | None, new: str | None) -> str:
    if old is None:
        return f"added = {new}"
    if new is None:
        return f"removed (was {old})"
    return f"{old} → {new}"


def describe(diff: dict[str, Any] | None) -> list[str]:
    """One line per change, e.g. `env DB_POOL_MAX: 50 → 10`."""
    lines: list[str] = []
    for area, body in (diff or {}).items():
        if area == "configmaps":
            for cm, keys in body.items():
                lines += [f"configmap {cm} {k}: {_arrow(*v)}" for k, v in keys.items()]
        elif isinstance(body, dict):
            lines += [f"{area} {k}: {_arrow(*v)}" for k, v in body.items()]
        else:
            lines.append(f"{area}: {_arrow(*body)}")
    return lines


def _flat_env(container: dict[str, Any]) -> dict[str, str]:
    out = {}
    for e in container.get("env") or []:
        if "value" in e:
            out[e["name"]] = str(e["value"])
        elif e.get("valueFrom"):
            ref = e["valueFrom"].get("configMapKeyRef") or e["valueFrom"].get("secretKeyRef") or {}
            kind = "configmap" if "configMapKeyRef" in e["valueFrom"] else "secret"
            out[e["name"]] = f"<{kind} {ref.get('name')}/{ref.get('key')}>"
    return out


def _flat_resources(container: dict[str, Any]) -> dict[str, str]:
    res = container.get("resources") or {}
    return {f"{kind}.{name}": str(v) for kind in ("requests", "limits") for name, v in (res.get(kind) or {}).items()}


def template_diff(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    """The diff between two pod templates (`spec.template` of ReplicaSets), in the shape above."""
    def containers(t: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
        return {c.get("name", "?"): c for c in ((t or {}).get("spec") or {}).get("containers") or []}

    a, b = containers(old), containers(new)
    diff: dict[str, Any] = {}
    single = len(a) <= 1 and len(b) <= 1 and set(a) == set(b)
    for name in sorted(set(a) | set(b)):
        ca, cb = a.get(name) or {}, b.get(name) or {}
        prefix = "" if single else f"{name}."
        if ca.get("image") != cb.get("image"):
            diff.setdefault("image", {})[name] = [ca.get("image"), cb.get("image")]
        for area, flat in (("env", _flat_env), ("resources", _flat_resources)):
            fa, fb = flat(ca), flat(cb)
            for key in sorted(set(fa) | set(fb)):
                if fa.get(key) != fb.get(key):
                    diff.setdefault(area, {})[prefix + key] = [fa.get(key), fb.get(key)]
    if "image" in diff and single:
        diff["image"] = next(iter(diff["image"].values()))
    return diff
