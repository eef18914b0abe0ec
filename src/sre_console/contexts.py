"""Kube contexts: what `:ctx` lists and switches to, and the skin each context gets.

Headless (no Textual): the app asks this module which contexts the kubeconfig holds, what
switching to one means (the server's new arguments, theme, namespace, read-only) and
turns the answer into a restart of the built-in server and a repaint.

The console reads the kubeconfig itself, the same file the server is given
(`--kubeconfig`, else `SRE_KUBECONFIG`, else `kubeconfig:` in the server's `server.yaml`),
so listing needs no server round-trip and works while the server is down.

Per-context settings live in the console's `config.yaml`:

```yaml
contexts:
  prod-eu-1: {namespace: payments}          # an exact context name ...
  "*prod*": {theme: sre-prod, readonly: true}   # ... or a glob over the context's (or its cluster's) name
  prod-sandbox: {prod: false}               # not production after all: no red skin
```
Keys: `theme` (a theme name), `namespace` (where the panes open; also allowed on the
server), `readonly` (the server runs without `--allow-writes` in this context), `prod`
(override the name-based guess). With no setting, a context whose name or cluster
matches `*prod*` is production: the red `sre-prod` skin and the alert colour in the
status bar. An exact name beats a glob; globs apply in file order; settings merge per key.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Mapping

import yaml

PROD_THEME = "sre-prod"
PROD_GLOB = "*prod*"
RULE_KEYS = {"theme": str, "namespace": str, "readonly": bool, "prod": bool}
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class ContextError(ValueError):
    """A sentence for the user (an unknown context, an unreadable kubeconfig); nothing changed."""


@dataclass(frozen=True)
class KubeContext:
    name: str
    cluster: str = ""
    user: str = ""
    namespace: str | None = None  # the context's default namespace
    server: str | None = None  # the cluster's API server URL, when the kubeconfig names it


@dataclass(frozen=True)
class Skin:
    """What a context looks like and how the console treats it."""

    theme: str | None  # None: the user's own theme
    namespace: str | None  # where the panes open (config, else the context's default)
    readonly: bool
    prod: bool
    rules: tuple[str, ...] = ()  # the config keys that matched, for the picker


@dataclass(frozen=True)
class Rule:
    pattern: str
    settings: Mapping[str, Any]


@dataclass
class Switch:
    """Switching to one context: everything the app applies, decided before anything changes."""

    context: KubeContext
    skin: Skin
    server_args: list[str]


# the kubeconfig ---------------------------------------------------------------------

def kubeconfig_paths(explicit: str | Path | None, env: Mapping[str, str] = os.environ) -> list[Path]:
    """The files a kubeconfig is read from, as kubectl reads them: the one named, else
    `$KUBECONFIG` (a path list), else ~/.kube/config."""
    if explicit:
        return [Path(explicit).expanduser()]
    if env.get("KUBECONFIG"):
        return [Path(p).expanduser() for p in env["KUBECONFIG"].split(os.pathsep) if p]
    return [Path("~/.kube/config").expanduser()]


def read_contexts(paths: list[Path]) -> tuple[list[KubeContext], str | None]:
    """Every context of the kubeconfig file(s) in file order, and the current context.

    Merged the way kubectl merges a path list: the first file that names a context (or
    sets `current-context`) wins. A file that does not exist is skipped; one that exists
    and cannot be read is an error (listing half a kubeconfig would mislead)."""
    contexts: dict[str, dict[str, Any]] = {}
    clusters: dict[str, dict[str, Any]] = {}
    current: str | None = None
    found = False
    for path in paths:
        if not path.is_file():
            continue
        found = True
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ContextError(f"cannot read the kubeconfig {path}: {exc}") from None
        if not isinstance(data, dict):
            raise ContextError(f"the kubeconfig {path} is not a mapping")
        current = current or (str(data["current-context"]) if data.get("current-context") else None)
        for item in data.get("contexts") or []:
            if isinstance(item, dict) and item.get("name") and str(item["name"]) not in contexts:
                contexts[str(item["name"])] = item.get("context") if isinstance(item.get("context"), dict) else {}
        for item in data.get("clusters") or []:
            if isinstance(item, dict) and item.get("name") and str(item["name"]) not in clusters:
                clusters[str(item["name"])] = item.get("cluster") if isinstance(item.get("cluster"), dict) else {}
    if not found:
        raise ContextError(f"no kubeconfig at {', '.join(map(str, paths))}")
    out = []
    for name, ctx in contexts.items():
        cluster = str(ctx.get("cluster") or "")
        out.append(KubeContext(name=name, cluster=cluster, user=str(ctx.get("user") or ""),
                               namespace=str(ctx["namespace"]) if ctx.get("namespace") else None,
                               server=(clusters.get(cluster) or {}).get("server")))
    return out, current


# per-context settings ------------------------------------------------------------------

def parse_rules(raw: Any) -> tuple[list[Rule], list[str]]:
    """`contexts:` from config.yaml → rules, and a sentence per entry that was ignored
    (a broken entry must not stop the console on call; the app shows the sentences)."""
    if raw is None:
        return [], []
    if not isinstance(raw, dict):
        return [], ["config.yaml: contexts must be a mapping of context name (or glob) → settings; ignored"]
    rules, problems = [], []
    for pattern, settings in raw.items():
        where = f"config.yaml: contexts.{pattern}"
        if not isinstance(settings, dict):
            problems.append(f"{where}: expected a mapping like {{theme: sre-prod}}; ignored")
            continue
        unknown = sorted(set(map(str, settings)) - set(RULE_KEYS))
        bad = [k for k, want in RULE_KEYS.items() if k in settings and not isinstance(settings[k], want)]
        ns = settings.get("namespace")
        if unknown:
            problems.append(f"{where}: unknown setting {', '.join(unknown)} (known: {', '.join(RULE_KEYS)}); ignored")
        elif bad:
            problems.append(f"{where}: {', '.join(f'{k} must be {RULE_KEYS[k].__name__}' for k in bad)}; ignored")
        elif isinstance(ns, str) and not _NAMESPACE.match(ns):
            problems.append(f"{where}: namespace {ns!r} is not a Kubernetes namespace name; ignored")
        else:
            rules.append(Rule(str(pattern), dict(settings)))
    return rules, problems


def is_prod(ctx: KubeContext) -> bool:
    """The default guess: the context's or its cluster's name says prod."""
    return any(fnmatchcase(name.lower(), PROD_GLOB) for name in (ctx.name, ctx.cluster) if name)


def _matches(rule: Rule, ctx: KubeContext) -> bool:
    return any(fnmatchcase(name, rule.pattern) for name in (ctx.name, ctx.cluster) if name)


def skin_for(ctx: KubeContext, rules: list[Rule]) -> Skin:
    exact = [r for r in rules if r.pattern == ctx.name]
    globs = [r for r in rules if r.pattern != ctx.name and _matches(r, ctx)]
    merged: dict[str, Any] = {}
    for rule in [*exact, *globs]:
        for key, value in rule.settings.items():
            merged.setdefault(key, value)
    prod = merged["prod"] if "prod" in merged else is_prod(ctx)
    theme = merged.get("theme") or (PROD_THEME if prod else None)
    return Skin(theme=theme, namespace=merged.get("namespace") or ctx.namespace, readonly=bool(merged.get("readonly")),
                prod=prod, rules=tuple(r.pattern for r in [*exact, *globs]))


# the server's arguments ------------------------------------------------------------------

def flag_value(args: list[str], flag: str) -> str | None:
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
    return None


def without_flag(args: list[str], flag: str, takes_value: bool = True) -> list[str]:
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a == flag:
            skip = takes_value
        elif not a.startswith(flag + "="):
            out.append(a)
    return out


def args_for(base: list[str], ctx: KubeContext, skin: Skin) -> list[str]:
    """The server's arguments in `ctx`: the user's own with `--context` replaced, without
    `--allow-writes` when the context is read-only, and a configured namespace allowed (the
    context's own default namespace the server allows anyway)."""
    args = [*without_flag(base, "--context"), "--context", ctx.name]
    if skin.readonly:
        args = without_flag(args, "--allow-writes", takes_value=False)
    if skin.namespace and skin.namespace != ctx.namespace:
        allowed = [n for n in (flag_value(args, "--namespaces") or "").split(",") if n]
        if skin.namespace not in allowed:
            args = [*without_flag(args, "--namespaces"), "--namespaces", ",".join([*allowed, skin.namespace])]
    return args


def server_kubeconfig(server_args: list[str], env: Mapping[str, str] = os.environ,
                      server_yaml: Path | None = None) -> tuple[str | None, str | None]:
    """(the kubeconfig the server is given, why there is none). The server reads a real
    cluster only when given a kubeconfig (flag, `SRE_KUBECONFIG`, or its `server.yaml`);
    otherwise it plays a scenario, is in-cluster, or is a team server over HTTP."""
    if flag_value(server_args, "--server-url"):
        return None, "the console is connected to a team server (--server-url): its own configuration picks the cluster"
    if "--in-cluster" in server_args:
        return None, "the server runs in-cluster (--in-cluster): it has a service account, not kubeconfig contexts"
    path = flag_value(server_args, "--kubeconfig") or env.get("SRE_KUBECONFIG")
    if not path and server_yaml is not None and server_yaml.is_file() and not flag_value(server_args, "--scenario"):
        try:
            data = yaml.safe_load(server_yaml.read_text(encoding="utf-8")) or {}
            path = data.get("kubeconfig") if isinstance(data, dict) else None
        except (OSError, yaml.YAMLError):
            path = None
    if path:
        return str(path), None
    scenario = flag_value(server_args, "--scenario")
    return None, (f"no kubeconfig: the console plays the demo scenario {Path(scenario).name!r}" if scenario
                  else "no kubeconfig: the console runs the demo") + " (start it with --kubeconfig PATH to switch contexts)"


@dataclass
class KubeContexts:
    """The contexts of the server's kubeconfig, the one in use, and the user's per-context rules."""

    base_args: list[str]  # the user's server arguments, before any context's rules
    kubeconfig: str | None
    unavailable: str | None  # why there are no contexts (demo, in-cluster, team server)
    rules: list[Rule] = field(default_factory=list)
    current: str | None = None  # the context the server runs in (None until known)
    problems: list[str] = field(default_factory=list)  # config entries ignored, to show the user

    @classmethod
    def from_server_args(cls, server_args: list[str], raw_rules: Any = None, env: Mapping[str, str] = os.environ,
                         server_yaml: Path | None = None) -> "KubeContexts":
        kubeconfig, why = server_kubeconfig(server_args, env, server_yaml)
        rules, problems = parse_rules(raw_rules)
        kube = cls(base_args=list(server_args), kubeconfig=kubeconfig, unavailable=why, rules=rules, problems=problems)
        if kubeconfig:
            kube.current = flag_value(server_args, "--context") or env.get("SRE_CONTEXT")
            if not kube.current:
                try:
                    kube.current = read_contexts(kubeconfig_paths(kubeconfig, env))[1]
                except ContextError:
                    kube.current = None  # the server reports the unreadable file; `:ctx` says it too
        return kube

    @property
    def available(self) -> bool:
        return self.kubeconfig is not None

    def contexts(self) -> list[KubeContext]:
        """Read now (the file may have changed since start: `kubectl config set-context`)."""
        if not self.kubeconfig:
            raise ContextError(self.unavailable or "no kubeconfig")
        found, _ = read_contexts(kubeconfig_paths(self.kubeconfig))
        return found

    def find(self, name: str) -> KubeContext:
        found = self.contexts()
        for ctx in found:
            if ctx.name == name:
                return ctx
        names = [c.name for c in found]
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        close += [n for n in names if name.lower() in n.lower() and n not in close][: 3 - len(close)]
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise ContextError(f"no context {name!r} in {self.kubeconfig}{hint} (contexts: {', '.join(names) or 'none'})")

    def current_context(self) -> KubeContext | None:
        if not self.current:
            return None
        try:
            return self.find(self.current)
        except ContextError:
            return KubeContext(name=self.current)

    def skin(self, ctx: KubeContext) -> Skin:
        return skin_for(ctx, self.rules)

    def plan(self, name: str) -> Switch:
        """What switching to `name` means; raises ContextError (did you mean …) and changes nothing."""
        ctx = self.find(name)
        skin = self.skin(ctx)
        return Switch(context=ctx, skin=skin, server_args=args_for(self.base_args, ctx, skin))

    def start_args(self) -> list[str]:
        """The server's arguments at start: the current context's rules applied (read-only,
        its namespace allowed). The user's own arguments when no context is known."""
        ctx = self.current_context()
        if ctx is None or not ctx.cluster:  # not in the kubeconfig: the server says so; change nothing
            return list(self.base_args)
        # `--context` explicit even for the kubeconfig's current one: what the console shows is
        # what the server reads, whatever `kubectl config use-context` does meanwhile.
        return args_for(self.base_args, ctx, self.skin(ctx))
