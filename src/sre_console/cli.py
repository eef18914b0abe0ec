"""`sre-console`: the TUI by default; `investigate`, `prompt`, `prompts`, `tools`, `eval` headless.

Every command talks to the same MCP server through the same host, and the headless
commands run the same investigation loop as the chat pane.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from sre_console import __version__

# Options passed straight through to sre-mcp-server.
_SERVER_FLAGS = {
    "scenario": "--scenario", "kubeconfig": "--kubeconfig", "context": "--context", "namespaces": "--namespaces",
    "logs_db": "--logs-db", "clickhouse_url": "--clickhouse-url", "prometheus_url": "--prometheus-url",
    "audit_log": "--audit-log", "role": "--role", "roles_file": "--roles-file", "chroma_dir": "--chroma-dir",
    "chroma_url": "--chroma-url",
}
_SERVER_SWITCHES = {"allow_writes": "--allow-writes", "no_rag": "--no-rag", "in_cluster": "--in-cluster"}


def _add_backend_options(p: argparse.ArgumentParser, sub: bool = True) -> None:
    """The server options. Every command takes them, before or after its name: a
    subcommand's copy has no default (SUPPRESS), so it never overwrites what was
    given before the subcommand (`sre-console --scenario X investigate svc`)."""
    g = p.add_argument_group("server backends (passed to sre-mcp-server)")
    if sub:
        g.argument_default = argparse.SUPPRESS
    g.add_argument("--scenario", help="fixture scenario name or folder (demo mode)")
    g.add_argument("--kubeconfig", help="a real cluster (read-only unless --allow-writes)")
    g.add_argument("--context", help="kubeconfig context")
    g.add_argument("--in-cluster", action="store_true")
    g.add_argument("--namespaces", help="extra allowed namespaces, comma-separated")
    g.add_argument("--logs-db", help="embedded ClickHouse data dir")
    g.add_argument("--clickhouse-url")
    g.add_argument("--prometheus-url")
    g.add_argument("--audit-log")
    g.add_argument("--allow-writes", action="store_true", help="offer write tools (each needs your approval)")
    g.add_argument("--role", help="viewer | operator | admin (see the roles file)")
    g.add_argument("--roles-file")
    g.add_argument("--no-rag", action="store_true", help="keyword runbook search only")
    g.add_argument("--chroma-dir")
    g.add_argument("--chroma-url")
    g.add_argument("--servers", type=Path, help="extra MCP servers (Claude Desktop mcpServers JSON/YAML)")
    g.add_argument("--server-url", help="use a team sre-mcp-server over HTTP (http(s)://host:port/mcp) instead of a local one")
    g.add_argument("--token-file", help="file holding the bearer token for --server-url (never put a token on the command line)")


def server_args(ns: argparse.Namespace) -> list[str]:
    out: list[str] = []
    for attr, flag in _SERVER_FLAGS.items():
        value = getattr(ns, attr, None)
        if value:
            out += [flag, str(value)]
    for attr, flag in _SERVER_SWITCHES.items():
        if getattr(ns, attr, False):
            out.append(flag)
    if getattr(ns, "server_url", None):
        # A team server: its own configuration decides the backends; only how to reach it here.
        out = ["--server-url", ns.server_url] + (["--token-file", ns.token_file] if getattr(ns, "token_file", None) else [])
        return out
    if getattr(ns, "demo", False) and not getattr(ns, "scenario", None):
        out += ["--scenario", "payments-incident"]
    return out


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sre-console", description="The on-call terminal: live panes and Claude-driven investigations over MCP.")
    p.add_argument("--version", action="version", version=f"sre-console {__version__}")
    sub = p.add_subparsers(dest="command")

    tui = sub.add_parser("ui", help="open the console (the default)", argument_default=argparse.SUPPRESS)
    for target, is_sub in ((p, False), (tui, True)):
        kw = {"default": argparse.SUPPRESS} if is_sub else {}
        target.add_argument("--demo", action="store_true", help="offline demo on the reference incident (no key, no cluster)", **kw)
        target.add_argument("--theme", help="theme name", **kw)
        target.add_argument("--refresh", type=float, help="auto-refresh interval in seconds (0 = off)", **kw)
        _add_backend_options(target, sub=is_sub)

    inv = sub.add_parser("investigate", help="investigate a service headless and print the report")
    inv.add_argument("service")
    inv.add_argument("--symptoms")
    _add_run_options(inv)

    pr = sub.add_parser("prompt", help="run any prompt headless: sre-console prompt trace-transaction trace_id=tx-abc123")
    pr.add_argument("name")
    pr.add_argument("arguments", nargs="*", help="key=value")
    _add_run_options(pr)

    ask = sub.add_parser("ask", help="a free-text question, investigated headless")
    ask.add_argument("question")
    _add_run_options(ask)

    lp = sub.add_parser("prompts", help="list the prompts the servers offer")
    _add_backend_options(lp)
    lt = sub.add_parser("tools", help="list the tools the servers offer")
    _add_backend_options(lt)

    ev = sub.add_parser("eval", help="score investigations on every scenario (no LLM judge)")
    ev.add_argument("--scenarios", help="comma-separated scenario names or folders (default: all shipped)")
    ev.add_argument("--difficulty", choices=["easy", "medium", "hard"])
    ev.add_argument("--iterations", type=int, default=1)
    ev.add_argument("--model", help="use Claude with this model id (needs ANTHROPIC_API_KEY); default: offline investigator")
    ev.add_argument("--format", choices=["markdown", "json"], default="markdown")
    ev.add_argument("--min-pass", type=float, default=0.0, help="exit 1 when the pass rate is below this (0..1)")
    _add_backend_options(ev)  # eval picks the scenarios itself; --audit-log, --role ... apply to every run
    ev.add_argument("--min-blind", type=float, default=0.0, help="exit 1 when the blind scenarios' pass rate is below this (0..1)")
    ev.add_argument("--min-rest", type=float, default=0.0, help="exit 1 when the other scenarios' pass rate is below this (0..1)")
    ev.add_argument("--no-cases", action="store_true", help="skip the unknown-service, typo, free-text and failing-tools cases")
    return p


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--offline", action="store_true", help="use the deterministic offline investigator (default without ANTHROPIC_API_KEY)")
    p.add_argument("--model", help="Claude model id (default: $SRE_MODEL or the built-in default)")
    p.add_argument("--format", choices=["markdown", "json"], default="markdown")
    p.add_argument("--yes", action="store_true", help="approve write actions without asking (dangerous)")
    p.add_argument("--max-steps", type=int, default=None)
    _add_backend_options(p)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ns = _parser().parse_args(argv)
    cmd = ns.command or "ui"
    problem = _check_scenario(getattr(ns, "scenario", None))
    if problem:
        print(f"sre-console: {problem}", file=sys.stderr)
        return 2
    try:
        if cmd == "ui":
            args = server_args(ns)
            prespawned = _prespawn(args)
            from sre_console.app import run_app  # imports Textual and the MCP SDK while the server starts

            try:
                return run_app(args, servers_config=ns.servers, refresh_interval=ns.refresh, theme=ns.theme, prespawned=prespawned)
            finally:
                if prespawned is not None and prespawned.proc.poll() is None:
                    prespawned.proc.kill()
        if cmd in ("investigate", "prompt", "ask"):
            return _run_headless(cmd, ns)
        if cmd in ("prompts", "tools"):
            return asyncio.run(_list(cmd, ns))
        if cmd == "eval":
            from sre_console.evaluate import main as eval_main

            if ns.scenario or ns.kubeconfig or ns.in_cluster:
                print("sre-console: eval runs the fixture scenarios with answers: choose them with "
                      "--scenarios NAME[,NAME] (not --scenario, --kubeconfig or --in-cluster)", file=sys.stderr)
                return 2
            ns.server_args = server_args(ns)

            return eval_main(ns)
    except KeyboardInterrupt:
        return 130
    return 2


def _check_scenario(scenario: str | None) -> str | None:
    """A scenario that cannot load is the user's typo: say so now, not as a server that keeps restarting."""
    if not scenario:
        return None
    from sre_console.scenarios import check

    return check(scenario)


