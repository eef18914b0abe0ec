"""Evidence rules for the offline investigator: no model, no per-scenario text.

Every tool result becomes observations (a line of text, the service it came from,
a weight for how direct the evidence is). Each cause category is a set of patterns
with a strength: a termination reason on the service's own pods is direct evidence,
a timeout seen by a caller is usually a symptom. The category with the most weighted
evidence wins; the service whose own evidence carries it is the culprit; a deploy is
blamed only when it landed before the errors and its change matches them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Observation:
    text: str
    service: str | None
    weight: float
    source: str  # the tool it came from
    at: str | None = None  # ISO time when known


@dataclass(frozen=True)
class Category:
    name: str
    pattern: re.Pattern[str]
    strength: float
    mechanism: str  # how the failure works, as a phrase
    change_words: tuple[str, ...]  # words in a deploy's change that fit this kind of failure
    runbook_query: str


def _p(*alts: str) -> re.Pattern[str]:
    return re.compile("|".join(alts), re.I)


CATEGORIES: tuple[Category, ...] = (
    Category("memory-exhaustion", _p(r"OOMKilled", r"OutOfMemory", r"heap space", r"exceeded memory limit", r"GC overhead",
                                     r"heap (?:usage )?at 9\d%", r"\bexit(?:Code| code)?[ :=]*137\b", r"out of memory"),
             3.0, "memory exhaustion: the process runs out of memory and the kernel OOM-kills the container",
             ("memory", "heap", "batch", "job", "load", "cache", "buffer", "xmx", "in-memory", "all "),
             "OOMKilled OutOfMemoryError heap memory limit crash loop"),
    Category("connection-pool-exhaustion", _p(r"HikariPool", r"Connection is not available", r"connection pool", r"pool exhausted",
                                              r"too many clients", r"remaining connection slots", r"max_connections",
                                              r"JDBCConnectionException", r"could not (?:get|obtain|acquire) (?:a )?connection",
                                              r"pool.{0,20}(?:timeout|timed out|exhausted)"),
             3.0, "connection pool exhaustion: requests queue for too few database connections and time out",
             ("pool", "hikari", "connection", "datasource", "max-pool", "maximum-pool", "config"),
             "connection pool exhausted HikariPool connection is not available timeout"),
    Category("disk-full", _p(r"no space left on device", r"\bENOSPC\b", r"disk (?:is )?full", r"database or disk is full",
                             r"could not extend file", r"KafkaStorageException", r"\bvolume\b.{0,40}\b(?:9\d|100)(?:\.\d+)?% full",
                             r"not enough (?:disk )?space", r"insufficient disk space", r"\bdisk quota exceeded\b"),
             3.5, "a full volume: the disk the process writes to has no space left, so its writes fail (ENOSPC) and it stops "
                  "accepting or serving data",
             ("retention", "disk", "storage", "volume", "log", "size", "pvc", "compaction", "cleanup"),
             "disk full no space left on device volume PVC expand retention"),
    Category("resource-pressure-eviction", _p(r"(?-i:\bEvicted\b)", r"low on resource",
                                              r"MemoryPressure", r"DiskPressure",
                                              r"ephemeral-storage", r"ephemeral storage", r"FreeDiskSpaceFailed", r"\bEvictionThresholdMet\b",
                                              r"node.{0,30}pressure"),
             3.0, "node resource pressure: the kubelet evicts pods from a node short of memory or disk",
             ("log", "disk", "storage", "volume", "memory", "cache", "verbose", "debug"),
             "node pressure pod evicted ephemeral storage disk memory eviction"),
    Category("node-failure", _p(r"(?-i:NodeNotReady)", r"(?-i:NodeStatusUnknown)", r"stopped posting node status",
                                r"\bnode\b.{0,60}\bnot ready\b", r"node\.kubernetes\.io/(?:unreachable|not-ready)",
                                r"(?-i:TaintManagerEviction)", r"(?-i:NodeLost)", r"\bnode\b.{0,40}\bunreachable\b",
                                r"^(?:node \S+: )?(?-i:NotReady|Unknown): "),
             3.5, "a node failure: the node stopped reporting (NotReady/Unknown), so its pods are lost or stuck terminating, "
                  "their replacements wait to be scheduled, and the remaining pods carry all the load",
             ("node", "kubelet", "kernel", "drain", "upgrade", "containerd"),
             "node NotReady kubelet stopped posting node status pods unknown terminating"),
    Category("autoscaler-blind", _p(r"(?-i:FailedGetResourceMetric|FailedGetExternalMetric|FailedGetPodsMetric|FailedComputeMetricsReplicas)",
                                    r"unable to (?:get|fetch|compute) (?:the )?(?:metrics|replica count)", r"metrics\.k8s\.io",
                                    r"resource metrics API", r"scaling inactive", r"ScalingActive(?:=| )False"),
             3.0, "a blind autoscaler: the HPA cannot read the metrics it scales on, so it holds the replica count while load "
                  "grows and the pods saturate",
             ("hpa", "autoscal", "metrics", "cert", "tls", "adapter"),
             "HPA FailedGetResourceMetric metrics-server unavailable autoscaler not scaling"),
    Category("certificate-expiry", _p(r"x509", r"certificate (?:has )?expired", r"certificate.{0,40}expired", r"CERT_HAS_EXPIRED",
                                      r"SSLHandshakeException", r"tls: .{0,40}(?:expired|bad certificate)", r"certificate is not valid"),
             4.0, "an expired TLS certificate: handshakes fail so every call over that connection is refused",
             ("cert", "tls", "ssl", "secret", "rotation"),
             "TLS certificate expired x509 renewal"),
    Category("bad-image", _p(r"ImagePullBackOff", r"ErrImagePull", r"manifest unknown", r"pull access denied", r"Failed to pull image"),
             4.0, "a bad image reference: the new pods cannot pull their image and never start",
             ("image", "tag", "registry", "version", "build"),
             "ImagePullBackOff ErrImagePull image tag registry"),
    Category("dns-failure", _p(r"no such host", r"NXDOMAIN", r"name resolution", r"UnknownHostException", r"could not resolve",
                               r"SERVFAIL", r"getaddrinfo", r"server misbehaving",
                               r"lookup \S+ on [\d.]+:53", r":53: i/o timeout"),
             3.0, "DNS resolution failure: the service cannot resolve its dependencies' names",
             ("dns", "resolv", "host", "coredns", "ndots", "domain"),
             "DNS resolution failure no such host coredns"),
    Category("consumer-lag", _p(r"consumer lag", r"\blag\b.{0,30}\d", r"rebalanc", r"offsets? behind", r"max\.poll", r"backlog"),
             2.0, "consumer lag: consumers fall behind the topic and the backlog grows",
             ("consumer", "kafka", "partition", "batch", "poll", "topic"),
             "kafka consumer lag rebalance backlog"),
    Category("cache-eviction", _p(r"evicted keys", r"maxmemory", r"OOM command not allowed", r"cache (?:miss|eviction)", r"evicted_keys"),
             1.5, "cache eviction: the cache drops keys under memory pressure and requests fall through to slower paths",
             ("cache", "redis", "ttl", "eviction", "key"),
             "redis cache eviction maxmemory cache miss"),
    Category("cpu-throttling", _p(r"CPUThrottling", r"throttl", r"cpu.{0,20}(?:limit|saturat)"),
             2.0, "CPU throttling: the containers hit their CPU limit and every request slows down",
             ("cpu", "thread", "limit", "worker", "concurrency"),
             "CPU throttling limits latency"),
    Category("config-error", _p(r"invalid configuration", r"missing required", r"CreateContainerConfigError", r"unknown property",
                                r"configuration error", r"failed to parse config",
                                r"(?:environment variable|env var)\w* \S+ (?:is )?(?:not set|unset|missing|empty|required)",
                                r"required (?:environment variable|env var|setting|config(?:uration)? (?:key|value|option))\w* \S+ (?:is )?(?:not set|missing)",
                                r"(?:no|missing) (?:value|setting) for (?:required )?(?:key|option|property)"),
             2.5, "a configuration error: the service starts with settings it cannot work with",
             ("config", "configmap", "setting", "env", "flag"),
             "configuration error rollback config"),
    Category("probe-misconfiguration", _p(r"Liveness probe failed", r"Readiness probe failed", r"probe failed"),
             0.6, "failing health probes: the kubelet restarts or unroutes pods whose probes fail",
             ("probe", "liveness", "readiness", "health", "timeout"),
             "liveness readiness probe failures restarts"),
    Category("upstream-saturation", _p(r"upstream", r"circuit breaker", r"timed? ?out", r"deadline exceeded", r"\b429\b",
                                       r"Too Many Requests", r"rate limit", r"\b503\b", r"connection refused", r"timeout"),
             1.0, "upstream saturation: a dependency answers too slowly or refuses calls, so requests time out and circuit breakers open",
             ("timeout", "retry", "client", "upstream", "traffic", "concurrency"),
             "upstream timeouts circuit breaker open dependency saturation"),
)
BY_NAME = {c.name: c for c in CATEGORIES}
_SVC_HOST = re.compile(r"\b([a-z][a-z0-9-]*)\.([a-z][a-z0-9-]*)\.svc\b")
_HYPHEN_NAME = re.compile(r"\b([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\b")
_IDENT = re.compile(r"\b([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+|[a-z]+_[a-z_]+|[a-z]+(?:\.[a-z]+){2,})\b")
_WRITE = re.compile(r"(?:write|writing|append|flush)\w*\s+(/[^\s:;,]+)|(/[^\s:;,]+)[:\s]+no space left", re.I)
_RESOLVER = re.compile(r"dns|resolv", re.I)
_METRICS_SERVER = re.compile(r"metrics-server|prometheus-adapter|metrics-adapter|keda-operator-metrics", re.I)
_STOP = {"the", "and", "for", "with", "from", "into", "that", "this", "when", "after", "before", "only", "all", "new", "add",
         "added", "adds", "fix", "fixes", "update", "updated", "per", "pod", "pods", "since", "last", "run"}


@dataclass
class Diagnosis:
    category: Category | None
    score: float
    culprit: str | None  # the service whose own evidence carries the cause
    evidence: list[Observation] = field(default_factory=list)  # strongest first
    scores: dict[str, float] = field(default_factory=dict)
    upstream: str | None = None  # the dependency the errors name (timeouts, a bad certificate)
    upstream_ns: str | None = None  # its namespace, when a cluster host name (x.ns.svc) gives it
    component: str | None = None  # a code component named in both the errors and a change
    deploy: dict[str, Any] | None = None  # the blamed deploy
    ruled_out_deploys: list[dict[str, Any]] = field(default_factory=list)
    writer: Observation | None = None  # disk pressure: the line naming what writes to the full disk


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def diagnose(observations: list[Observation], deploys: dict[str, list[dict[str, Any]]], unhealthy_services: set[str],
             focus: str | None = None, only_service: str | None = None, known_services: set[str] = frozenset()) -> Diagnosis:
    """The most likely cause from the observations; `only_service` restricts it to one service's evidence."""
    obs = [o for o in observations if only_service is None or o.service == only_service]
    totals: dict[str, float] = defaultdict(float)
    per_service: dict[str, dict[str | None, float]] = defaultdict(lambda: defaultdict(float))
    matched: dict[str, list[tuple[float, Observation]]] = defaultdict(list)
    for o in obs:
        for cat in CATEGORIES:
            if cat.pattern.search(o.text):
                # The service's own failing pods are the most direct evidence there is.
                w = o.weight * cat.strength * (1.5 if o.service in unhealthy_services else 1.0)
                totals[cat.name] += w
                per_service[cat.name][o.service] += w
                matched[cat.name].append((w, o))
                break  # one category per observation: the first (most specific) pattern wins
    if not totals:
        return Diagnosis(None, 0.0, focus, [], {})
    best = max(totals, key=lambda k: (totals[k], -[c.name for c in CATEGORIES].index(k)))
    cat = BY_NAME[best]
    named = {s: w for s, w in per_service[best].items() if s}
    culprit = max(named, key=named.get) if named else focus
    ev = [o for _, o in sorted(matched[best], key=lambda wo: -wo[0])]
    d = Diagnosis(cat, totals[best], culprit, ev, dict(totals))
    if best in ("upstream-saturation", "certificate-expiry", "dns-failure"):
        # The dependency the errors name: a cluster host (name.namespace.svc) or a hyphenated service name.
        hosts = Counter(m for o in ev for m in _SVC_HOST.findall(o.text))
        names = Counter(n for o in ev for n in _HYPHEN_NAME.findall(o.text)
                        if n not in (culprit, focus) and not n.startswith(("tx-", "req-")) and n in known_services)
        if hosts:
            (name, ns), _ = hosts.most_common(1)[0]
            if name not in (culprit, focus):
                d.upstream, d.upstream_ns = name, ns
        if d.upstream is None and names:
            d.upstream = names.most_common(1)[0][0]
        if d.upstream is None and best == "upstream-saturation":
            loose = Counter(n for o in ev for n in _HYPHEN_NAME.findall(o.text) if n not in (culprit, focus) and not n.startswith(("tx-", "req-")))
            d.upstream = loose.most_common(1)[0][0] if loose else None
    if best == "autoscaler-blind":
        # Every HPA reading the same metrics API goes blind at once: the paged service is the one to explain.
        if focus in named:
            d.culprit = culprit = focus
            d.evidence = [o for o in ev if o.service == focus] + [o for o in ev if o.service != focus]
        # Who serves the metrics the autoscaler reads: a metrics-server or a custom metrics adapter, by name.
        d.upstream = next((n for n in sorted(known_services) if _METRICS_SERVER.search(n)), None)
    if best == "resource-pressure-eviction":
        # Evicted pods are victims of whatever fills the node's disk: the service that logs a failed write
        # (a path, "no space left") is the writer; blame it and its changes, not the pods the kubelet chose.
        writes = [o for o in ev if _WRITE.search(o.text) and o.service]
        if writes:
            by_svc = Counter(o.service for o in writes)
            d.culprit = culprit = by_svc.most_common(1)[0][0]
            d.writer = next(o for o in writes if o.service == culprit)
    _judge_deploys(d, deploys.get(culprit or "", []))
    if d.deploy is None and best == "dns-failure":
        # Resolution is the cluster's job: a change to the resolver (its config, where it forwards) that
        # landed before the failures is the trigger, whichever service reports them.
        _judge_deploys(d, [dep for svc, deps in deploys.items() if svc != culprit and _RESOLVER.search(svc or "")
                           for dep in deps], blame_only=True)
    return d


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z0-9_.-]{3,}", text.lower()) if w not in _STOP}


