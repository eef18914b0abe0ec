"""Secrets are masked in everything that leaves the server: tool results, error
messages, audit lines, stderr.

The rules are data (`redaction_rules.yaml` beside this file): each masks only the
secret part of a match, so the log line around it stays useful to the model and the
human. Structured results are walked value by value; besides the text patterns, a
dict key that names a secret (`password`, `GITHUB_TOKEN`, `STRIPE_KEY`, ...) and
Kubernetes-style `{"name": "DB_PASSWORD", "value": "..."}` pairs get their value
masked whole. The corpus in tests/data/redaction_corpus.yaml says what must be masked
and what must stay (trace ids, SHAs, pod names, prose naming a secret, IMEIs).

API for other writers (the audit log, stderr): `redact_text`, `redact_record` and
`token_hash` never raise; `redact` / `redact_arguments` are the older entry points.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import yaml

RULES_FILE = Path(__file__).resolve().parent / "redaction_rules.yaml"
MASK_PREFIX = "[REDACTED"
UNAVAILABLE = "[REDACTED:unavailable]"


def luhn_ok(number: str) -> bool:
    """13-19 digits with a valid Luhn checksum."""
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


def card_network_ok(digits: str) -> bool:
    """A card network's prefix with that network's length (an IMEI, 15 digits from 35, is no card)."""
    n = len(digits)
    if n < 13:
        return False
    p2, p3, p4 = int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return n in (13, 16, 19)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:  # Mastercard
        return n == 16
    if p2 in (34, 37):  # Amex
        return n == 15
    if p4 == 6011 or p2 in (62, 65) or 644 <= p3 <= 649:  # Discover, UnionPay
        return 16 <= n <= 19
    if 3528 <= p4 <= 3589:  # JCB
        return 16 <= n <= 19
    if p2 in (36, 38, 39) or 300 <= p3 <= 305:  # Diners
        return 14 <= n <= 19
    return False


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


_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEG_SPLIT = re.compile(r"[^a-z0-9]+")
_ENV_REF = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$")
_DNS_NAME = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*-[a-z0-9]+(?:[-.][a-z0-9]+)*")
_PORT_PATH = re.compile(r"\d{1,5}(?:[/?#].*)?", re.S)
_HOST_PORT = re.compile(r"[\d:.]+(?:/\w+)?")
_WORD = re.compile(r"[a-z_]+")
_NAME_SET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


class Words:
    """The vocabularies of the rules file, as sets; `secret_name` is the one test of a name."""

    def __init__(self, data: dict[str, list[str]]):
        s = {k: frozenset(str(w).lower() for w in v) for k, v in data.items()}
        self.secret_words = s.get("secret_words", frozenset())
        self.compound_only = s.get("compound_only", frozenset())
        self.benign_key = s.get("benign_key_qualifiers", frozenset())
        self.benign_token = s.get("benign_token_qualifiers", frozenset())
        self.prose = s.get("prose_words", frozenset())
        self.name_keys = s.get("name_keys", frozenset())
        self.non_card = s.get("non_card_words", frozenset())
        self.card = s.get("card_words", frozenset())
        self.auth_schemes = s.get("auth_schemes", frozenset())
        self.secret_name = lru_cache(maxsize=8192)(self._secret_name)

    @staticmethod
    def segments(name: str) -> list[str]:
        """`dbPassword` / `DB_PASSWORD` / `x-api-key` → ['db', 'password'] / ... / ['x', 'api', 'key']."""
        return [s for s in _SEG_SPLIT.split(_HUMP.sub("_", name.strip('\\"-')).lower()) if s]

    def _secret_name(self, name: str) -> bool:
        segs = self.segments(name)
        if not segs:
            return False
        last = segs[-1]
        if len(segs) >= 2 and segs[-2] + last in self.secret_words:  # api_key, access_token
            return True
        if last in self.secret_words:
            if len(segs) == 1 and last in self.compound_only:
                return False
            if last == "token" and len(segs) >= 2 and segs[-2] in self.benign_token:
                return False
            return True
        if last == "key":
            return len(segs) >= 2 and segs[-2] not in self.benign_key
        # Run together: dbpassword, apitoken, mysecret.
        return any(last.endswith(w) for w in ("password", "passwd", "secret", "token", "apikey", "secretkey", "privatekey", "accesskey"))


# --- checks: (match, rule, words) -> True to mask, False to keep the match as it is
def _check_card(m: re.Match[str], rule: "Rule", w: Words) -> bool:
    digits = "".join(c for c in m.group(0) if c.isdigit())
    if not (luhn_ok(digits) and card_network_ok(digits)):
        return False
    before = _WORD.findall(m.string[max(0, m.start() - 40): m.start()].lower())
    for word in reversed(before[-3:]):
        if word in w.card:
            return True
        if word in w.non_card:
            return False
        if word not in ("no", "nr", "num", "number", "is", "was"):
            break
    return True


def _check_assignment(m: re.Match[str], rule: "Rule", w: Words) -> bool:
    key = m.group("key").strip('\\"')
    if not w.secret_name(key):
        return False
    group = rule.group_of(m)
    value = m.group(group)
    segs = w.segments(key)
    bare = len(segs) == 1
    if segs[-1] == "key" and value.startswith(("/", "./", "~/")):
        return False  # TLS_KEY=/etc/tls/key.pem: a path, not the key
    if key.lower() == "pwd" and value.startswith(("/", "~")):
        return False  # the shell's working directory
    if value.lower() in w.auth_schemes:
        return False  # "Authorization: Basic ...": the credential is the next word
    if _ENV_REF.fullmatch(value):
        return False  # ${DB_PASSWORD}: a reference, not the value
    if bare and segs[0] in w.name_keys and _DNS_NAME.fullmatch(value):
        return False  # secret: db-credentials names a Kubernetes Secret
    if rule.options.get("prose") in (True, group) and bare and ":" in (m.groupdict().get("sep") or ""):
        if value.lower().rstrip(".,;:!?)") in w.prose:
            return False  # "password: mismatch" is prose
    return True


def _check_flag(m: re.Match[str], rule: "Rule", w: Words) -> bool:
    return _check_assignment(m, rule, w)


def _check_url_password(m: re.Match[str], rule: "Rule", w: Words) -> bool:
    return not _PORT_PATH.fullmatch(m.group(rule.group_of(m)))  # host:8080/path@x: a port, not a password


def _check_mysql(m: re.Match[str], rule: "Rule", w: Words) -> bool:
    return not _HOST_PORT.fullmatch(m.group(rule.group_of(m)))  # docker -u 1000 -p8080:80


def _check_aws_secret(m: re.Match[str], rule: "Rule", w: Words) -> bool:
    s = m.group(rule.group_of(m))
    if all(c in "0123456789abcdefABCDEF" for c in s):
        return False  # a git SHA or a hex digest
    has_upper = any(c.isupper() for c in s)
    has_lower = any(c.islower() for c in s)
    return has_upper and has_lower and any(c.isdigit() or c in "/+" for c in s)


CHECKS: dict[str, Callable[[re.Match[str], "Rule", Words], bool]] = {
    "card": _check_card,
    "secret_assignment": _check_assignment,
    "secret_flag": _check_flag,
    "url_password": _check_url_password,
    "mysql_password": _check_mysql,
    "aws_secret": _check_aws_secret,
}


@dataclass(frozen=True)
class Rule:
    kind: str
    regex: re.Pattern[str]
    secret: str | int | tuple[str, ...] = 0  # the masked group; a tuple: the first that matched
    mask: str = "[REDACTED]"
    check: Callable[[re.Match[str], "Rule", Words], bool] | None = None
    keywords: re.Pattern[str] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    anchor: re.Pattern[str] | None = None  # found on the lower-cased text; `regex` is matched there
    anchor_ci: re.Pattern[str] | None = None  # the same, case-blind, for text whose lower() changes length
    anchor_back: bool = False  # widen an anchor hit back to the start of the name it ends

    def group_of(self, m: re.Match[str]) -> str | int:
        if isinstance(self.secret, tuple):
            return next((g for g in self.secret if m.group(g) is not None), self.secret[-1])
        return self.secret

    def _anchored(self, text: str, low: str) -> Any:
        # lower() keeps the length for almost all text, and then positions line up one to one.
        hits = self.anchor.finditer(low) if len(low) == len(text) else self.anchor_ci.finditer(text)  # type: ignore[union-attr]
        last = -1
        for h in hits:
            j = h.start()
            if self.anchor_back:
                k = j
                while k > 0 and j - k < 100 and text[k - 1] in _NAME_SET:
                    k -= 1
                j = k
            if j < last:
                continue
            m = self.regex.match(text, j)
            if m is None or (self.anchor_back and m.end("key") != h.end()):
                continue
            last = m.end()
            yield m

    def apply(self, text: str, counts: Counter, words: Words, low: str | None = None) -> str:
        low = text.lower() if low is None else low
        if self.keywords is not None and not self.keywords.search(low):
            return text
        matches = self._anchored(text, low) if self.anchor is not None else self.regex.finditer(text)
        out: list[str] = []
        last = 0
        for m in matches:
            group = self.group_of(m)
            secret = m.group(group)
            if not secret or secret.startswith(MASK_PREFIX) or text.startswith(MASK_PREFIX, m.end(group)):
                continue  # already masked by an earlier rule (`sid=` before `[REDACTED:cookie]`)
            start, end = m.span(group)
            if start < last:
                continue
            if self.check is not None and not self.check(m, self, words):
                continue
            counts[self.kind] += 1
            out.append(text[last:start])
            out.append(card_mask(secret) if self.mask == "card" else self.mask)
            last = end
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)


class Redactor:
    def __init__(self, rules: list[Rule], words: Words):
        self.rules = rules
        self.words = words
        self._cache: dict[str, tuple[str, dict[str, int]]] = {}  # plain dict ops: safe across threads
        # One scan for "could any rule apply?" (most strings in a result hold no trigger at all).
        self._any = None if any(r.keywords is None for r in rules) else re.compile("|".join(f"(?:{r.keywords.pattern})" for r in rules))

    @classmethod
    def from_file(cls, path: Path = RULES_FILE) -> "Redactor":
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        defs = {k: str(v) for k, v in (data.get("defs") or {}).items()}
        words = Words(data.get("words") or {})
        rules = []
        for r in data["rules"]:
            check = r.get("check")
            if check is not None and check not in CHECKS:
                raise ValueError(f"{path}: rule {r['kind']}: unknown check {check!r}")
            pattern = re.sub(r"\{([A-Z_]+)\}", lambda m: defs.get(m.group(1), m.group(0)), r["pattern"])
            kws = r.get("keywords")
            anchor = re.sub(r"\{([A-Z_]+)\}", lambda m: defs.get(m.group(1), m.group(0)), r["anchor"]) if r.get("anchor") else None
            trigger = r.get("trigger") or ("|".join(re.escape(str(k).lower()) for k in kws) if kws else None)
            rules.append(
                Rule(
                    kind=r["kind"],
                    regex=re.compile(pattern),
                    secret=tuple(r["secret"]) if isinstance(r.get("secret"), list) else r.get("secret", 0),
                    mask=r.get("mask", f"[REDACTED:{r['kind']}]"),
                    check=CHECKS[check] if check else None,
                    keywords=re.compile(trigger) if trigger else None,
                    options=dict(r.get("options") or {}),
                    anchor=re.compile(anchor) if anchor else None,
                    anchor_ci=re.compile(anchor, re.IGNORECASE) if anchor else None,
                    anchor_back=r.get("anchor_back") == "name",
                )
            )
        return cls(rules, words)

    def text(self, text: str, counts: Counter | None = None) -> str:
        counts = Counter() if counts is None else counts
        if len(text) < 5:
            return text  # shorter than the shortest masked form ("pwd=x")
        short = len(text) <= 96
        if short:
            # Results repeat short values (service, level, host, namespace) thousands of times.
            hit = self._cache.get(text)
            if hit is not None:
                if hit[1]:
                    counts.update(hit[1])
                return hit[0]
            mine: Counter = Counter()
        else:
            mine = counts
        original, low = text, text.lower()
        if self._any is not None and not self._any.search(low):
            if short:
                self._remember(original, text, {})
            return text
        for rule in self.rules:
            if rule.keywords is not None and not rule.keywords.search(low):
                continue
            new = rule.apply(text, mine, self.words, low)
            if new != text:
                text, low = new, new.lower()
        if short:
            self._remember(original, text, dict(mine))
            counts.update(mine)
        return text

    def _remember(self, original: str, text: str, kinds: dict[str, int]) -> None:
        if len(self._cache) >= 20_000:
            self._cache.clear()
        self._cache[original] = (text, kinds)

    def secret_key(self, key: Any) -> bool:
        return isinstance(key, str) and self.words.secret_name(key)

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
            # Kubernetes env entries: {"name": "DB_PASSWORD", "value": "hunter2"} (or key/value).
            label = value.get("name") if "name" in value else value.get("key")
            env_secret = self.secret_key(label)
            for k, v in value.items():
                key_secret = self.secret_key(k) or (env_secret and k == "value")
                if key_secret and isinstance(v, (str, int, float)) and not isinstance(v, bool) and v not in ("", None):
                    if isinstance(v, str) and (v.startswith(MASK_PREFIX) or _ENV_REF.fullmatch(v)):
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


def redact_text(text: str) -> str:
    """One string (an error message, a stderr line) with secrets masked. Never raises."""
    try:
        return default_redactor().text(str(text))
    except Exception:
        return UNAVAILABLE


def _unavailable(value: Any) -> Any:
    if isinstance(value, str):
        return UNAVAILABLE
    if isinstance(value, dict):
        return {k: _unavailable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_unavailable(v) for v in value]
    return value


def redact_record(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of an audit record with every string redacted. Never raises: if the rules
    break, every string becomes "[REDACTED:unavailable]" (numbers and keys stay).
    Redact the dict, not its JSON text: a mask ending inside an escape would tear the line."""
    try:
        out = default_redactor().value(record)
        return out if isinstance(out, dict) else _unavailable(record)
    except Exception:
        return _unavailable(record)


def token_hash(token: str) -> str:
    """A short, stable stand-in for a live token on an audit line (links preview and use)."""
    return "tok:" + hashlib.sha256(str(token).encode("utf-8", "surrogatepass")).hexdigest()[:12]


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
            prev = notes.get("redactions") or {"count": 0, "kinds": {}}
            kinds = Counter(prev.get("kinds") or {})
            kinds.update(counts)
            notes["redactions"] = {"count": sum(kinds.values()), "kinds": dict(sorted(kinds.items()))}
        return out


def redact_arguments(arguments: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The argument filter for audit lines: (arguments with secrets masked, how many)."""
    try:
        out, counts = redact(arguments)
    except Exception:  # never let the audit path take the call down, nor log raw values
        return {k: UNAVAILABLE for k in arguments}, max(1, len(arguments))
    return out, sum(counts.values())