def _prespawn(args: list[str]):
    """Start our server now, so its start-up overlaps the console's own imports (in the
    starting kube context, with its `contexts:` rules: the same arguments run_app builds)."""
    from sre_console.contexts import KubeContexts
    from sre_console.host.config import builtin_server
    from sre_console.host.prespawn import Prespawned
    from sre_console.settings import Settings, config_dir

    try:
        args = KubeContexts.from_server_args(args, Settings.load().contexts, server_yaml=config_dir() / "server.yaml").start_args()
        spec = builtin_server(args)
        if spec.url:
            return None  # a team server: nothing to start here
        return Prespawned(spec)
    except (OSError, ValueError):
        return None  # the host spawns it the normal way and reports any failure


def _run_headless(cmd: str, ns: argparse.Namespace) -> int:
    from sre_console.headless import run_investigation

    if not ns.scenario and not ns.kubeconfig and not ns.in_cluster:
        ns.demo = True
    prompt_name, prompt_args, free_text = None, {}, None
    if cmd == "investigate":
        prompt_name = "investigate-service"
        prompt_args = {"service": ns.service, **({"symptoms": ns.symptoms} if ns.symptoms else {})}
    elif cmd == "prompt":
        prompt_name = ns.name
        for item in ns.arguments:
            if "=" not in item:
                print(f"sre-console: prompt arguments are key=value, got {item!r}", file=sys.stderr)
                return 2
            key, value = item.split("=", 1)
            prompt_args[key] = value
    else:
        free_text = ns.question
    return asyncio.run(
        run_investigation(
            prompt_name,
            prompt_args,
            free_text,
            offline=ns.offline,
            server_args=server_args(ns),
            model=ns.model,
            fmt=ns.format,
            approve_all=ns.yes,
            max_steps=ns.max_steps,
            servers_config=ns.servers,
        )
    )


async def _list(cmd: str, ns: argparse.Namespace) -> int:
    from sre_console.host import build_host
    from sre_console.host.config import ConfigError

    if not ns.scenario and not ns.kubeconfig and not ns.in_cluster:
        ns.demo = True
    try:
        host = build_host(server_args(ns), servers_config=ns.servers)
    except ConfigError as exc:
        print(f"sre-console: {exc}", file=sys.stderr)
        return 2
    await host.start()
    try:
        if cmd == "tools":
            for t in sorted(host.tools(), key=lambda t: t.name):
                badge = "read-only" if t.read_only else ("DESTRUCTIVE" if t.destructive else "write")
                print(f"{t.name:28} [{t.server}] {badge:11} {t.description.splitlines()[0] if t.description else ''}")
        else:
            for prompt in await host.list_prompts():
                args = " ".join(f"{a['name']}=…" if a["required"] else f"[{a['name']}=…]" for a in prompt.arguments)
                print(f"{prompt.name:22} {args:36} {prompt.description}")
        down = {n: s for n, s in host.status().items() if s != "ready"}
        for name, state in down.items():
            print(f"sre-console: server {name} is {state}: {host.servers[name].error}", file=sys.stderr)
        return 1 if down else 0
    finally:
        await host.stop()


if __name__ == "__main__":
    raise SystemExit(main())
