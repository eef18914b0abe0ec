"""What a rollout changed: image, env, resources, referenced ConfigMaps, as a diff and as words.

A diff is a mapping of area to changes, each change an `[old, new]` pair (null = absent):

    image: [shop/orders:v3.1.0, shop/orders:v3.2.0]
    env: {DB_POOL_MAX: ["50", "10"]}
    resources: {limits.memory: [512Mi, 1Gi]}
    configmaps: {orders-config: {pool.max: ["50", "10"]}}

The fixture reads it from deploys.yaml (a real cluster's revisions are diffed from their
pod templates by `kube.template_diff`, served by get_rollout_history).
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
