"""Secrets are masked before a tool result leaves the server, and in audit lines.

The rules are data (`redaction_rules.yaml` beside this file): each masks only the
secret part of a match, so the log line around it stays useful to the model and the
human. Structured results are walked value by value; besides the text patterns, a
dict key that names a secret (`password`, `api_key`, ...) and Kubernetes-style
`{"name": "DB_PASSWORD", "value": "..."}` pairs get their value masked whole.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

RULES_FILE = Path(__file__).resolve().parent / "redaction_rules.yaml"


def luhn_ok(number: str) -> bool:
    """A plausible card number: 13-19 digits, a card-network prefix, Luhn checksum."""
    digits = [int(c) for c in number if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


CHECKS: dict[str, Callable[[str], bool]] = {"luhn": luhn_ok}


def card_mask(text: str) -> str:
    """`4111 1111 1111 1111` → `4111 **** **** 1111`: separators stay, so the shape is recognisable."""
    n_digits = sum(c.isdigit() for c in text)
    seen, out = 0, []
    for c in text:
        if c.isdigit():
            seen += 1
            out.append(c if seen <= 4 or seen > n_digits - 4 else "*")
        else:
            out.append(c)
    return "".join(out)


@dataclass(frozen=True)
class Rule:
    kind: str
    regex: re.Pattern[str]
    secret: str | int = 0
    mask: str = "[REDACTED]"
    check: Callable[[str], bool] | None = None

    def apply(self, text: str, counts: Counter) -> str:
        def sub(m: re.Match[str]) -> str:
            secret = m.group(self.secret)
            if secret is None or (self.check is not None and not self.check(secret)):
                return m.group(0)
            counts[self.kind] += 1
            masked = card_mask(secret) if self.mask == "card" else self.mask
            start, end = m.span(self.secret)
            whole = m.group(0)
            return whole[: start - m.start()] + masked + whole[end - m.start():]

        return self.regex.sub(sub, text)


class Redactor:
    def __init__(self, rules: list[Rule], secret_keys: re.Pattern[str]):
        self.rules = rules
        self.secret_keys = secret_keys

    @classmethod
    def from_file(cls, path: Path = RULES_FILE) -> "Redactor":
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        rules = []
        for r in data["rules"]:
            check = r.get("check")
            if check is not None and check not in CHECKS:
                raise ValueError(f"{path}: rule {r['kind']}: unknown check {check!r}")
            rules.append(
                Rule(
                    kind=r["kind"],
                    regex=re.compile(r["pattern"]),
                    secret=r.get("secret", 0),
                    mask=r.get("mask", f"[REDACTED:{r['kind']}]"),
                    check=CHECKS.get(check) if check else None,
                )
            )
        return cls(rules, re.compile(data["secret_keys"]))

    def text(self, text: str, counts: Counter | None = None) -> str:
        counts = Counter() if counts is None else counts
        for rule in self.rules:
            text = rule.apply(text, counts)
        return text

    def value(self, value: Any, counts: Counter | None = None) -> Any:
        """A copy of any JSON-like value with the secrets masked; `counts` gets the kinds."""
        counts = Counter() if counts is None else counts
        if isinstance(value, str):
            return self.text(value, counts)
        if isinstance(value, list):
            return [self.value(v, counts) for v in value]
        if isinstance(value, tuple):
            return tuple(self.value(v, counts) for v in value)
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            # Kubernetes env entries: {"name": "DB_PASSWORD", "value": "hunter2"}
            env_secret = isinstance(value.get("name"), str) and bool(self.secret_keys.match(value["name"]))
            for k, v in value.items():
                key_secret = isinstance(k, str) and bool(self.secret_keys.match(k))
                if (key_secret or (env_secret and k == "value")) and isinstance(v, (str, int, float)) and not isinstance(v, bool) and v not in ("", None):
                    if isinstance(v, str) and v.startswith("[REDACTED"):
                        out[k] = v
                    else:
                        counts["password"] += 1
                        out[k] = "[REDACTED:password]"
                else:
                    out[k] = self.value(v, counts)
            return out
        return value


_DEFAULT: Redactor | None = None


def default_redactor() -> Redactor:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Redactor.from_file()
    return _DEFAULT


def redact(value: Any) -> tuple[Any, Counter]:
    counts: Counter = Counter()
    return default_redactor().value(value, counts), counts


class RedactionFilter:
    """Result filter: masks secrets in every successful result; fails closed."""

    required = True  # if redaction breaks, the result is withheld rather than sent raw

    def __init__(self, redactor: Redactor | None = None):
        self.redactor = redactor or default_redactor()

    def __call__(self, tool: str, arguments: dict[str, Any], result: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
        counts: Counter = Counter()
        out = self.redactor.value(result, counts)
        if counts:
            # The audit line gets how many and which kinds, never the secrets.
            notes["redactions"] = {"count": sum(counts.values()), "kinds": dict(sorted(counts.items()))}
        return out


def redact_arguments(arguments: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The argument filter for audit lines: (arguments with secrets masked, how many)."""
    try:
        out, counts = redact(arguments)
    except Exception:  # never let the audit path take the call down, nor log raw values
        return {k: "[REDACTED:unavailable]" for k in arguments}, max(1, len(arguments))
    return out, sum(counts.values())
