"""The one diff of two revisions (sre_mcp/deploy_diff.py over kube.template_summary): what
get_rollout_history, get_recent_deploys on a cluster and a scenario's deploys.yaml all say."""

from __future__ import annotations

import copy

from sre_mcp import deploy_diff
from sre_mcp.backends import kube


def _rs(rev: int, template: dict, hash_: str) -> dict:
    t = copy.deepcopy(template)
    t.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = hash_
    return {"kind": "ReplicaSet", "metadata": {"name": f"web-{hash_}", "annotations": {kube.REVISION: str(rev)},
                                               "ownerReferences": [{"kind": "Deployment", "name": "web"}]},
            "spec": {"template": t}, "status": {"replicas": 1}}


BASE = {"metadata": {"labels": {"app": "web", "component": "api"}},
        "spec": {"containers": [{"name": "web", "image": "acme/web:1", "env": [{"name": "POOL", "value": "50"}]},
                                {"name": "proxy", "image": "envoy:1.29"}]}}


def _history(*templates: dict) -> list[dict]:
    dep = {"kind": "Deployment", "metadata": {"name": "web", "annotations": {kube.REVISION: str(len(templates))}}}
    return kube.rollout_history(dep, [_rs(i + 1, t, f"h{i}") for i, t in enumerate(templates)])


def test_a_relabelled_revision_names_the_labels_and_nothing_else():
    relabelled = copy.deepcopy(BASE)
    relabelled["metadata"]["labels"] = {"app": "web", "app.kubernetes.io/name": "web"}
    diff = _history(BASE, relabelled)[1]["diff"]
    assert diff["change_kind"] == "other"
    assert diff["areas"] == {"labels": {"app.kubernetes.io/name": [None, "web"], "component": ["api", None]}}
    assert diff["changes"] == ["pod label app.kubernetes.io/name: added = web", "pod label component: removed (was api)"]


def test_several_containers_are_named_and_the_hash_labels_are_no_change():
    changed = copy.deepcopy(BASE)
    changed["spec"]["containers"][1]["image"] = "envoy:1.30"
    changed["spec"]["containers"][0]["env"][0]["value"] = "10"
    revs = _history(BASE, changed)
    diff = revs[1]["diff"]
    assert diff["change_kind"] == "image"
    assert diff["areas"] == {"image": {"proxy": ["envoy:1.29", "envoy:1.30"]}, "env": {"web/POOL": ["50", "10"]}}
    assert diff["changes"] == ["image proxy: envoy:1.29 → envoy:1.30", "env web/POOL: 50 → 10"]
    # Two ReplicaSets of one template differ only in pod-template-hash: that is no change.
    assert _history(BASE, BASE)[1]["diff"]["change_kind"] == "none"


def test_a_change_the_summary_does_not_read_is_other_not_none():
    tolerant = copy.deepcopy(BASE)
    tolerant["spec"]["tolerations"] = [{"key": "dedicated", "operator": "Exists"}]
    revs = _history(BASE, tolerant)
    assert revs[1]["diff"]["change_kind"] == "other" and "outside images" in revs[1]["diff"]["changes"][0]
    with_templates = kube.rollout_history({"kind": "Deployment", "metadata": {"name": "web"}},
                                          [_rs(1, BASE, "a"), _rs(2, tolerant, "b")], pod_templates=True)
    text = deploy_diff.yaml_diff(with_templates[0]["pod_template"], with_templates[1]["pod_template"], "revision 1", "revision 2")
    assert "+  tolerations:" in text and "pod-template-hash" not in text


def test_config_only_and_the_checksum_annotation_are_worded():
    diff = {"annotations": {"checksum/configmap-orders-config": ["1a2b", "3c4d"]}, "env": {"POOL": ["50", "5"]}}
    assert deploy_diff.change_kind(diff) == "config-only"
    assert deploy_diff.describe(diff) == ["ConfigMap orders-config content changed (checksum/configmap-orders-config: 1a2b → 3c4d)",
                                          "env POOL: 50 → 5"]
    assert deploy_diff.change_kind({"env": {"A": ["1", "2"]}, "resources": {"limits.cpu": ["1", "2"]}}) == "config+resources"
    assert deploy_diff.change_kind({}) == "none"
