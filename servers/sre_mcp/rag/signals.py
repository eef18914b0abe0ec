"""Known trouble signals: what they look like in tool output, and what to search
the runbooks for when one shows up.

One table, read top to bottom; adding a signal is adding a row. Patterns are
matched case-insensitively against the JSON text of a tool result, so they are
written to need the failure itself, not a field name that healthy output also
carries (``"restarts": 0``, ``"MemoryPressure": "False"``, ``"evicted_keys": 0``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


_LITERAL = re.compile(r"[A-Za-z0-9 _:'\"=/-]")


def needle(pattern: str) -> str | None:
    """The longest literal run that every match of ``pattern`` must contain,
    lower-cased (None if there is no useful one). Case-insensitive regexes get no
    fast literal scan in Python's ``re``, so ``needle in text.lower()`` first makes
    scanning a large healthy result ~100x cheaper."""
    runs: list[str] = []
    cur: list[str] = []
    depth = 0
    i = 0

    def end_run() -> None:
        if cur:
            runs.append("".join(cur))
            cur.clear()

    while i < len(pattern):
        ch = pattern[i]
        nxt = pattern[i + 1] if i + 1 < len(pattern) else ""
        if ch == "\\":
            end_run()
            i += 2
            continue
        if ch == "[":  # a character class is not a literal: skip it whole
            end_run()
            i = pattern.index("]", i + 2) + 1 if "]" in pattern[i + 2 :] else len(pattern)
            continue
        if ch == "(":
            end_run()
            depth += 1
        elif ch == ")":
            end_run()
            depth -= 1
        elif depth == 0 and _LITERAL.match(ch) and not (nxt and nxt in "?*{"):
            cur.append(ch)
        else:  # metacharacter, alternation, optional char, or inside a group: not mandatory
            end_run()
            if ch == "|" and depth == 0:
                return None  # top-level alternation: no single mandatory literal
        i += 1
    end_run()
    best = max(runs, key=len, default="")
    return best.lower() if len(best.strip()) >= 3 else None


@dataclass(frozen=True)
class Signal:
    name: str
    patterns: tuple[str, ...]
    query: str  # what to ask the runbook index when this signal is present
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    checks: tuple[tuple[str | None, re.Pattern[str]], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile("|".join(f"(?:{p})" for p in self.patterns), re.I))
        object.__setattr__(self, "checks", tuple((needle(p), re.compile(p, re.I)) for p in self.patterns))


SIGNALS: tuple[Signal, ...] = (
    Signal(
        "OOMKilled",
        (r"\bOOMKill(?:ed|ing)\b", r"exit[_ ]?code\W{0,4}137\b", r"exceeded (?:its )?memory limit"),
        "container OOMKilled exit code 137 memory limit exceeded",
    ),
    Signal(
        "CrashLoopBackOff",
        (r"\bCrashLoopBackOff\b", r"back-off \S+ restarting failed container"),
        "pod CrashLoopBackOff restarting failed container",
    ),
    Signal(
        "JavaHeap",
        (r"OutOfMemoryError", r"Java heap space", r"GC overhead limit exceeded"),
        "java.lang.OutOfMemoryError Java heap space",
    ),
    Signal(
        "GCPause",
        (r"\bPause (?:Full|Young)\b", r"\bfull GC\b", r"\bGC pause", r"stop-the-world"),
        "long full GC pauses JVM heap",
    ),
    Signal(
        "ConnectionRefused",
        (r"connection refused", r"\bECONNREFUSED\b", r"ConnectException", r"reset reason: connection failure"),
        "connection refused to service no endpoints",
    ),
    Signal(
        "ConnectionPoolExhausted",
        (
            r"too many clients",
            r"remaining connection slots are reserved",
            r"Connection is not available, request timed out",
            r"(?:connection )?pool (?:is )?exhausted",
            r"QueuePool limit",
            r"too many connections",
        ),
        "database connection pool exhausted too many clients",
    ),
    Signal(
        "Timeout",
        (
            r"upstream request timeout",
            r"deadline exceeded",
            r"\btimed out\b",
            r"SocketTimeoutException",
            r"\bRead ?timeout\b",
            r"504 Gateway Time-?out",
        ),
        "upstream timeout deadline exceeded",
    ),
    Signal(
        "CircuitBreakerOpen",
        (r"circuit[ _-]?breaker\b[^\n]{0,60}?\bOPEN(?:ED)?\b", r"CallNotPermittedException", r"\bbreaker (?:is )?open"),
        "circuit breaker open upstream failing",
    ),
    Signal(
        "DiskPressure",
        (
            r"no space left on device",
            r"\bENOSPC\b",
            r"DiskPressure\W{1,6}(?:status\W{1,6})?True\b",
            r"low on resource: ephemeral-storage",
            r"disk-pressure",
            r"could not extend file",
        ),
        "node disk pressure no space left on device volume full",
    ),
    Signal(
        "MemoryPressure",
        (r"MemoryPressure\W{1,6}(?:status\W{1,6})?True\b", r"low on resource: memory", r"memory-pressure", r"\bSystemOOM\b"),
        "node memory pressure pods evicted",
    ),
    Signal(
        "Evicted",
        (r"\bEvicted\b", r"\bEvicting pod\b", r"EvictionThresholdMet"),
        "pod evicted by kubelet eviction threshold",
    ),
    Signal(
        "ImagePull",
        (r"\bImagePullBackOff\b", r"\bErrImagePull\b", r"Failed to pull image", r"manifest unknown", r"pull access denied"),
        "ImagePullBackOff ErrImagePull image pull failed",
    ),
    Signal(
        "CertificateExpired",
        (
            r"certificate (?:has )?expired",
            r"\bx509:",
            r"certificate verify failed",
            r"PKIX path",
            r"CERT_DATE_INVALID",
            r"SSLHandshakeException",
        ),
        "TLS certificate expired x509",
    ),
    Signal(
        "RedisError",
        (
            r"redis\S*\W{1,40}(?:error|refused|timeout|timed out|unavailable|exception)",
            r"JedisConnectionException",
            r"RedisConnectionException",
            r"RedisTimeoutException",
            r"OOM command not allowed",
            r"READONLY You can't write",
            r"\bcache miss(?:es)?\b",
            r"cache hit (?:rate|ratio)\W{1,20}(?:drop|fell|low)",
        ),
        "redis cache errors misses evictions connection",
    ),
    Signal(
        "ProbeFailed",
        (r"(?:Liveness|Readiness|Startup) probe failed", r"failed (?:liveness|readiness) probe", r"\"reason\":\s*\"Unhealthy\""),
        "liveness readiness probe failed",
    ),
    Signal(
        "DNS",
        (
            r"\bNXDOMAIN\b",
            r"no such host",
            r"Temporary failure in name resolution",
            r"UnknownHostException",
            r"getaddrinfo ENOTFOUND",
            r"SERVFAIL",
        ),
        "DNS resolution failure no such host NXDOMAIN",
    ),
    Signal(
        "ConsumerLag",
        (
            r"consumer[ -]lag",
            r"lagging behind",
            r"CommitFailedException",
            r"max\.poll\.interval",
            r"Revoking previously assigned partitions",
            r"has left the group",
        ),
        "kafka consumer lag growing",
    ),
    Signal(
        "RateLimited",
        (
            r"\b429 Too Many Requests\b",
            r"too many requests",
            r"rate[ -]?limit(?:ed| exceeded)",
            r"\bRateLimitError\b",
            r"quota exceeded",
            r"(?:status|code|http)\W{0,6}429\b",
        ),
        "dependency rate limiting HTTP 429 too many requests",
    ),
    Signal(
        "CPUThrottling",
        (r"cpu[ _-]?throttl(?:ed|ing)\b", r"\bthrottled (?:for )?\d{2,3}(?:\.\d+)?% of (?:cfs )?periods"),
        "container CPU throttling limits",
    ),
)

BY_NAME: dict[str, Signal] = {s.name: s for s in SIGNALS}


# A match that is only a JSON key with a zero/empty value ("evicted": 0,
# "cpu_throttling": false) is healthy output describing the absence of the signal.
_ZEROISH = re.compile(r'\w*"?\s*:\s*(?:0(?:\.0+)?|false|null|"(?:false|0|none)?"|\[\]|\{\})\s*(?:[,}\]]|$)', re.I)


def _present(sig: Signal, text: str, lower: str) -> bool:
    for lit, rx in sig.checks:
        if lit is not None and lit not in lower:
            continue
        if any(not _ZEROISH.match(text, m.end()) for m in rx.finditer(text)):
            return True
    return False


def detect_signals(text: str) -> list[str]:
    """Names of the signals present in ``text``, in table order."""
    lower = text.lower()
    return [s.name for s in SIGNALS if _present(s, text, lower)]


def query_for(names: list[str]) -> str:
    """One search query for a set of signals: their queries joined in table order,
    with repeated words dropped so one signal's vocabulary does not drown another's."""
    seen: set[str] = set()
    words: list[str] = []
    for s in SIGNALS:
        if s.name in names:
            for w in s.query.split():
                if w.lower() not in seen:
                    seen.add(w.lower())
                    words.append(w)
    return " ".join(words)