def _judge_deploys(d: Diagnosis, deploys: list[dict[str, Any]], blame_only: bool = False) -> None:
    """Blame a deploy only when it came before the errors and what it changed matches them."""
    times = [t for t in (_parse_time(o.at) for o in d.evidence) if t]
    first_error = min(times) if times else None
    evidence_text = " ".join(o.text for o in d.evidence[:40])
    idents = set(_IDENT.findall(evidence_text))
    ev_words = _words(evidence_text)
    for dep in deploys:
        change = str(dep.get("change") or "")
        at = _parse_time(dep.get("at"))
        before = at is None or first_error is None or at <= first_error
        shared_idents = sorted(i for i in idents if i.lower() in change.lower())
        change_l = change.lower()
        affinity = [w for w in d.category.change_words if w in change_l] if d.category else []
        shared_words = ev_words & _words(change)
        if blame_only and not (before and affinity):
            continue
        if dep.get("status") in ("failed", "rolled_back"):
            d.ruled_out_deploys.append({**dep, "why": f"it {dep.get('status')}"})
            continue
        if before and (shared_idents or affinity or len(shared_words) >= 2):
            if d.deploy is None:
                d.deploy = dep
                d.component = shared_idents[0] if shared_idents else None
            continue
        d.ruled_out_deploys.append({**dep, "why": "it landed after the errors began" if not before else "its change does not match the errors"})
