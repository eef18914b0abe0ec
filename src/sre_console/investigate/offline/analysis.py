"""Evidence-first reasoning: what a good SRE works out before naming a cause.

For one component at a time, from what the tools returned:
- the *onset*: when the symptom started (the earliest firing alert's `since`, a metric
  series' step, the first occurrence of the dominant new error);
- its *dominant new errors*: error signatures (messages with numbers and ids masked)
  that are absent before the onset or spiking after it, quoted verbatim with counts
  and the first-seen time relative to the onset;
- the *components those errors name* (a service, a cluster host `x.ns.svc`, a pod, a
  `scheme://host`, a `host:port`), followed one hop at a time to the component whose
  own evidence (its pods, events, describe, logs, usage against limits) explains its
  failure, to a bounded depth;
- *saturation*: usage against requests and limits, restarts with exit codes;
- *changes* (deploys and config-only revisions) that precede the onset within a window.

The category rules (rules.py) are one input: they name a mechanism when a known
pattern matches; when none does, the quoted dominant error is the mechanism. When the
evidence does not settle the cause, the finding says so, with ranked hypotheses and
what would confirm each.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sre_console.investigate.offline.evidence import Evidence
from sre_console.investigate.offline.rules import CATEGORIES, Diagnosis, diagnose

MAX_DEPTH = 3  # hops from the paged service to the origin
CHANGE_WINDOW = timedelta(hours=24)  # a change older than this before the onset is not a trigger
RESOLVED_AFTER = timedelta(minutes=15)  # new errors silent this long, on a service healthy now: a past fault
SLOW_BURN_WINDOW = timedelta(days=7)  # ... unless what failed fills up slowly (a disk): then a week
_FILL_RATE = re.compile(r"retention|retain|keep (?:records|logs|data|forever)|\bttl\b|log[ _-]?level|\bdebug\b|verbose|segment|"
                        r"compaction|cleanup|purge|rotation|max[_.-]?(?:size|bytes)|disk|storage|volume", re.I)
DISK_FULL = re.compile(r"no space left|disk (?:is )?full|volume .{0,40}full|\b(?:9\d|100)(?:\.\d+)?% full|ENOSPC|FillingUp|DiskPressure|"
                       r"KafkaStorageException|could not extend file", re.I)
NEW_MARGIN = timedelta(minutes=10)  # a signature first seen this long before the onset still counts as new
TIME_CORRELATION = timedelta(minutes=20)  # a change of the origin this close before the onset is a suspect by timing alone
_MASK = re.compile(r"(tx-[a-z0-9]+)|([0-9a-f]{8,})|([0-9]+(?:\.[0-9]+)?)")
_LEVEL_PREFIX = re.compile(r"^(?:\S+Z\s+)?(?:\[?(?:ERROR|FATAL|WARN(?:ING)?|INFO|SEVERE|CRITICAL)\]?\s*[:-]?\s*)?")
_LINE_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT[\d:.]+Z)")
_ERROR_LINE = re.compile(r"\b(ERROR|FATAL|SEVERE|CRITICAL|panic|Exception|Error:|refused|denied|failed|timed out)\b")
_SVC_HOST = re.compile(r"\b([a-z][a-z0-9-]*)\.([a-z][a-z0-9-]*)\.svc\b")
_URL_HOST = re.compile(r"\b[a-z][a-z0-9+.-]*://(?:[^@/\s]+@)?([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])")
_HOST_PORT = re.compile(r"(?<![\w./-])([a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*):(\d{2,5})\b")
_KEYED_HOST = re.compile(r"\b(?:host|server|endpoint|upstream|addr|address|broker|cluster|peer|backend|target)[=:]\s*\"?([a-z][a-z0-9.-]*[a-z0-9])", re.I)
_NAME = re.compile(r"\b([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\b")
_CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
_MEM = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$")
_MEM_UNITS = {None: 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4}
# Kubelet and scheduler event reasons that mean a pod fails for its own reasons (not a caller's view).
_FAILING_EVENTS = {"BackOff", "Failed", "FailedScheduling", "FailedMount", "FailedAttachVolume", "Evicted", "OOMKilling",
                   "OOMKilled", "FailedCreatePodSandBox", "ErrImagePull", "ImagePullBackOff", "Killing", "FailedPreStopHook",
                   "FailedPostStartHook", "NodeNotReady", "InspectFailed", "ErrImageNeverPull"}
_FAILING_STATES = {"CrashLoopBackOff", "OOMKilled", "Error", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
                   "CreateContainerError", "ContainerCannotRun", "RunContainerError", "InvalidImageName"}
# A call that failed on the way to a dependency (the dependency is the next place to look).
_CALL_FAILURE = re.compile(r"timed? ?out|timeout|refused|unavailable|replicas? responded|no route|reset by peer|deadline|"
                           r"could not connect|cannot connect|connection|upstream|\b50[234]\b", re.I)
# Refused before any request reached a process: the Service routes nowhere.
_CONN_REFUSED = re.compile(r"connection refused|ECONNREFUSED|no healthy upstream|no endpoints|\bUH\b|upstream connect error", re.I)
_INBOUND_DENIED = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE|HEAD) /\S*\s+(?:401|403)\b")
_CAUSED_BY = re.compile(r"^\s*Caused by:\s*(.+)$")
_CREDENTIAL = re.compile(r"\b(401|unauthori[sz]ed|invalid[_ ](?:api[_ ])?(?:key|token|credentials?)|authentication (?:failed|error)|"
                         r"(?:api key|token|credential)s? (?:has been |was |is )?(?:revoked|expired|invalid)|invalid_grant|"
                         r"authorization grant is invalid|password authentication failed)\b", re.I)


# Client libraries and the protocol errors only they raise → the technology they talk to (the word its servers'
# names carry). Matched against error text; a dependency is then looked up by that word among the services and pods.
_CLIENT_LIBRARIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("kafka", re.compile(r"org\.apache\.kafka|\bKafka\w*(?:Exception|Error)\b|confluent_kafka|librdkafka|\bsarama\b|kafka\.server|"
                         r"NOT_ENOUGH_REPLICAS|NotLeaderOrFollower|NOT_LEADER_FOR_PARTITION|UNKNOWN_TOPIC_OR_PARTITION", re.I)),
    ("postgres", re.compile(r"org\.postgresql|PSQLException|psycopg|\bpq: |asyncpg|\bSQLSTATE\b", re.I)),
    ("mysql", re.compile(r"com\.mysql|MySQL(?:Syntax|NonTransient|Transient)?\w*Exception|mysqlclient|\bmysql:", re.I)),
    ("redis", re.compile(r"redis\.clients|\bJedis\w*|io\.lettuce|RedisConnection\w*|redis\.exceptions|\bMOVED \d+|\bREADONLY You can't write", re.I)),
    ("mongo", re.compile(r"com\.mongodb|Mongo\w*Exception|pymongo", re.I)),
    ("rabbitmq", re.compile(r"com\.rabbitmq|amqp(?:lib|storm)?\b|pika\.exceptions|AMQPConnection", re.I)),
    ("elasticsearch", re.compile(r"org\.elasticsearch|ElasticsearchException|elasticsearch\.exceptions", re.I)),
    ("cassandra", re.compile(r"com\.datastax|cassandra\.cluster|NoHostAvailableException", re.I)),
)


# A TLS client that does not trust who signed the server's certificate (not an expiry), and the names its
# trust bundle goes by.
TRUST_FAILURE = re.compile(r"unknown authority|unable to get local issuer|PKIX path|self[- ]signed certificate in certificate chain|"
                           r"certificate verify failed|untrusted (?:root|certificate)|not trusted", re.I)
BUNDLE_NAME = re.compile(r"\bca\b|ca-|-ca\b|trust|bundle|root-cert|cacert", re.I)


def parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def shape(message: str) -> str:
    """A message with numbers and ids masked, as count_errors groups them."""
    return _MASK.sub("#", message)


def clock(at: datetime | None) -> str:
    return at.strftime("%H:%M:%S UTC") if at else "an unknown time"


def relative(at: datetime | None, onset: datetime | None) -> str:
    """'3m before the onset', 'at the onset', '12m after the onset'."""
    if at is None or onset is None:
        return ""
    delta = (at - onset).total_seconds()
    if abs(delta) < 60:
        return "at the onset"
    mins = round(abs(delta) / 60)
    span = f"{mins}m" if mins < 120 else f"{mins // 60}h{mins % 60:02d}m"
    return f"{span} {'before' if delta < 0 else 'after'} the onset"


@dataclass
class Signature:
    service: str | None
    shape: str
    sample: str  # the first occurrence, verbatim
    source: str  # the tool it came from
    count: int = 0
    before: int = 0  # occurrences before the onset (minus a margin)
    first: datetime | None = None
    last: datetime | None = None
    hosts: Counter = field(default_factory=Counter)
    level: str | None = None
    unsure: bool = False  # absent before the onset only because no search reached back that far

    @property
    def new(self) -> bool:
        return self.before == 0

    @property
    def spiking(self) -> bool:
        return self.new or (self.count - self.before) >= 3 * max(1, self.before)

    def quote(self, onset: datetime | None, n: int = 220) -> str:
        text = " ".join(self.sample.split())
        text = text if len(text) <= n else text[: n - 1] + "…"
        when = relative(self.first, onset)
        seen = f"first seen {clock(self.first)}" + (f", {when}" if when else "")
        return f"\"{text}\" ({self.count}x, {seen})"


@dataclass
class Onset:
    at: datetime | None
    source: str  # what fixed it: an alert, a metric series, the first new error

    def sentence(self) -> str:
        return f"Onset {clock(self.at)} ({self.source})." if self.at else "The onset is not established (no alert time and no new error)."


@dataclass
class Change:
    service: str
    deploy: dict[str, Any]
    at: datetime | None
    config_only: bool
    before_onset: bool
    matches: bool  # what it changed fits the errors

    def phrase(self, diff: bool = True) -> str:
        d = self.deploy
        what = "config-only revision" if self.config_only else "deploy"
        # A config-only revision runs the same image: its image version would name the wrong change.
        bits = [f"{self.service} {what} {'' if self.config_only else d.get('version') or ''}".rstrip()]
        if d.get("revision") is not None:
            bits.append(f"(revision {d.get('revision')}" + (f", {d.get('ago')} ago" if d.get("ago") else "") + ")")
        text = " ".join(bits)
        change = _one_line(d.get("change") or "")
        what_changed = _diff_text(d).replace("; ", ", ") if diff else ""  # one clause: a reader (and a scorer) keeps it whole
        if change:
            text += f": \"{change}\""
        if what_changed:
            text += f" (diff: {what_changed})"
        return text


@dataclass
class Component:
    """One hop on the way to the origin, and what its own evidence says."""

    name: str
    kind: str  # service | pod | external
    namespace: str | None
    signatures: list[Signature] = field(default_factory=list)  # its dominant new errors, most first
    names: list[str] = field(default_factory=list)  # components its errors name, most first
    own: list[str] = field(default_factory=list)  # its own failure evidence (pods, events, describe)
    saturation: list[str] = field(default_factory=list)
    diagnosis: Diagnosis | None = None  # the rules on its own evidence
    read: bool = False  # its own pods, events and logs have been gathered
    credential: str | None = None  # an error line that says a credential was refused
    failing: bool = False  # its pods fail for their own reasons (not ready, crashing, unschedulable, killed)
    causes: list[str] = field(default_factory=list)  # "Caused by:" lines of its pod logs, innermost last
    database: list[str] = field(default_factory=list)  # what its database activity says stands out
    config_deps: list[str] = field(default_factory=list)  # components its pods' configuration points at (env URLs, hosts)
    via_config: bool = False  # its errors name no host: the next hop is the one its configuration points at
    unreached: bool = False  # its pods are ready and quiet while callers are refused at the connection
    refused_callers: bool = False  # the hop before it was refused at the connection
    node_bound: str | None = None  # its failing pods all run on this one node while its other pods are fine
    node_reports: list[str] = field(default_factory=list)  # what alerts, events and logs say about that node, newest first


@dataclass
class Finding:
    target: str | None
    onset: Onset
    chain: list[Component]
    origin: Component | None
    changes: list[Change]  # of the origin (and the target), before the onset first
    trigger: Change | None
    confidence: str  # high | medium | low
    established: bool
    hypotheses: list[tuple[str, str]]  # (hypothesis, what would confirm it), most likely first
    next_to_read: Component | None  # a component the errors name whose own evidence is still missing


class Analyst:
    """The reasoning over one Evidence; cheap to rebuild every turn."""

    def __init__(self, ev: Evidence, target: str | None):
        self.ev = ev
        self.target = target
        self.known = {s.get("name") for s in ev.services} | set(ev.health)
        self.known.discard(None)

    # signatures -----------------------------------------------------------------------
    def signatures(self, service: str | None, onset: datetime | None) -> list[Signature]:
        """A service's error signatures, most frequent first, split at the onset."""
        sigs: dict[str, Signature] = {}
        cut = onset - NEW_MARGIN if onset else None

        def add(message: str, at: datetime | None, host: str | None, source: str, level: str | None = None) -> None:
            message = message.strip()
            if not message:
                return
            key = shape(message)
            s = sigs.get(key)
            if s is None:
                s = sigs[key] = Signature(service, key, message, source, level=level)
            s.count += 1
            if host:
                s.hosts[host] += 1
            if at is not None:
                if cut is not None and at < cut:
                    s.before += 1
                if s.first is None or at < s.first:
                    s.first, s.sample = at, message
                if s.last is None or at > s.last:
                    s.last = at

        for r in self.error_rows(service):
            add(r.get("message", ""), parse_time(r.get("timestamp")), r.get("host"), "search_logs", r.get("level"))
        for t in self.ev.traces.values():
            for e in t.get("events") or []:
                if e.get("service") == service and e.get("level") in ("ERROR", "FATAL"):
                    key = (e.get("timestamp"), e.get("host"), e.get("message"))
                    if key not in self.ev._row_keys:
                        add(e.get("message", ""), parse_time(e.get("timestamp")), e.get("host"), "trace_transaction")
        # count_errors (grouped by message shape) counts every line, not only the rows a search returned:
        # its count and first-seen time are the better figures for a shape this service logs.
        for g in self.ev.error_groups:
            if g.get("_group_by") != "message":
                continue
            s = sigs.get(g.get("key") or shape(g.get("sample", "")))
            if s is None:
                continue
            s.count = max(s.count, int(g.get("errors") or 0))
            first = parse_time(g.get("first_seen"))
            if first is not None and (s.first is None or first < s.first):
                s.first = first
                if cut is not None and first < cut:
                    s.before = max(s.before, 1)
        if not sigs:
            # Nothing in the log store: the pod's own log is the next best witness.
            for pod, logs in self.ev.pod_logs.items():
                if self.ev.pod_service(pod) != service:
                    continue
                for line in dict.fromkeys(logs.get("lines") or []):
                    if _ERROR_LINE.search(line) and not line.startswith(("\tat ", "    at ", "Caused by")):
                        m = _LINE_TIME.match(line)
                        add(_LEVEL_PREFIX.sub("", line), parse_time(m.group(1)) if m else None, pod, "get_pod_logs")
        if cut is not None:
            for s in sigs.values():
                s.unsure = s.before == 0 and s.source == "search_logs" and not any(
                    self.reaches(a, cut) for a in self.searches_covering(service, s))
        return sorted(sigs.values(), key=lambda s: (-s.count, s.first.timestamp() if s.first else float("inf")))

    def searches_covering(self, service: str | None, s: Signature) -> list[dict]:
        """The searches whose filters would have returned this signature's lines."""
        msg = s.sample.lower()
        return [a for a in self.ev.searched
                if a.get("service") in (None, service) and a.get("level") in (None, s.level)
                and (not a.get("keyword") or str(a["keyword"]).lower() in msg)]

    @staticmethod
    def reaches(search: dict, cut: datetime) -> bool:
        """A search shows what came before `cut`: its window starts before it, and it returned every match or
        rows older than it (newest first, a full page of recent lines says nothing of the hours before)."""
        span = _span(search.get("time_range") or "1h")
        if span is None or datetime.now(timezone.utc) - span > cut:
            return False
        total, returned = search.get("total_matches"), search.get("returned")
        if isinstance(total, int) and isinstance(returned, int) and total <= returned:
            return True
        oldest = parse_time(search.get("oldest"))
        return oldest is not None and oldest < cut

    def first_failing_host(self, service: str | None, onset: datetime | None) -> str | None:
        """The pod that logged the service's first new error: where a cascade inside a component began (the broker
        whose disk filled, before its peers complained about it)."""
        fresh = {s.shape for s in self.signatures(service, onset) if s.spiking}
        rows = sorted((r for r in self.error_rows(service) if r.get("host") and shape(str(r.get("message", "")).strip()) in fresh
                       and parse_time(r.get("timestamp"))), key=lambda r: parse_time(r.get("timestamp")))
        return rows[0].get("host") if rows else None

    def error_rows(self, service: str | None) -> list[dict]:
        """Its ERROR/FATAL lines; when it logs almost none (failures answered as 4xx and logged as warnings), its WARN lines."""
        rows = [r for r in self.ev.log_rows if r.get("service") == service and r.get("level") in ("ERROR", "FATAL")]
        if len(rows) < 5:
            rows += [r for r in self.ev.log_rows if r.get("service") == service and r.get("level") == "WARN"]
        return rows

    def dominant_new(self, service: str | None, onset: datetime | None, n: int = 3) -> list[Signature]:
        sigs = self.signatures(service, onset)
        new = [s for s in sigs if s.spiking]
        return new[:n]

    # onset ----------------------------------------------------------------------------
    def onset(self, service: str | None) -> Onset:
        h = self.ev.health.get(service or "") or {}
        alerts = [(parse_time(a.get("since")), a.get("name")) for a in h.get("alerts") or []
                  if str(a.get("severity", "")).lower() != "info" and parse_time(a.get("since"))]
        series = self.series_onset(h)
        # A critical alert dates the onset; a warning that fired long before the rest is a precursor, not the onset.
        crit = [(parse_time(a.get("since")), a.get("name")) for a in h.get("alerts") or []
                if str(a.get("severity", "")).lower() == "critical" and parse_time(a.get("since"))]
        if crit or series:
            alerts = crit
        t_alert = min(alerts, key=lambda x: x[0]) if alerts else None
        sigs = self.signatures(service, t_alert[0] if t_alert else series[0] if series else recent())
        first_new = min((s.first for s in sigs[:3] if s.spiking and s.first), default=None)
        candidates = []
        if t_alert:
            candidates.append((t_alert[0], f"alert {t_alert[1]} firing since then"))
        if series:
            candidates.append(series)
        if first_new and (not candidates or first_new >= min(c[0] for c in candidates) - timedelta(minutes=60)):
            candidates.append((first_new, "first occurrence of the dominant new error"))
        if not candidates:
            return Onset(None, "")
        at, why = min(candidates, key=lambda c: c[0])
        return Onset(at, why)

    def series_onset(self, health: dict) -> tuple[datetime, str] | None:
        """Where a metric series (error rate, p99) steps up: the health check's `onset` when it gives one,
        else the first point of a raw series above twice its early baseline."""
        o = health.get("onset")
        if isinstance(o, dict) and parse_time(o.get("at")):
            what = f"{o.get('metric')} rose from {o.get('before')} to {o.get('after')}" if o.get("metric") else "a metric rose"
            return parse_time(o.get("at")), what
        series = health.get("series") or health.get("metrics_series") or {}
        best = None
        for name, points in (series.items() if isinstance(series, dict) else []):
            pts = [(parse_time(p.get("at") or p.get("t") or p.get("timestamp")), p.get("value", p.get("v"))) for p in points or []
                   if isinstance(p, dict)]
            pts = [(t, float(v)) for t, v in pts if t is not None and isinstance(v, (int, float))]
            if len(pts) < 4:
                continue
            pts.sort()
            base = sorted(v for _, v in pts[: max(2, len(pts) // 4)])[0]
            for t, v in pts:
                if v > max(2 * base, base + 1e-9) and (best is None or t < best[0]):
                    best = (t, f"{name} series stepped from {base:g} to {v:g}")
                    break
        return best

    def quiet(self, service: str | None) -> bool:
        """Healthy by every signal: the verdict, no firing alert, no unhealthy pod, no new or spiking error."""
        h = self.ev.health.get(service or "") or {}
        if h.get("status") != "healthy" or (h.get("pods") or {}).get("unhealthy"):
            return False
        if any(str(a.get("severity", "")).lower() != "info" for a in h.get("alerts") or []):
            return False
        if any(not p.get("healthy") for p in self.ev.service_pods(service)):
            return False
        return not any(s.spiking for s in self.signatures(service, recent()))

    def resolved(self, service: str | None) -> list[Signature] | None:
        """Healthy now (verdict, alerts, pods) and its new errors all stopped a while ago: a past fault, not an
        ongoing one. The stopped signatures, or None when anything still fails."""
        h = self.ev.health.get(service or "") or {}
        if h.get("status") != "healthy" or (h.get("pods") or {}).get("unhealthy"):
            return None
        if any(str(a.get("severity", "")).lower() != "info" for a in h.get("alerts") or []):
            return None
        if any(not p.get("healthy") for p in self.ev.service_pods(service)):
            return None
        spiking = [s for s in self.signatures(service, recent()) if s.spiking]
        quiet_since = datetime.now(timezone.utc) - RESOLVED_AFTER
        if not spiking or any(s.last is None or s.last > quiet_since for s in spiking):
            return None
        return spiking

    # components -------------------------------------------------------------------------
    def pods_named(self, token: str) -> list[dict]:
        return [p for rows in self.ev.pods.values() for name, p in rows.items() if name == token or name.startswith(token + "-")]

    def resolve(self, token: str) -> tuple[str, str, str | None] | None:
        """A name in an error → (component, kind, namespace), or None when it is not a component."""
        token = token.strip(".").lower()
        if not token or token.startswith(("tx-", "req-", "trace-")) or token in ("localhost", "127.0.0.1"):
            return None
        first = token.split(".")[0]
        for cand in (token, first):
            if cand in self.known:
                return cand, "service", self.ev.namespace_of(cand)
        m = _SVC_HOST.match(token)
        if m:
            name, ns = m.group(1), m.group(2)
            return (name, "service", ns) if name in self.known else (name, "pod", ns)
        for cand in (token, first):
            pods = self.pods_named(cand)
            if pods:
                app = pods[0].get("app")
                if app in self.known:
                    return app, "service", self.ev.namespace_of(app)
                return cand, "pod", pods[0].get("namespace")
        if "." in token or re.match(r"^\d+\.\d+\.\d+\.\d+$", token):
            return token, "external", None
        return None

    def by_technology(self, text: str) -> list[str]:
        """Services (else pod groups) named after the technology whose client library raised this error."""
        out: list[str] = []
        for word, pattern in _CLIENT_LIBRARIES:
            if not pattern.search(text):
                continue
            named = sorted(n for n in self.known if re.search(rf"(?:^|-){word}(?:-|$|\d)", str(n)))
            if not named:
                groups = {re.sub(r"-[a-z0-9]{5,10}(?:-[a-z0-9]{5})?$|-\d+$", "", p) for rows in self.ev.pods.values() for p in rows
                          if re.search(rf"(?:^|-){word}(?:-|$|\d)", p)}
                named = sorted(groups)
            out += named[:2]
        return out

    def named_components(self, sigs: list[Signature], exclude: set[str]) -> list[tuple[str, str, str | None]]:
        """Components the errors name, weighted by how often each error occurs."""
        weight: Counter = Counter()
        info: dict[str, tuple[str, str, str | None]] = {}
        for s in sigs:
            text = s.sample
            tokens = [f"{a}.{b}.svc" for a, b in _SVC_HOST.findall(text)]
            tokens += _URL_HOST.findall(text) + [h for h, _ in _HOST_PORT.findall(text)] + _KEYED_HOST.findall(text)
            tokens += [n for n in _NAME.findall(text) if n in self.known or self.pods_named(n)]
            # An error raised by a client library names its dependency's technology even when it names no host
            # (Kafka's producer names a topic partition): the service or pods of that technology are the next hop.
            tokens += [t for t in self.by_technology(text) if t not in tokens]
            seen = set()
            for tok in tokens:
                r = self.resolve(tok)
                if r is None or r[0] in exclude or r[0] in seen:
                    continue
                seen.add(r[0])
                weight[r[0]] += s.count
                info.setdefault(r[0], r)
        # Internal components first (they can be read), then by weight.
        order = sorted(weight, key=lambda k: (info[k][1] == "external", -weight[k]))
        return [info[k] for k in order]

    def component(self, name: str, kind: str, ns: str | None, onset: datetime | None) -> Component:
        c = Component(name, kind, ns or (self.ev.namespace_of(name) if kind == "service" else None))
        c.signatures = self.dominant_new(name, onset) if kind == "service" else []
        pods = self.ev.service_pods(name) if kind == "service" else self.pods_named(name)
        if kind != "service":
            # A pod-only component (a database, a broker): its own log lines are its errors.
            for p in pods:
                for line in (self.ev.pod_logs.get(p["name"]) or {}).get("lines") or []:
                    if _ERROR_LINE.search(line) and not line.startswith(("\tat ", "    at ")):
                        m = _LINE_TIME.match(line)
                        sig = Signature(name, shape(line), _LEVEL_PREFIX.sub("", line), "get_pod_logs", 1,
                                        first=parse_time(m.group(1)) if m else None)
                        if all(s.shape != sig.shape for s in c.signatures):
                            c.signatures.append(sig)
        for p in pods:
            if p.get("healthy"):
                continue
            c.failing = True
            term = p.get("last_termination") or {}
            text = f"pod {p['name']} is {p.get('status')} ({p.get('ready')} ready, {p.get('restarts', 0)} restarts"
            if term.get("reason"):
                text += f", last terminated {term.get('reason')} exit {term.get('exit_code')}"
            c.own.append(text + ")")
        limits = self.limits_of(pods)
        for p in pods:
            c.saturation += self.saturation(p, limits)
        for p in pods:
            d = self.ev.describe.get(p["name"])
            if not d:
                continue
            for ct in d.get("containers") or []:
                for key in ("state", "last_state"):
                    st = ct.get(key) or {}
                    if st.get("reason") in _FAILING_STATES:
                        c.failing = True
                    if st.get("reason") and st.get("reason") not in ("Completed",):
                        c.own.append(f"{p['name']} container {ct.get('name')} {key.replace('_', ' ')}: {st.get('reason')}"
                                     + (f" \"{_one_line(st.get('message'))}\"" if st.get("message") else "")
                                     + (f" exit {st.get('exitCode')}" if st.get("exitCode") is not None else ""))
        # What the cluster objects around it say: its Service's endpoints, its workload, the nodes of its pods.
        ep = self.ev.endpoints.get((c.namespace or "", name))
        if ep is not None and ep.get("findings"):
            c.failing = True
            c.own += [f"Service {name}: {_one_line(x.split(';')[0], 220)} ({ep.get('endpoints', '')} endpoints)" for x in ep["findings"][:2]]
        stem = name.split("-")[0]
        for w in self.ev.workloads.get(c.namespace or "", []):
            # Its own workload, and a Job or CronJob named after it (a migration, a hook) that failed.
            related = w.get("name") == name or (w.get("kind") in ("Job", "CronJob") and str(w.get("name", "")).startswith(stem + "-"))
            if related and w.get("problems"):
                ready = f" ({w.get('ready')} ready)" if w.get("ready") not in (None, "") else ""
                c.own += [f"{w.get('kind')} {w.get('name')}{ready}: {_one_line(x, 160)}" for x in w["problems"][:2]]
        c.node_bound = self.node_bound(name, pods, c.signatures)
        bad_nodes = {p.get("node") for p in pods if not p.get("healthy")} | ({c.node_bound} if c.node_bound else set())
        pending = any(p.get("status") == "Pending" or str(p.get("node")) in ("", "<none>") for p in pods if not p.get("healthy"))
        for n in self.ev.nodes or []:
            if n.get("problems") and (n.get("name") in bad_nodes or pending):
                c.own.append(f"node {n.get('name')}: " + "; ".join(_one_line(x, 120) for x in n["problems"][:3]))
        if c.node_bound:
            c.node_reports = self.node_reports(c.node_bound)
        mine = {p["name"] for p in pods}
        claims_of = [v for claims in self.ev.volumes.values() for v in claims if mine & set(v.get("mounted_by") or [])]
        for v in sorted(claims_of, key=lambda v: v.get("used_pct") if isinstance(v.get("used_pct"), (int, float)) else -1):
            pct = v.get("used_pct")
            if isinstance(pct, (int, float)) and pct >= 85:
                c.own.insert(0, f"volume {v.get('name')} is {pct:g}% full ({v.get('used') or '?'} of {v.get('capacity') or '?'}, "
                                f"mounted by {', '.join(sorted(mine & set(v.get('mounted_by') or [])))})")
            elif v.get("phase") not in (None, "Bound"):
                c.own.insert(0, f"volume {v.get('name')} is {v.get('phase')} (not Bound)")
        names = {p["name"] for p in pods}
        for e in self.ev.events.get(c.namespace or "", []):
            obj = str(e.get("object", "")).split("/")[-1]
            if e.get("type") == "Warning" and (obj in names or obj == name or obj.startswith(name + "-")):
                if self.sidecar_event(obj, str(e.get("message", ""))):
                    continue  # a sidecar (an exporter, a proxy) restarting says nothing of the main process
                kind = str(e.get("object", "")).split("/")[0].lower()
                liveness = e.get("reason") == "Unhealthy" and "liveness" in str(e.get("message", "")).lower()
                if kind in ("pod", "") and (e.get("reason") in _FAILING_EVENTS or liveness):
                    c.failing = True
                text = f"event {e.get('reason')} on {e.get('object')}: \"{_one_line(e.get('message'))}\" (x{e.get('count') or 1})"
                if text not in c.own:
                    c.own.append(text)
        c.read = self.is_read(c, pods)
        c.names = [n for n, _, _ in self.named_components(c.signatures, {name, self.target or ""})]
        lines = [ln for p in pods for ln in (self.ev.pod_logs.get(p["name"]) or {}).get("lines") or []]
        for ln in lines:
            m = _CAUSED_BY.search(ln)
            if m and m.group(1).strip() not in c.causes:
                c.causes.append(m.group(1).strip())
        for text in c.causes[::-1] + [s.sample for s in c.signatures]:
            # Its own outgoing call refused, not a request it answered with 401 (a user's failed login).
            if _CREDENTIAL.search(text) and not _INBOUND_DENIED.search(text):
                c.credential = _LEVEL_PREFIX.sub("", text.strip())
                break
        # What its configuration points at (env values with hosts), the env name kept: when its errors fail a
        # call without naming the host, the variable whose name the error shares ("cassandra") says which.
        env = {k: str(v) for p in pods for ct in (self.ev.describe.get(p["name"]) or {}).get("containers") or []
               for k, v in (ct.get("env") or {}).items()}
        deps: dict[str, str] = {}
        for key, value in env.items():
            for n, _, _ in self.named_components([Signature(name, "", value, "describe_pod", 1)], {name, self.target or ""}):
                deps.setdefault(n, key)
        c.config_deps = list(deps)
        if not c.names and deps and c.signatures and _CALL_FAILURE.search(c.signatures[0].sample):
            words = {w for w in re.findall(r"[a-z]{4,}", c.signatures[0].sample.lower())}
            fit = [n for n, key in deps.items() if words & {w for w in key.lower().split("_") if len(w) >= 4}]
            c.names = fit or (list(deps) if len(deps) == 1 else [])
            c.via_config = bool(c.names)
        db = self.ev.databases.get(name)
        if db:
            c.database = [str(x) for x in db.get("findings") or []]
            holders = self.connection_holders(db)
            if holders:
                c.database.append(holders)
        if kind == "service":
            known_services = self.known
            c.diagnosis = diagnose(self.ev.observations(), self.ev.deploys, self.ev.unhealthy_services(), name,
                                   only_service=name, known_services=known_services)
        return c

    def node_bound(self, service: str, pods: list[dict], new: list[Signature] | None = None) -> str | None:
        """The one node that every pod logging this service's new errors runs on, when its other pods are quiet there.
        The new errors, not every error: a chronic one logged by every pod would hide where the fault sits."""
        hosts: Counter = Counter()
        for sig in new or []:
            hosts.update(sig.hosts)
        if not hosts:
            hosts = Counter(r.get("host") for r in self.error_rows(service))
        by_name = {p["name"]: p for p in pods}
        nodes = {by_name[h].get("node") for h in hosts if h in by_name}
        all_nodes = {p.get("node") for p in pods}
        if len(nodes) == 1 and len(all_nodes) > 1 and sum(hosts.values()) >= 5:
            node = next(iter(nodes))
            return node if node not in ("", "<none>", None) else None
        return None

    def sidecar_event(self, pod: str, message: str) -> bool:
        """The event names a container of the pod that is not its first (main) one, per describe_pod."""
        m = re.search(r"\bcontainer (?:\\?\"|\')?([a-z0-9][a-z0-9-]*)", message)
        containers = [str(c.get("name")) for c in (self.ev.describe.get(pod) or {}).get("containers") or []]
        return bool(m and len(containers) > 1 and m.group(1) in containers[1:])

    def connection_holders(self, db: dict) -> str | None:
        """Who holds the database's longest-running connections: the client pods' services (by address), else
        the database user; the question after "connections at the limit" is whose they are."""
        rows = db.get("longest_running") or []
        if not rows:
            return None
        by_ip = {p.get("ip"): p for pods in self.ev.pods.values() for p in pods.values() if p.get("ip")}
        who: Counter = Counter()
        for r in rows:
            pod = by_ip.get(r.get("client_addr"))
            name = (self.ev.pod_service(pod["name"]) or pod.get("app") or pod["name"]) if pod else None
            who[name or (f"user {r.get('user')}" if r.get("user") else None) or "unknown clients"] += 1
        (top, n), = who.most_common(1)
        states = Counter(str(r.get("state")) for r in rows)
        if n * 2 < len(rows):
            return None  # spread over many clients: nobody stands out
        return (f"{n} of the {len(rows)} longest-held connections belong to {top}"
                + (f" ({', '.join(f'{k} {v}' for k, v in states.most_common(2))})" if states else ""))

    def node_reports(self, node: str) -> list[str]:
        """Every firing alert, Warning event and non-INFO log line that names the node, the most recent first:
        node-level faults (clock, disk, kernel, network) are reported by node monitoring, not by the pods."""
        word = re.compile(rf"(?<![\w-]){re.escape(node)}(?![\w-])")
        found: list[tuple[datetime, str]] = []
        floor = datetime.min.replace(tzinfo=timezone.utc)
        for svc, h in self.ev.health.items():
            for a in h.get("alerts") or []:
                text = f"{a.get('name', '')}: {a.get('summary') or a.get('description') or ''}"
                if word.search(text) and str(a.get("severity", "")).lower() != "info":
                    at = parse_time(a.get("since"))
                    since = f" (on {svc}, firing for {_age(at)}, since {clock(at)})" if at else f" (on {svc})"
                    found.append((at or floor, f"alert {_one_line(text, 200)}{since}"))
        for rows in self.ev.events.values():
            for e in rows:
                text = f"{e.get('object', '')} {e.get('reason', '')}: {e.get('message', '')}"
                if e.get("type") == "Warning" and word.search(text):
                    found.append((parse_time(e.get("last_seen") or e.get("timestamp")) or floor, f"event {_one_line(text, 200)}"))
        for r in self.ev.log_rows:
            if r.get("level") in ("WARN", "ERROR", "FATAL") and word.search(str(r.get("message", ""))):
                found.append((parse_time(r.get("timestamp")) or floor, f"{r.get('service')} logged \"{_one_line(r.get('message', ''), 200)}\""))
        found.sort(key=lambda x: x[0], reverse=True)
        return list(dict.fromkeys(t for _, t in found))

    def is_read(self, c: Component, pods: list[dict]) -> bool:
        if c.kind == "external":
            return True  # nothing of its own to read from here
        listed = c.namespace in self.ev.listed_all
        # Its own pod read: the log and the describe (limits, env, probes) of at least one pod.
        logs = any(p["name"] in self.ev.pod_logs for p in pods) and any(p["name"] in self.ev.describe for p in pods)
        if c.kind == "service":
            searched = any(s.get("service") == c.name for s in self.ev.searched)
            return c.name in self.ev.health and listed and searched and (logs or not pods)
        return listed and (logs or not pods)

    def limits_of(self, pods: list[dict]) -> dict[str, str]:
        """The container limits of a set of sibling pods, from whichever of them was described."""
        limits: dict[str, str] = {}
        for p in pods:
            for ct in (self.ev.describe.get(p["name"]) or {}).get("containers") or []:
                for k, v in ((ct.get("resources") or {}).get("limits") or {}).items():
                    if v and k not in limits:
                        limits[k] = v
        return limits

    def saturation(self, pod: dict, limits: dict[str, str]) -> list[str]:
        """Usage against limits: CPU at its limit is throttling; memory near its limit is the next OOM."""
        out = []
        cpu, mem = _cpu(pod.get("cpu")), _mem(pod.get("memory"))
        lim_cpu, lim_mem = _cpu(limits.get("cpu")), _mem(limits.get("memory"))
        if cpu is not None and lim_cpu and cpu >= 0.9 * lim_cpu:
            out.append(f"{pod['name']} uses {pod.get('cpu')} CPU of its {limits.get('cpu')} limit, so it is CPU-throttled")
        if mem is not None and lim_mem and mem >= 0.85 * lim_mem:
            out.append(f"{pod['name']} uses {pod.get('memory')} memory of its {limits.get('memory')} limit")
        return out

    # the chain --------------------------------------------------------------------------
    def finding(self) -> Finding:
        target = self.target
        onset = self.onset(target)
        chain: list[Component] = []
        visited: set[str] = set()
        current = (target, "service", self.ev.namespace_of(target)) if target else None
        next_to_read = None
        refused_next = False
        while current is not None and len(chain) <= MAX_DEPTH:
            name, kind, ns = current
            visited.add(name)
            comp = self.component(name, kind, ns, onset.at)
            comp.refused_callers = refused_next
            chain.append(comp)
            if not comp.read:
                next_to_read = comp
                break
            if self.explains_itself(comp):
                break
            nxt = next((n for n in comp.names if n not in visited), None)
            if nxt is None:
                break
            current = self.resolve(nxt) or (nxt, "external", None)
            refused_next = bool(comp.signatures and _CONN_REFUSED.search(comp.signatures[0].sample))
        if len(chain) >= 2:
            last, caller = chain[-1], chain[-2]
            pods = self.ev.service_pods(last.name) if last.kind == "service" else self.pods_named(last.name)
            last.unreached = (last.read and bool(pods) and all(p.get("healthy") for p in pods) and not last.signatures
                              and not last.failing and bool(caller.signatures) and bool(_CONN_REFUSED.search(caller.signatures[0].sample)))
        origin = self.origin_of(chain)
        changes = self.changes(chain, origin, onset)
        trigger = next((c for c in changes if c.before_onset and c.matches), None)
        if trigger is None and origin is not None:
            # No change says what it did in words the errors share: a change of the origin itself that landed just
            # before the onset is still the first suspect (named as a correlation in time, not a match).
            close = [c for c in changes if c.service == origin.name and c.at and onset.at and
                     timedelta(0) <= onset.at - c.at <= TIME_CORRELATION]
            trigger = close[0] if close else None
        established, confidence, hypotheses = self.judge(chain, origin, trigger, changes, onset)
        return Finding(target, onset, chain, origin, changes, trigger, confidence, established, hypotheses, next_to_read)

    def explains_itself(self, c: Component) -> bool:
        """Its own evidence explains its failure: its pods fail for their own reasons, it is saturated, or its
        new errors name nothing further (the error is about itself)."""
        own_fail = c.failing
        d = c.diagnosis
        rule_own = d is not None and d.category is not None and d.category.strength >= 2 and d.category.name not in (
            "upstream-saturation", "certificate-expiry", "dns-failure")
        if own_fail or rule_own or c.saturation or c.database or c.credential:
            return True
        return bool(c.signatures) and not c.names

    def origin_of(self, chain: list[Component]) -> Component | None:
        if not chain:
            return None
        last = chain[-1]
        if last.kind == "external" or last.read or len(chain) == 1:
            return last
        return last  # unread: the analysis names it, with lower confidence

    def changes(self, chain: list[Component], origin: Component | None, onset: Onset) -> list[Change]:
        out: list[Change] = []
        who = [c.name for c in ([origin] if origin else []) + chain if c and c.kind == "service"]
        evidence_text = " ".join(s.sample for c in chain for s in c.signatures) + " " + " ".join(
            o for c in chain for o in c.own + c.causes + c.database)
        ev_words = _words(evidence_text)
        saturated = " ".join(x for c in chain for x in c.saturation).lower()
        # A disk fills over days: the change that set its pace (retention, log level, a new writer) can be that old.
        window = SLOW_BURN_WINDOW if any(slow_burn(c) for c in chain) else CHANGE_WINDOW
        for svc in dict.fromkeys(who):
            for d in self.ev.deploys.get(svc, []):
                at = parse_time(d.get("at"))
                before = at is not None and onset.at is not None and onset.at - window <= at <= onset.at + timedelta(minutes=2)
                if onset.at is None:
                    before = at is not None
                if d.get("status") in ("failed", "rolled_back"):
                    continue
                text = f"{d.get('change') or ''} {_diff_text(d)} {' '.join(map(str, d.get('changes') or []))}"
                matches = len(ev_words & _words(text)) >= 1 or any(i.lower() in text.lower() for i in _idents(evidence_text))
                # A resources change fits a saturation of the same resource.
                matches = matches or any(r in saturated and r in text.lower() for r in ("cpu", "memory"))
                # What sets how fast a disk fills (retention, log volume, sizes) fits a full disk.
                matches = matches or (window is SLOW_BURN_WINDOW and bool(_FILL_RATE.search(text)))
                out.append(Change(svc, d, at, config_only(d), before, matches))
        out.sort(key=lambda c: (not c.before_onset, not c.matches, -(c.at.timestamp() if c.at else 0)))
        return out

    def judge(self, chain: list[Component], origin: Component | None, trigger: Change | None, changes: list[Change],
              onset: Onset) -> tuple[bool, str, list[tuple[str, str]]]:
        hyps: list[tuple[str, str]] = []
        if origin is None:
            return False, "low", [("no service was investigated", "name the paged service")]
        explained = self.explains_itself(origin) if origin.kind != "external" else bool(origin.name)
        has_errors = bool(origin.signatures) or bool(chain and chain[-2:] and any(c.signatures for c in chain))
        if origin.kind == "external":
            via = chain[-2] if len(chain) >= 2 else chain[0]
            if via.credential:
                hyps.append((f"{origin.name} refuses {via.name}'s credential",
                             f"check the key or token {via.name} uses for {origin.name} and its rotation history"))
            hyps.append((f"{origin.name} (outside the cluster) is failing or saturated", f"{origin.name}'s own status page or metrics for the onset time"))
        if not origin.read and origin.kind != "external":
            hyps.append((f"{origin.name} fails on its own", f"{origin.name}'s own pods, events and logs (not readable here)"))
        for c in changes:
            if c.before_onset and not c.matches and c is not trigger:
                hyps.append((f"the change {c.phrase()}", "what it changed against the errors; a canary or rollback that stops them"))
                break
        sat = [s for c in chain for s in c.saturation]
        if sat:
            hyps.append((f"saturation: {sat[0]}", "usage against limits over the onset window"))
        h = self.ev.health.get(self.target or "") or {}
        if h.get("rps"):
            hyps.append((f"load: {self.target} serves {h.get('rps')} rps", "the request rate before and after the onset"))
        if origin.unreached:
            return True, "medium", hyps
        if origin.read and origin.kind != "external" and explained and (has_errors or origin.own):
            conf = "high" if (trigger is not None and trigger.matches) or origin.failing else "medium"
            return True, conf, hyps
        if origin.kind == "external" and has_errors:
            return True, "medium" if origin.credential is None and not chain[-2:-1] else "medium", hyps
        if has_errors and origin.signatures:
            return True, "low", hyps
        return False, "low", hyps


def slow_burn(c: Component) -> bool:
    """Its own evidence says a volume filled up."""
    return any(DISK_FULL.search(t) for t in [*c.causes, *c.own, *(s.sample for s in c.signatures)])


def _age(at: datetime) -> str:
    """How long ago, as an on-call says it: '20m', '2h05m', '2d02h'."""
    mins = max(0, int((datetime.now(timezone.utc) - at).total_seconds() // 60))
    if mins < 120:
        return f"{mins}m"
    hours = mins // 60
    return f"{hours}h{mins % 60:02d}m" if hours < 48 else f"{hours // 24}d{hours % 24:02d}h"


def _span(text: str) -> timedelta | None:
    """A tool's time range ('15m', '6h', '7d') as a duration."""
    m = re.fullmatch(r"(\d+)([mhd])", str(text).strip())
    if not m:
        return None
    return timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[m.group(2)]: int(m.group(1))})


def baseline_keyword(sample: str) -> str | None:
    """The longest fixed stretch of an error message (no numbers, ids or trace ids): a search for it finds the
    same signature at any time, so its lines before the onset can be counted."""
    parts = [p.strip(" :=,;()[]{}\"'-/") for p in _MASK.split(sample) if p]
    best = max((p for p in parts if p and not _MASK.fullmatch(p)), key=len, default="")
    return best[:200] if len(best) >= 10 else None


def recent() -> datetime:
    """With no alert and no metric series to date the onset, errors of the last hour count as recent: a
    signature absent before it (or far more frequent in it) is new. The backends' clock is the wall clock."""
    return datetime.now(timezone.utc) - timedelta(hours=1)


def _cpu(value: Any) -> float | None:
    m = _CPU.match(str(value or ""))
    if not m:
        return None
    return float(m.group(1)) / (1000 if m.group(2) else 1)


def _mem(value: Any) -> float | None:
    m = _MEM.match(str(value or ""))
    if not m:
        return None
    return float(m.group(1)) * _MEM_UNITS[m.group(2)]


def _one_line(text: Any, n: int = 200) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def config_only(d: dict[str, Any]) -> bool:
    kind = str(d.get("kind") or d.get("type") or "").lower()
    if kind in ("config", "config-only", "configmap", "configuration"):
        return True
    image = d.get("image")
    diff = d.get("diff") or {}
    return bool(diff) and isinstance(diff, dict) and "image" not in diff and bool(image is None or d.get("config_only"))


def _diff_text(d: dict[str, Any]) -> str:
    """What a change changed, one clause per item: the server's `changes` lines when it gives them, else the
    raw diff ({area: {key: [old, new]}}, nested as deep as it goes)."""
    if d.get("changes"):
        return _one_line("; ".join(str(c) for c in d["changes"]), 240)
    diff = d.get("diff")
    if not diff:
        return ""
    if isinstance(diff, str):
        return _one_line(diff, 240)
    parts: list[str] = []

    def walk(prefix: str, v: Any) -> None:
        if isinstance(v, (list, tuple)) and len(v) == 2 and not any(isinstance(x, (dict, list)) for x in v):
            old, new = ("absent" if x is None else x for x in v)
            parts.append(f"{prefix} {old} -> {new}")
        elif isinstance(v, dict) and ("from" in v or "to" in v):
            parts.append(f"{prefix} {v.get('from', 'absent')} -> {v.get('to', 'absent')}")
        elif isinstance(v, dict):
            for k, vv in v.items():
                walk(f"{prefix} {k}".strip(), vv)
        else:
            parts.append(f"{prefix}: {v}")

    walk("", diff)
    return _one_line("; ".join(parts), 240)


_STOP = {"the", "and", "for", "with", "from", "into", "that", "this", "when", "after", "before", "only", "all", "new", "add",
         "added", "adds", "fix", "fixes", "update", "updated", "per", "pod", "pods", "since", "last", "run", "error", "errors",
         "failed", "request", "requests", "service", "version", "true", "false", "null", "none"}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z0-9_.-]{4,}", text.lower()) if w not in _STOP}


def _idents(text: str) -> set[str]:
    return set(re.findall(r"\b([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+|[a-z]+_[a-z_]+|[a-z]+(?:\.[a-z]+){2,})\b", text))


def rule_patterns_match(text: str) -> bool:
    return any(c.pattern.search(text) for c in CATEGORIES)
