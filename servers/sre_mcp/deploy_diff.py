"""What a rollout changed, in one format, whoever computes it.

A diff is a mapping of area to changes, each change an `[old, new]` pair (null = absent):

    image: [shop/orders:v3.1.0, shop/orders:v3.2.0]
    env: {DB_POOL_MAX: ["50", "10"]}
    resources: {limits.memory: [512Mi, 1Gi]}
    probes: {readiness: ["http-get ...", "http-get ..."]}
    references: {ConfigMap orders-v2: [null, referenced]}
    annotations: {checksum/configmap-orders-config: [1a2b, 3c4d]}
    labels: {component: [api, null]}
    configmaps: {orders-config: {pool.max: ["50", "10"]}}

A scenario writes it by hand in deploys.yaml (`normalize_diff` checks it); a cluster's
revisions are diffed from their pod templates (`template_diff`, over what
`kube.template_summary` reads of a template), for get_rollout_history and for
get_recent_deploys against a real cluster. `change_kind` classifies any diff and
`describe` words it, so every tool says the same thing about the same change.
In a template with more than one container, per-container keys are `container/key`
and `image` is `{container: [old, new]}`.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import yaml

# Areas whose change alone makes a revision "config-only": the image stayed, the config moved.
CONFIG_AREAS = frozenset({"env", "configmaps", "secrets", "references", "annotations"})
# Labels the controllers add to every revision's template: not a change anyone made.
HASH_LABELS = ("pod-template-hash", "controller-revision-hash")
_CHECKSUM = re.compile(r"^checksum/(configmap|config|secret)-(.+)$")
_CHECKSUM_KIND = {"configmap": "ConfigMap", "config": "ConfigMap", "secret": "Secret"}
_KIND_OF_AREA = {"resources": "resources", "probes": "probes", **{a: "config" for a in CONFIG_AREAS}}


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


def change_kind(diff: dict[str, Any] | None) -> str:
    """`image` when any image changed; `config-only` when only env, ConfigMap/Secret data or
    references, or annotations (a config checksum) changed; else the kinds joined, e.g.
    `resources`, `probes`, `config+resources`, `other`; `none` for no change."""
    if not diff:
        return "none"
    if "image" in diff:
        return "image"
    kinds = {_KIND_OF_AREA.get(area, "other") for area in diff}
    return "config-only" if kinds == {"config"} else "+".join(sorted(kinds))


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
        elif area == "references":
            lines += [f"{ref}: {'now referenced' if new is not None else 'no longer referenced'}" for ref, (_, new) in body.items()]
        elif area == "annotations":
            for k, v in body.items():
                m = _CHECKSUM.match(k)
                # A checksum annotation is how new ConfigMap/Secret content rolls pods: say whose.
                lines.append(f"{_CHECKSUM_KIND[m[1]]} {m[2]} content changed ({k}: {_arrow(*v)})" if m
                             else f"annotations {k}: {_arrow(*v)}")
        elif area == "labels":  # what Services and NetworkPolicies select on: named as such
            lines += [f"pod label {k}: {_arrow(*v)}" for k, v in body.items()]
        elif isinstance(body, dict):
            lines += [f"{area} {k}: {_arrow(*v)}" for k, v in body.items()]
        else:
            lines.append(f"{area}: {_arrow(*body)}")
    return lines


def _text(v: Any) -> str | None:
    return None if v is None else str(v)


def _changed(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> dict[str, list[str | None]]:
    return {f"{prefix}{k}": [_text(old.get(k)), _text(new.get(k))] for k in sorted(set(old) | set(new))
            if _text(old.get(k)) != _text(new.get(k))}


def _flat_resources(res: dict[str, Any] | None) -> dict[str, Any]:
    return {f"{section}.{name}": v for section, values in (res or {}).items() for name, v in (values or {}).items()}


def template_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The diff (format above) between two template summaries (`kube.template_summary`)."""
    oc, nc = old.get("containers") or {}, new.get("containers") or {}
    single = len(oc) == len(nc) == 1 and set(oc) == set(nc)
    diff: dict[str, Any] = {}

    def put(area: str, changes: dict[str, Any]) -> None:
        if changes:
            diff.setdefault(area, {}).update(changes)

    images: dict[str, list[str | None]] = {}
    for name in sorted(set(oc) | set(nc), key=lambda n: (n not in oc, n)):
        a, b = oc.get(name) or {}, nc.get(name) or {}
        prefix = "" if single else f"{name}/"
        if a.get("image") != b.get("image"):
            images[name] = [a.get("image"), b.get("image")]
        put("env", _changed(a.get("env") or {}, b.get("env") or {}, prefix))
        put("resources", _changed(_flat_resources(a.get("resources")), _flat_resources(b.get("resources")), prefix))
        put("probes", _changed({k: a.get(k) for k in ("liveness", "readiness")}, {k: b.get(k) for k in ("liveness", "readiness")}, prefix))
    if images:
        diff["image"] = next(iter(images.values())) if single else images
    refs: dict[str, list[str | None]] = {}
    for area, label in (("configmaps", "ConfigMap"), ("secrets", "Secret")):
        a, b = set(old.get(area) or []), set(new.get(area) or [])
        refs.update({f"{label} {n}": [None, "referenced"] for n in sorted(b - a)})
        refs.update({f"{label} {n}": ["referenced", None] for n in sorted(a - b)})
    put("references", refs)
    put("annotations", _changed(old.get("annotations") or {}, new.get("annotations") or {}))
    put("labels", _changed(old.get("labels") or {}, new.get("labels") or {}))
    return {area: diff[area] for area in ("image", "env", "resources", "probes", "references", "annotations", "labels") if area in diff}


def revision_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What a rollout from one template summary to another changed: `change_kind`, `changes` in
    words (one line each) and `areas`, the diff in the format above."""
    areas = template_diff(old, new)
    return {"change_kind": change_kind(areas), "changes": describe(areas), "areas": areas}




def comparable_template(template: dict[str, Any]) -> dict[str, Any]:
    """A pod template without what differs between any two revisions by construction."""
    out = {k: v for k, v in (template or {}).items() if k != "$patch"}
    meta = dict(out.get("metadata") or {})
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in HASH_LABELS}
    if labels:
        meta["labels"] = labels
    else:
        meta.pop("labels", None)
    meta.pop("creationTimestamp", None)  # null in every stored template
    if meta:
        out["metadata"] = meta
    else:
        out.pop("metadata", None)
    return out


def yaml_diff(old: dict[str, Any], new: dict[str, Any], old_name: str, new_name: str, context: int = 3) -> str:
    """A unified diff of two pod templates as YAML (keys sorted, so only real changes show)."""
    a = yaml.safe_dump(comparable_template(old), sort_keys=True, default_flow_style=False).splitlines()
    b = yaml.safe_dump(comparable_template(new), sort_keys=True, default_flow_style=False).splitlines()
    return "\n".join(difflib.unified_diff(a, b, old_name, new_name, n=context, lineterm=""))
