"""deploy/ and the container recipe: the manifests parse, their RBAC is exactly what the
tools request of the Kubernetes API (derived by running them against the stand-in), the
Deployment's probes and arguments fit the server, and the image runs as non-root."""

from __future__ import annotations

import importlib.util
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
pytestmark = pytest.mark.timeout(180)


def _derive():
    spec = importlib.util.spec_from_file_location("derive_rbac", DEPLOY / "derive_rbac.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _all() -> dict[str, list[dict]]:
    return {str(p.relative_to(DEPLOY)): _docs(p) for p in sorted(DEPLOY.rglob("*.yaml"))}


def test_every_manifest_parses_and_kustomizations_name_real_files():
    manifests = _all()
    assert manifests, "deploy/ has no manifests"
    for path, docs in manifests.items():
        for doc in docs:
            assert doc.get("kind") and doc.get("apiVersion"), path
    for kust in DEPLOY.rglob("kustomization.yaml"):
        for res in yaml.safe_load(kust.read_text())["resources"]:
            assert (kust.parent / res).exists(), (kust, res)
    kinds = {d["kind"] for docs in manifests.values() for d in docs}
    assert {"Deployment", "Service", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "NetworkPolicy", "Secret",
            "ConfigMap"} <= kinds


def test_rbac_is_exactly_what_the_tools_request():
    derive = _derive()
    read = derive.derive(False)
    write = derive.derive(True) - read
    role = _docs(DEPLOY / "base" / "clusterrole-read.yaml")[0]
    assert role["rules"] == derive.as_rules(read)
    # read-only: nothing that changes the cluster
    assert not {v for r in role["rules"] for v in r["verbs"]} & {"create", "update", "patch", "delete", "deletecollection"}
    wrole = _docs(DEPLOY / "overlays" / "writes" / "clusterrole-write.yaml")[0]
    assert wrole["rules"] == derive.as_rules(write) and write
    # the write role is bound only in the overlay that switches writes on
    base_bindings = [d for docs in _all().items() if docs[0].startswith("base") for d in docs[1] if d["kind"] == "ClusterRoleBinding"]
    assert {b["roleRef"]["name"] for b in base_bindings} == {"sre-mcp-read"}
    overlay = yaml.safe_load((DEPLOY / "overlays" / "writes" / "kustomization.yaml").read_text())
    assert "--allow-writes" in yaml.safe_dump(overlay["patches"])


def test_rule_mapping():
    derive = _derive()
    assert derive.rule_of("/api/v1/namespaces/a/pods/p-1/log?container=x") == ("", "pods/log", "get")
    assert derive.rule_of("/apis/apps/v1/namespaces/a/deployments?watch=true&resourceVersion=5") == ("apps", "deployments", "watch")
    assert derive.rule_of("PATCH /apis/apps/v1/namespaces/a/deployments/d/scale") == ("apps", "deployments/scale", "patch")
    assert derive.rule_of("/api/v1/nodes") == ("", "nodes", "list")
    assert derive.rule_of("/version") is None


def test_deployment_fits_the_server():
    from sre_mcp.cli import _serve_parser

    dep = _docs(DEPLOY / "base" / "deployment.yaml")[0]
    pod = dep["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True and c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz" and c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    args = _serve_parser().parse_args(c["args"])  # every argument is one the server takes
    assert args.transport == "http" and args.in_cluster and args.auth_tokens and args.port == 8765
    mounts = {m["mountPath"] for m in c["volumeMounts"]}
    assert str(Path(args.auth_tokens).parent) in mounts and str(Path(args.roles_file).parent) in mounts
    svc = _docs(DEPLOY / "base" / "service.yaml")[0]
    assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
    # Host names clients use through the Service are allowed (DNS-rebinding protection stays on).
    assert f"{svc['metadata']['name']}.{svc['metadata']['namespace']}.svc" in args.allowed_hosts.split(",")


def test_shipped_roles_and_tokens_secret_load():
    cm = _docs(DEPLOY / "base" / "configmap-roles.yaml")[0]
    roles = yaml.safe_load(cm["data"]["roles.yaml"])
    shipped = yaml.safe_load((ROOT / "servers" / "sre_mcp" / "config" / "roles.yaml").read_text())
    assert roles["roles"] == shipped["roles"]  # the same roles as the shipped file: no drift
    secret = _docs(DEPLOY / "base" / "secret-auth.yaml")[0]
    assert yaml.safe_load(secret["stringData"]["tokens.yaml"]) == []  # never a token (or a sample one) in the repo


def test_bindings_from_the_configmap_resolve(tmp_path):
    from sre_mcp.security.identity import load_bindings

    cm = _docs(DEPLOY / "base" / "configmap-roles.yaml")[0]
    f = tmp_path / "roles.yaml"
    f.write_text(cm["data"]["roles.yaml"])
    b = load_bindings(f)
    assert b.role_for("x", ("sre-oncall",)).name == "operator"
    assert b.role_for("x", ("sre-leads", "sre-oncall")).name == "operator"  # the first listed group wins
    assert b.role_for("x", ()).name == "viewer"


def test_container_recipe():
    text = (ROOT / "Dockerfile").read_text()
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert len(stages) >= 2  # multi-stage
    assert "torch==2.13.0" in text and "download.pytorch.org/whl/cpu" in text
    assert "HF_HUB_OFFLINE=1" in text and "get_model_path" in text  # the model is baked in and loaded offline
    user = [line for line in text.splitlines() if line.startswith("USER ")]
    assert user and user[-1].split()[1].split(":")[0] not in ("root", "0")
    entry = next(line for line in text.splitlines() if line.startswith("ENTRYPOINT"))
    assert "sre-mcp-server" in entry
    cmd = next(line for line in text.splitlines() if line.startswith("CMD"))
    from sre_mcp.cli import _serve_parser

    _serve_parser().parse_args(yaml.safe_load(cmd[4:]))
    assert shlex.split("docker build -t sre-mcp-server:0.1.0 .")[0] in (ROOT / "docs" / "team.md").read_text()
