"""Deterministic scoring of an investigation against a scenario's answer file.

No LLM judge: the report's ROOT CAUSE must fall in the answer's category and contain
one word of every keyword group, must not blame a red herring, and the investigation
must have gathered the required evidence. Trajectory length is reported against the
optimal one. Answer format: servers/sre_mcp/scenarios/README.md (answer.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# What a root cause in each category must talk about (any one suffices).
CATEGORY_TERMS: dict[str, tuple[str, ...]] = {
    "memory-exhaustion": ("memory", "heap", "oom", "outofmemory"),
    "connection-pool-exhaustion": ("connection pool", "pool", "connections", "hikari", "too many clients"),
    "resource-pressure-eviction": ("evict", "pressure", "disk", "ephemeral", "node"),
    "certificate-expiry": ("certificate", "cert", "x509", "tls"),
    "upstream-saturation": ("upstream", "saturat", "capacity", "dependency", "provider", "timeout", "throttl"),
    "cache-eviction": ("cache", "redis", "evict", "maxmemory"),
    "consumer-lag": ("lag", "consumer", "kafka", "rebalanc", "backlog"),
    "bad-image": ("image", "imagepull", "tag", "errimagepull"),
    "dns-failure": ("dns", "resolv", "nxdomain", "coredns"),
    "probe-misconfiguration": ("probe", "liveness", "readiness"),
    "cpu-throttling": ("cpu", "throttl"),
    "config-error": ("config", "configuration", "setting"),
    # A healthy control: the report must say nothing is wrong (the keyword groups say how).
    "none": ("healthy", "no fault", "not established", "none found"),
}
_NEGATION = re.compile(
    r"\b(not|no|isn'?t|wasn'?t|innocent|unrelated|red herring|ruled out|rather than|victim|symptom)\b",
    re.I,
)


@dataclass
class Score:
    scenario: str
    passed: bool
    category_ok: bool
    keywords_ok: bool
    missing_keyword_groups: list[list[str]]
    forbidden_blamed: list[str]
    evidence_ok: bool
    missing_evidence: list[str]
    steps: int
    tool_calls: int
    optimal_steps: int | None
    difficulty: str | None
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _has(text: str, term: str) -> bool:
    return term.lower() in text.lower()


def _clauses(text: str) -> list[str]:
    return [c for c in re.split(r"(?<=[.;!?])\s+|\s+(?:but|while|whereas)\s+|\n", text) if c.strip()]


# "X, causing Y" / "leading to Y": Y is an effect. "Y is caused by X": Y is an effect.
_EFFECT_BEFORE = re.compile(r"\b(causing|leading to|resulting in|so that|which (?:breaks|broke|fails|failed)|downstream|knock-on|cascad\w*)\b", re.I)
_CAUSE_AFTER = re.compile(r"\b(caused by|because of|due to|as a result of)\b", re.I)


def blamed(root_cause: str, term: str) -> bool:
    """Named as the cause: in a clause that neither excuses it ("not", "a victim") nor
    places it on the effect side ("X, causing <term> errors", "<term> fails because of X")."""
    for clause in _clauses(root_cause):
        at = clause.lower().find(term.lower())
        if at < 0 or _NEGATION.search(clause):
            continue
        if _EFFECT_BEFORE.search(clause[:at]) or _CAUSE_AFTER.search(clause[at + len(term):]):
            continue
        return True
    return False


def score(scenario: str, answer: dict[str, Any], root_cause: str, tool_calls: list[dict[str, Any]], steps: int | None = None) -> Score:
    reasons: list[str] = []
    category = str(answer.get("category", ""))
    terms = CATEGORY_TERMS.get(category, tuple(category.replace("-", " ").split()))
    category_ok = any(_has(root_cause, t) for t in terms) if terms else True
    if not category_ok:
        reasons.append(f"root cause is not about {category} (none of: {', '.join(terms)})")
    missing = [list(g) for g in answer.get("keywords") or [] if not any(_has(root_cause, str(k)) for k in g)]
    if missing:
        reasons.append("root cause lacks " + "; ".join("one of " + "/".join(g) for g in missing))
    forbidden = [str(t) for group in answer.get("forbidden") or [] for t in group if blamed(root_cause, str(t))]
    if forbidden:
        reasons.append("blames a red herring: " + ", ".join(forbidden))
    called = {c["name"] for c in tool_calls if c.get("ok", True)}
    # investigate_service gathers health, pods, describe, logs, deploys and runbooks in one call.
    if "investigate_service" in called:
        called |= {"check_service_health", "list_pods", "describe_pod", "get_pod_logs", "get_recent_deploys", "search_runbooks"}
    missing_evidence = [t for t in answer.get("evidence_tools") or [] if t not in called]
    if missing_evidence:
        reasons.append("skipped evidence: " + ", ".join(missing_evidence))
    passed = category_ok and not missing and not forbidden and not missing_evidence
    return Score(
        scenario=scenario,
        passed=passed,
        category_ok=category_ok,
        keywords_ok=not missing,
        missing_keyword_groups=missing,
        forbidden_blamed=forbidden,
        evidence_ok=not missing_evidence,
        missing_evidence=missing_evidence,
        steps=steps if steps is not None else len(tool_calls),
        tool_calls=len(tool_calls),
        optimal_steps=answer.get("optimal_steps"),
        difficulty=answer.get("difficulty"),
        reasons=reasons,
    )
