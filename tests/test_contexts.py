"""Kube contexts without the UI: the kubeconfig as the console reads it, the skin per
context, the server's arguments in a context, and the host restarting our server in one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from sre_console.contexts import (
    PROD_THEME,
    ContextError,
    KubeContext,
    KubeContexts,
    args_for,
    parse_rules,
    read_contexts,
    server_kubeconfig,
    skin_for,
)
from sre_console.host.config import BUILTIN, builtin_server
from sre_console.host.host import McpHost
from sre_console.server_facts import Tool

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "servers" / "sre_mcp" / "scenarios"


def kubeconfig(path: Path, contexts: list[tuple[str, str, str | None]], current: str | None,
               clusters: dict[str, str] | None = None) -> Path:
    """A kubeconfig with (context, cluster, namespace) entries."""
    names = sorted({c for _, c, _ in contexts})
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", **({"current-context": current} if current else {}),
        "clusters": [{"name": c, "cluster": {"server": (clusters or {}).get(c, f"https://{c}.example:6443")}} for c in names],
        "users": [{"name": "me", "user": {"token": "t"}}],
        "contexts": [{"name": n, "context": {"cluster": c, "user": "me", **({"namespace": ns} if ns else {})}}
                     for n, c, ns in contexts],
    }))
    return path


THREE = [("staging", "staging-eu", "payments"), ("prod-eu-1", "eu-west", "payments"), ("dev", "kind-dev", None)]


def test_contexts_are_read_from_the_kubeconfig_with_cluster_namespace_and_current(tmp_path):
    found, current = read_contexts([kubeconfig(tmp_path / "kc", THREE, "staging")])
    assert current == "staging"
    assert [c.name for c in found] == ["staging", "prod-eu-1", "dev"]  # file order, as kubectl lists them
    prod = found[1]
    assert (prod.cluster, prod.namespace, prod.user, prod.server) == ("eu-west", "payments", "me", "https://eu-west.example:6443")
    assert found[2].namespace is None


def test_a_path_list_merges_like_kubectl_first_file_wins(tmp_path):
    a = kubeconfig(tmp_path / "a", [("staging", "one", "a-ns")], "staging")
    b = kubeconfig(tmp_path / "b", [("staging", "two", "b-ns"), ("prod", "p", None)], "prod")
    found, current = read_contexts([a, tmp_path / "missing", b])
    assert current == "staging"
    assert [(c.name, c.cluster) for c in found] == [("staging", "one"), ("prod", "p")]


def test_an_unreadable_or_missing_kubeconfig_is_a_sentence(tmp_path):
    broken = tmp_path / "kc"
    broken.write_text("contexts: [\n")
    with pytest.raises(ContextError, match="cannot read the kubeconfig"):
        read_contexts([broken])
    with pytest.raises(ContextError, match="no kubeconfig at"):
        read_contexts([tmp_path / "nope"])


def test_prod_by_name_or_cluster_gets_the_red_skin_unless_configured_otherwise():
    staging = KubeContext("staging", "staging-eu", namespace="payments")
    by_name = KubeContext("prod-eu-1", "eu-west")
    by_cluster = KubeContext("eu-1", "production-eu")
    assert skin_for(staging, []).theme is None and not skin_for(staging, []).prod
    assert skin_for(by_name, []).theme == PROD_THEME and skin_for(by_name, []).prod
    assert skin_for(by_cluster, []).theme == PROD_THEME
    rules, problems = parse_rules({"prod-eu-1": {"prod": False}, "*prod*": {"readonly": True},
                                   "staging": {"theme": "sre-light", "namespace": "checkout"}})
    assert not problems
    opted_out = skin_for(by_name, rules)  # exact name beats the glob for `prod`; the glob still adds readonly
    assert (opted_out.prod, opted_out.theme, opted_out.readonly) == (False, None, True)
    assert opted_out.rules == ("prod-eu-1", "*prod*")
    assert skin_for(by_cluster, rules).readonly  # a glob matches the cluster's name too
    custom = skin_for(staging, rules)
    assert (custom.theme, custom.namespace, custom.prod) == ("sre-light", "checkout", False)


def test_broken_context_settings_are_ignored_with_a_reason():
    rules, problems = parse_rules({"a": {"theme": 3}, "b": "sre-prod", "c": {"colour": "red"}, "d": {"namespace": "Bad_NS"},
                                   "e": {"readonly": True}})
    assert [r.pattern for r in rules] == ["e"]
    assert len(problems) == 4
    assert "theme must be str" in problems[0] and "expected a mapping" in problems[1]
    assert "unknown setting colour" in problems[2] and "not a Kubernetes namespace" in problems[3]
    assert parse_rules(["x"])[1] and parse_rules(None) == ([], [])


def test_the_servers_arguments_in_a_context():
    base = ["--kubeconfig", "/k", "--context", "staging", "--allow-writes", "--namespaces", "a,b", "--no-rag"]
    prod = skin_for(KubeContext("prod-eu-1", "eu"), parse_rules({"*prod*": {"readonly": True, "namespace": "pay"}})[0])
    args = args_for(base, KubeContext("prod-eu-1", "eu"), prod)
    assert args.count("--context") == 1 and args[args.index("--context") + 1] == "prod-eu-1"
    assert "--allow-writes" not in args  # read-only context
    assert args[args.index("--namespaces") + 1] == "a,b,pay"
    assert args[:2] == ["--kubeconfig", "/k"] and "--no-rag" in args
    back = args_for(base, KubeContext("staging", "s"), skin_for(KubeContext("staging", "s"), []))
    assert "--allow-writes" in back and back[back.index("--namespaces") + 1] == "a,b"  # the user's own again


def test_a_bad_name_gets_did_you_mean_and_the_contexts(tmp_path):
    kc = kubeconfig(tmp_path / "kc", THREE, "staging")
    kube = KubeContexts.from_server_args(["--kubeconfig", str(kc)], env={})
    assert kube.current == "staging"  # the kubeconfig's current context
    with pytest.raises(ContextError, match=r"did you mean prod-eu-1\?") as typo:
        kube.plan("prod-eu1")
    assert "contexts: staging, prod-eu-1, dev" in str(typo.value)
    with pytest.raises(ContextError, match="did you mean prod-eu-1"):
        kube.plan("prod")  # never a guess on prod: a part of the name is a suggestion, not a switch
    with pytest.raises(ContextError) as nothing_close:
        kube.plan("qa")
    assert "did you mean" not in str(nothing_close.value) and "contexts: staging" in str(nothing_close.value)
    plan = kube.plan("prod-eu-1")
    assert plan.skin.theme == PROD_THEME and plan.server_args[-2:] == ["--context", "prod-eu-1"]
    assert kube.current == "staging"  # planning changes nothing


def test_start_args_apply_the_current_contexts_rules(tmp_path):
    kc = kubeconfig(tmp_path / "kc", THREE, "prod-eu-1")
    kube = KubeContexts.from_server_args(["--kubeconfig", str(kc), "--allow-writes"], {"*prod*": {"readonly": True}}, env={})
    assert kube.start_args() == ["--kubeconfig", str(kc), "--context", "prod-eu-1"]
    assert kube.base_args == ["--kubeconfig", str(kc), "--allow-writes"]  # kept: staging gets its writes back
    assert "--allow-writes" in kube.plan("staging").server_args


def test_where_the_kubeconfig_comes_from(tmp_path):
    assert "demo scenario 'payments-incident'" in server_kubeconfig(["--scenario", "/x/payments-incident"], env={})[1]
    assert "--in-cluster" in server_kubeconfig(["--in-cluster"], env={})[1]
    assert "team server" in server_kubeconfig(["--server-url", "https://x/mcp"], env={})[1]
    assert server_kubeconfig(["--kubeconfig", "/a"], env={"SRE_KUBECONFIG": "/b"}) == ("/a", None)
    assert server_kubeconfig([], env={"SRE_KUBECONFIG": "/b"}) == ("/b", None)  # what the server reads too
    server_yaml = tmp_path / "server.yaml"
    server_yaml.write_text("kubeconfig: /c\n")
    assert server_kubeconfig([], env={}, server_yaml=server_yaml) == ("/c", None)
    kube = KubeContexts.from_server_args(["--scenario", "payments-incident"], env={})
    assert not kube.available
    with pytest.raises(ContextError, match="no kubeconfig"):
        kube.contexts()


async def test_the_host_respawns_our_server_with_new_arguments():
    """What `:ctx` relies on: the same server restarted with other arguments, at once, and
    calls after the switch answered by the new process only."""
    host = McpHost([builtin_server(["--scenario", str(SCENARIOS / "payments-incident"), "--no-rag"])])
    events: list[tuple[str, str | None]] = []
    host.subscribe(lambda e: events.append((e.state, e.message)) if e.kind == "server" else None)
    await host.start()
    try:
        before = await host.call_tool(Tool.LIST_SERVICES, {})
        assert before.ok
        conn = host.servers[BUILTIN]
        generation = conn._generation
        host.respawn(BUILTIN, builtin_server(["--scenario", str(SCENARIOS / "checkout-latency"), "--no-rag"]), "switching to context x")
        assert conn.client is None  # nobody reaches the old process any more
        after = await host.call_tool(Tool.LIST_SERVICES, {})  # waits for the new one
        assert after.ok and after.payload() != before.payload()
        assert conn._generation == generation + 1 and "checkout-latency" in " ".join(conn.spec.args)
        assert ("restarting", "switching to context x") in events and events[-1][0] == "ready"
        assert "down" not in [s for s, _ in events]  # asked for: no backoff, no "down"
        with pytest.raises(KeyError):
            host.respawn("nope", builtin_server([]), "")
    finally:
        await host.stop()


def test_the_cli_prespawns_with_the_arguments_the_app_starts_in_the_context(tmp_path, monkeypatch):
    """The CLI starts our server before Textual loads; the host adopts it only when the
    arguments match: both apply the starting context's rules the same way."""
    from sre_console import cli
    from sre_console.app import context_start
    from sre_console.host.build import build_host
    from sre_console.settings import Settings

    kc = kubeconfig(tmp_path / "kc", THREE, "prod-eu-1")
    (tmp_path / "config.yaml").write_text("contexts:\n  '*prod*': {readonly: true}\n")
    monkeypatch.setenv("SRE_CONFIG_DIR", str(tmp_path))
    args = ["--kubeconfig", str(kc), "--allow-writes", "--no-rag"]
    pre = cli._prespawn(args)
    try:
        assert pre is not None
        kube, start = context_start(args, Settings.load())
        host = build_host(start, prespawned=pre)
        assert host.servers[BUILTIN].prespawned is pre  # adopted: the same arguments
        assert "--allow-writes" not in pre.spec.args and pre.spec.args[-2:] == ["--context", "prod-eu-1"]
        assert kube.current == "prod-eu-1" and "--allow-writes" in kube.plan("staging").server_args
    finally:
        pre.proc.kill()
        pre.proc.wait()
        os.close(pre.stderr_read)
