"""The offline investigator's report: sections written from the evidence and the rules.

The prompt says which sections it wants ("- ROOT CAUSE: ...", "- DECISION: ...");
this writes those, in that order, from what the tools returned.
"""

from __future__ import annotations

import re
from typing import Any

from sre_console.investigate.offline.analysis import (
    _CALL_FAILURE, BUNDLE_NAME, TRUST_FAILURE, Analyst, Change, Finding, clock, config_only, parse_time, relative, slow_burn,
)
from sre_console.investigate.offline.planner import Planner
from sre_console.investigate.offline.rules import Diagnosis, diagnose

DEFAULT_SECTIONS = ("ROOT CAUSE", "SEVERITY", "IMMEDIATE ACTIONS", "RUNBOOK REFERENCE", "FOLLOW-UP")


def _q(text: str, n: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def write_report(plan: Planner) -> str:
    d = plan.diagnosis()
    writer = ReportWriter(plan, d)
    out = []
    sections = list(plan.proc.sections) if plan.proc and plan.proc.sections else list(DEFAULT_SECTIONS)
    for name in sections:
        fn = getattr(writer, "s_" + re.sub(r"[^a-z]+", "_", name.lower()).strip("_"), None)
        if fn is None:
            continue
        body = fn().strip()
        out.append(f"{name}: {body}" if "\n" not in body else f"{name}:\n{body}")
        if name == "ROOT CAUSE":
            out.append("CONFIDENCE: " + writer.confidence())
            out.append("EVIDENCE:\n" + writer.evidence())
    return "\n\n".join(out) + "\n"


class ReportWriter:
    def __init__(self, plan: Any, d: Diagnosis):
        self.plan, self.ev, self.d = plan, plan.ev, d
        self.focus = plan.focus()
        self.culprit = d.culprit or self.focus
        self.f: Finding = plan.analysis()
        self.by_evidence = self.evidence_first()
        if self.by_evidence and self.f.origin is not None and self.f.origin.kind == "service":
            self.culprit = self.f.origin.name

    def evidence_first(self) -> bool:
        """Write the cause from the evidence-first analysis rather than the category rules: when no rule
        matches, or when the rule's culprit is not where the evidence leads and the origin's dominant new
        errors are not what the rule matched (a caller's timeouts, a probe, noise)."""
        f, d = self.f, self.d
        if self.plan.target is None or f.origin is None:
            return False
        sigs = self.origin_signatures()
        if d.category is None:
            return bool(sigs or f.origin.own)
        if any(c.credential for c in f.chain) or f.origin.database:
            return True  # a refused credential or the database's own state is the mechanism, whatever else matched
        followed = len(f.chain) > 1 and f.origin.read and f.origin.kind != "external"
        if d.category.name == "upstream-saturation" and followed:
            return True  # the rule sees a caller's timeouts; the chain read the dependency itself
        if not sigs:
            return False
        if d.category.name == "upstream-saturation" and not _CALL_FAILURE.search(sigs[0].sample):
            return True  # the dominant new error is the service's own, not a call that timed out: a minority matched
        if d.category.pattern.search(sigs[0].sample):
            return False
        own = {o.source for o in d.evidence if o.service == d.culprit} & {"list_pods", "describe_pod", "get_events", "check_service_health"}
        if d.culprit == f.origin.name and own and d.category.strength >= 2:
            return False
        # The rule matched only a few log lines while an error it does not know dominates: the dominant one wins.
        matched = [o for o in d.evidence if o.source in ("search_logs", "count_errors", "get_pod_logs", "trace_transaction")]
        if not own and sigs[0].spiking and sigs[0].count >= 3 * max(1, len(matched)):
            return True
        # The origin must stand on more than "its errors name nothing further": its own failing state, or a
        # hop the errors led to. Otherwise a rule that found the mechanism elsewhere knows more.
        followed = len(f.chain) > 1
        if not (followed or f.origin.own or f.origin.saturation):
            return False
        return d.category.strength < 2 or d.category.name in ("upstream-saturation",)

    def origin_signatures(self) -> list:
        """The dominant new errors that carry the cause: the origin's own, else the last hop's that name it."""
        chain = self.f.chain
        for c in reversed(chain):
            if c.signatures:
                return c.signatures
        return []

    # helpers ------------------------------------------------------------------------
    def ns(self, service: str | None) -> str | None:
        """The namespace from the evidence; None when no tool said it (never a guessed `default`)."""
        return self.ev.namespace_of(service) or (self.plan.focus_ns() if service in (None, self.focus) else None)

    def kn(self, service: str | None) -> str:
        """`-n NS ` for kubectl when the namespace is known, else `-A`-free text the user can complete from evidence."""
        ns = self.ns(service)
        return f"-n {ns} " if ns else ""

    def deployment(self, service: str | None) -> str:
        h = self.ev.health.get(service or "") or {}
        return ((h.get("deployment") or {}).get("name")) or next(
            (s.get("deployment") for s in self.ev.services if s.get("name") == service), None) or (service or "SERVICE")

    def bad_pods(self, service: str | None) -> list[dict]:
        return [p for p in self.ev.service_pods(service) if not p.get("healthy")]

    def quote(self, sources: tuple[str, ...] = ("get_pod_logs", "search_logs", "count_errors", "trace_transaction", "get_events",
                                               "describe_pod")) -> str | None:
        for o in self.d.evidence:
            if o.source in sources and o.service in (self.culprit, None):
                return _q(_strip_time(o.text), 140)
        return None

    def killed_container(self, service: str | None) -> tuple[str, str | None] | None:
        """The container the kernel OOM-killed, and its own memory limit: a sidecar can take the pod down."""
        for name in [p["name"] for p in self.ev.service_pods(service)]:
            containers = (self.ev.describe.get(name) or {}).get("containers") or []
            for c in containers:
                if any(str((c.get(k) or {}).get("reason")) == "OOMKilled" for k in ("state", "last_state")):
                    lim = ((c.get("resources") or {}).get("limits") or {}).get("memory")
                    return str(c.get("name")), lim
        return None

    def limit(self, service: str | None) -> str | None:
        killed = self.killed_container(service)
        if killed and killed[1]:
            return killed[1]
        for name in [p["name"] for p in self.ev.service_pods(service)]:
            for c in (self.ev.describe.get(name) or {}).get("containers") or []:
                lim = ((c.get("resources") or {}).get("limits") or {}).get("memory")
                if lim:
                    return lim
        return None

    def deploy_phrase(self, dep: dict) -> str:
        bits = ["config-only revision" if config_only(dep) else f"deploy {dep.get('version')}"]
        if dep.get("revision") is not None:
            bits.append(f"(revision {dep.get('revision')}")
            bits[-1] += f", {dep.get('ago')} ago" if dep.get("ago") else ""
            bits[-1] += f", by {dep.get('author')})" if dep.get("author") else ")"
        return " ".join(bits) + f": \"{_q(dep.get('change', ''), 200)}\""

    # incident sections ------------------------------------------------------------------
    def s_root_cause(self) -> str:
        if self.plan.proc is None:
            return self.answer_question()
        if self.plan.target is None and not self.ev.traces:
            return self.daily_causes()
        return self.root_cause()

    def answer_question(self) -> str:
        """A question with no prompt: what the sweep of every service found, then the worst one investigated
        with the question as its symptoms; or a plain statement of what could not be answered."""
        q = _q(self.plan.question or "", 120)
        names = [s.get("name") for s in self.ev.services if s.get("name")]
        if not names:
            why = "; ".join(f"{t}: {_q(m, 100)}" for t, _, m in self.ev.failed[:2]) or "no service list"
            return (f"not established: the question \"{q}\" cannot be answered offline: the sweep of every service's health "
                    f"could not run ({why}).")
        checked = [n for n in names if n in self.ev.health]
        bad = sorted((h for h in self.ev.health.values() if h.get("status") in ("critical", "degraded")), key=_rank)
        failed = [n for n in names if n not in self.ev.health]
        sweep = f"a sweep of {len(checked)} of {len(names)} services' health"
        if failed:
            sweep += f" ({', '.join(failed[:5])} did not answer)"
        if self.plan.target is None:
            if bad:
                return f"not established: {sweep} found {', '.join(h['service'] + ' ' + h['status'] for h in bad)}, but none could be investigated."
            return (f"none found: {sweep} shows every one healthy ({', '.join(checked[:12])}); nothing in their health explains "
                    f"\"{q}\", so its cause is not established from these signals.")
        others = [f"{h['service']} {h['status']}" for h in bad if h.get("service") != self.plan.target]
        head = (f"Asked \"{q}\": {sweep} found {self.plan.target} {self.ev.health[self.plan.target].get('status')}"
                + (f" (also {', '.join(others[:4])})" if others else "") + f"; {self.plan.target}, the worst, was investigated with the "
                    f"question as its symptoms.")
        return head + " " + self.root_cause()

    def daily_causes(self) -> str:
        """One cause per service that is not healthy, each from that service's own evidence."""
        lines = []
        bad = self.ev.unhealthy_services()
        for svc, h in sorted(self.ev.health.items(), key=lambda kv: _rank(kv[1])):
            if h.get("status") == "healthy":
                continue
            d = diagnose(self.ev.observations(), self.ev.deploys, bad, svc, only_service=svc)
            sub = ReportWriter(self.plan, d)
            sub.focus = sub.culprit = svc
            lines.append(f"- {svc}: " + sub.rule_root_cause())
        return "\n".join(lines) or "none: every service is healthy."

    def root_cause(self) -> str:
        if self.plan.target is not None and self.plan.target not in self.ev.health and not self.ev.calls_ok():
            return self.tools_failed()
        if self.plan.target is not None and Analyst(self.ev, self.plan.target).quiet(self.plan.target):
            return self.healthy()
        past = Analyst(self.ev, self.plan.target).resolved(self.plan.target) if self.plan.target is not None else None
        if past:
            return self.resolved(past)
        if self.by_evidence:
            return self.evidence_root_cause()
        text = self.rule_root_cause()
        if self.f.onset.at is not None and self.plan.target is not None:
            text += " " + self.f.onset.sentence()
        return text

    def healthy(self) -> str:
        """The service shows no fault: say so, with what was checked, and never blame old noise."""
        t = self.plan.target
        h = self.ev.health.get(t or "") or {}
        er, p99 = h.get("error_rate"), h.get("p99_ms")
        text = (f"none found: {t} is healthy in every signal checked (verdict healthy, error rate {'' if er is None else f'{er:.1%}'}, "
                f"p99 {'' if p99 is None else f'{p99:.0f} ms'}, no firing alert, no unhealthy pod); no fault is established.")
        sigs = Analyst(self.ev, t).signatures(t, None)
        if sigs:
            s = sigs[0]
            text += (f" Its errors are old and rare, not a fault: \"{_q(s.sample, 120)}\" ({s.count}x, present since {clock(s.first)}, "
                     "before any change in the window).")
        if self.plan.symptoms:
            text += f" The report \"{_q(self.plan.symptoms, 100)}\" is not borne out by these signals."
        return text

    def deploy_just_before(self, svc: str | None) -> dict | None:
        """A deploy of the service within 20 minutes before its first failing evidence, when its own pods fail."""
        from datetime import timedelta

        if not svc or not self.bad_pods(svc):
            return None
        times = [t for t in (parse_time(o.at) for o in self.d.evidence if o.service == svc) if t]
        onset = self.f.onset.at or (min(times) if times else None)
        if onset is None:
            return None
        for dep in self.ev.deploys.get(svc) or []:
            at = parse_time(dep.get("at"))
            if dep.get("status") not in ("failed", "rolled_back") and at is not None and timedelta(0) <= onset - at <= timedelta(minutes=20):
                return dep
        return None

    def resolved(self, sigs: list) -> str:
        """Healthy now; the errors stopped: say it is over, what it was, and what the cluster recorded then."""
        t = self.plan.target
        h = self.ev.health.get(t or "") or {}
        er = h.get("error_rate")
        last = max(s.last for s in sigs)
        first = min(s.first for s in sigs if s.first) if any(s.first for s in sigs) else None
        text = (f"no ongoing fault: {t} is healthy now (verdict healthy, error rate {'' if er is None else f'{er:.1%}'}, no firing alert, "
                f"no unhealthy pod). It failed for a while and recovered: \"{_q(sigs[0].sample, 140)}\" ({sum(s.count for s in sigs)}x"
                + (f" from {clock(first)}" if first else "") + f" to {clock(last)}), nothing since. No fault is established now.")
        ns = self.ev.namespace_of(t)
        then = [f"{e.get('reason')} on {e.get('object')}: \"{_q(str(e.get('message', '')), 140)}\"" for e in self.ev.events.get(ns or "", [])
                if e.get("type") == "Warning" and (str(e.get("object", "")).split("/")[-1].startswith(str(t)))][:2]
        if then:
            text += " What the cluster recorded then: " + "; ".join(then) + "."
        return text

    def tools_failed(self) -> str:
        failed = self.ev.failed
        why = "; ".join(f"{t}: {_q(msg, 90)}" for t, _, msg in failed[:3])
        return (f"not established: the tools failed ({len(failed)} of {len(self.ev.calls)} calls), so there is no evidence about "
                f"{self.plan.target} to reason from ({why}). Retry when the backends answer; nothing here says what is wrong.")

    def evidence_root_cause(self) -> str:
        """The cause as the evidence-first analysis found it: origin, mechanism (quoted), trigger, path."""
        f = self.f
        origin = f.origin
        parts: list[str] = []
        sigs = self.origin_signatures()
        onset = f.onset.at
        if origin.kind == "external":
            via = next((c for c in reversed(f.chain[:-1]) if c.signatures), f.chain[0])
            head = f"{origin.name}, outside the cluster, fails {via.name}'s calls"
            if via.credential:
                head += (f": it refuses {via.name}'s credential (\"{_q(via.credential, 200)}\"), so the key or token {via.name} "
                         "uses for it was revoked, expired or rotated")
            quotes = [s.quote(onset) for s in via.signatures[:2] if s.sample != via.credential]
            counted = next((s for s in via.signatures if s.sample == via.credential), None)
            if counted is not None:
                rel = relative(counted.first, onset)
                head += f" ({counted.count}x, first seen {clock(counted.first)}{', ' + rel if rel else ''})"
            parts.append(head + "." + (f" {via.name}'s other new errors: " + "; ".join(quotes) + "." if quotes else ""))
        elif origin.unreached:
            caller = f.chain[-2]
            ns = self.ns(origin.name)
            parts.append(f"Traffic does not reach {origin.name}: its pods are Running and Ready and log no errors, yet {caller.name}'s calls to it "
                         f"are refused at the connection ({caller.signatures[0].quote(onset, 180)}). So the Service {origin.name} most likely has "
                         f"no ready endpoints: its selector no longer matches the pods' labels, or a NetworkPolicy blocks the port"
                         + (f" (in namespace {ns})." if ns else "."))
        elif not f.established:
            return self.not_established()
        else:
            lead = f"{origin.name} is where the failure starts"
            own_sigs = origin.signatures
            if not own_sigs and sigs and len(f.chain) > 1:
                caller = next(c for c in reversed(f.chain[:-1]) if c.signatures)
                lead += f": {caller.name}'s calls to it fail, dominated by " + sigs[0].quote(onset)
            elif sigs:
                lead += ": its dominant new error since the onset is " + sigs[0].quote(onset)
                if len(sigs) > 1:
                    lead += ", then " + sigs[1].quote(onset, 160)
            parts.append(lead + ".")
            if origin.node_bound:
                pods = [p for p in self.ev.service_pods(origin.name) if p.get("node") == origin.node_bound]
                parts.append(f"Its errors come only from its pods on node {origin.node_bound} ({', '.join(p['name'] for p in pods[:3])}); "
                             f"its pods on other nodes serve the same requests without them, so something about that node is the difference.")
                if origin.node_reports:
                    parts.append(f"What is reported about {origin.node_bound}: " + "; ".join(origin.node_reports[:3]) + ".")
                else:
                    parts.append(f"Nothing read so far says what is wrong with {origin.node_bound}: not established.")
            if origin.causes:
                parts.append(f"The innermost cause in its pod log: \"{_q(origin.causes[-1], 200)}\".")
            if origin.database:
                parts.append("Its database activity: " + "; ".join(origin.database[:3]) + ".")
            if origin.own:
                parts.append("Its own state: " + "; ".join(_q(o, 160) for o in origin.own[:3]) + ".")
            if origin.saturation:
                parts.append("Saturation: " + "; ".join(origin.saturation[:2]) + ".")
            od = origin.diagnosis
            own_sources = {"describe_pod", "get_events", "list_pods", "check_service_health"}
            if od is not None and od.category is not None and od.category.name not in ("upstream-saturation",) and (
                    any(od.category.pattern.search(s.sample) for s in sigs[:2]) or any(o.source in own_sources for o in od.evidence)):
                top = next((o for o in od.evidence if o.source in own_sources), od.evidence[0] if od.evidence else None)
                parts.append(f"That is {od.category.mechanism}" + (f": \"{_q(_strip_time(top.text), 180)}\"." if top else "."))
            holder = self.credential_holder()
            if holder is not None:
                refuser = self.next_hop(holder)
                parts.append(f"{refuser or 'Its dependency'} refuses {holder.name}'s credential (\"{_q(holder.credential, 160)}\"): the password, key "
                             f"or token {holder.name} uses was rotated, revoked or expired, so update the Secret it reads rather than restart it.")
        parts.append(self.trigger_sentence(origin if origin.kind != "external" else next(
            (c for c in reversed(f.chain[:-1]) if c.kind == "service"), origin)))
        victims = [c.name for c in f.chain if c is not origin and c.kind != "external"]
        if victims:
            hops = " → ".join(c.name for c in f.chain)
            parts.append(f"Path (each hop a victim of the next, not a cause): {hops}; its errors name the next hop.")
        parts.append(f.onset.sentence())
        return " ".join(p for p in parts if p)

    def credential_holder(self) -> Any:
        """The component nearest the paged service whose evidence shows its credential refused."""
        return next((c for c in self.f.chain if c.credential and c.kind != "external"), None)

    def next_hop(self, c: Any) -> str | None:
        chain = self.f.chain
        i = chain.index(c)
        return chain[i + 1].name if i + 1 < len(chain) else (c.names[0] if c.names else None)

    def trigger_sentence(self, origin: Any) -> str:
        f = self.f
        t = f.trigger
        if t is not None:
            when = relative(t.at, f.onset.at)
            if not t.matches:
                return (f"Likely trigger, by timing: {t.phrase()}, which landed {when or 'before the onset'}; what it changed "
                        "does not show in the errors, so check it first.")
            record = self.rollout_record(t.service) if t.deploy.get("revision") is not None else ""
            return f"Trigger: {t.phrase()}, which landed {when or 'before the onset'} and matches the errors.{record}"
        before = [c for c in f.changes if c.before_onset]
        if before:
            c = before[0]
            return (f"A change preceded the onset but does not match the errors, so it is not blamed: {c.phrase(diff=False)} "
                    f"({relative(c.at, f.onset.at) or 'before the onset'}).")
        who = origin.name if origin is not None else self.focus
        return f"No deploy or config change of {who} precedes the onset within 24h, so the trigger is load or the environment, not a change."

    def rollout_record(self, service: str | None) -> str:
        """What the cluster's rollout history says of the running revision: it confirms (or not) the deploy log."""
        ns = self.ev.namespace_of(service)
        hist = next((h for (hns, _), h in self.ev.rollouts.items() if hns == ns and (h.get("deployment") or h.get("name")) in
                     (self.deployment(service), service)), None)
        if not hist:
            return ""
        revs = hist.get("revisions") or []
        cur = next((r for r in revs if r.get("current")), None)
        if cur is None:
            return ""
        kind = ((cur.get("diff") or {}).get("change_kind")) or "none"
        changes = "; ".join(str(c) for c in ((cur.get("diff") or {}).get("changes") or [])[:2])
        head = f" The cluster's rollout history: revision {cur.get('revision')} is current" + (f" ({cur.get('age')} old)" if cur.get("age") else "")
        if kind == "none":
            return head + "; against the revision before it, it changed no image, env, resources, probes or config reference."
        what = "a change outside images, env, resources and probes" if kind == "other" else f"a {kind} change"
        return head + f", {what} from the one before" + (f": {_q(changes, 200)}." if changes else ".")

    def not_established(self) -> str:
        f = self.f
        known = []
        target = self.plan.target
        h = self.ev.health.get(target or "") or {}
        if h:
            known.append(f"{target} is {h.get('status')}" + (f" ({'; '.join(h.get('reasons') or [])[:160]})" if h.get("reasons") else ""))
        sigs = self.origin_signatures()
        if sigs:
            known.append("its most frequent error is " + sigs[0].quote(f.onset.at, 160))
        text = "not established: " + ("; ".join(known) or "the evidence gathered does not show a failure") + "."
        if f.hypotheses:
            text += " Leading hypotheses: " + " ".join(f"{i}) {h} (would confirm: {c})." for i, (h, c) in enumerate(f.hypotheses[:3], 1))
        return text

    def confidence(self) -> str:
        f = self.f
        if self.plan.target is None:
            return "medium: a sweep of every service's health" if self.ev.health else "low: no service answered"
        if self.plan.target not in self.ev.health and not self.ev.calls_ok():
            return "low: the tools failed, nothing was observed"
        if not self.by_evidence:
            d = self.d
            if d.category is None:
                h = self.ev.health.get(self.focus or "") or {}
                return "medium: every signal checked is healthy" if h.get("status") == "healthy" else "low: no failure pattern matched"
            level = "high" if (d.deploy is not None or d.category.strength >= 2) and len(d.evidence) >= 2 else "medium"
            return f"{level}: the {d.category.name} pattern in {len({o.source for o in d.evidence})} kinds of evidence" + (
                f", and a matching change ({d.deploy.get('version')})" if d.deploy is not None else "")
        why = []
        if f.origin is not None:
            why.append(f"the origin {f.origin.name}'s own evidence was {'read' if f.origin.read else 'not readable'}")
        why.append("a matching change precedes the onset" if f.trigger is not None else "no matching change")
        return f"{f.confidence}: " + ", ".join(why)

    def rule_root_cause(self) -> str:
        d, svc = self.d, self.culprit
        if d.category is None:
            h = self.ev.health.get(self.focus or "") or {}
            if h.get("status") == "healthy" or not h:
                return f"none found: {self.focus or 'the service'} looks healthy in every signal checked (no unhealthy pods, no error pattern)."
            return f"{self.focus} is {h.get('status')} ({'; '.join(h.get('reasons') or [])[:200]}) but no known failure pattern explains it yet."
        cat = d.category.name
        parts = []
        bad = self.bad_pods(svc)
        if cat == "memory-exhaustion":
            lim = self.limit(svc)
            reasons = {((p.get("last_termination") or {}).get("reason")) for p in bad} - {None}
            pods = ", ".join(p["name"] for p in bad[:4])
            s = f"{svc} is failing from memory exhaustion"
            killed = self.killed_container(svc)
            several = len({c.get("name") for p in self.ev.service_pods(svc) for c in (self.ev.describe.get(p["name"]) or {}).get("containers") or []}) > 1
            if pods:
                s += f": pods {pods} were {'/'.join(sorted(reasons)) or 'killed'}"
                if killed and several:
                    s += f" (container {killed[0]})"
                codes = {str((p.get("last_termination") or {}).get("exit_code")) for p in bad} - {"None"}
                s += f" (exit {', '.join(sorted(codes))}" + (f", memory limit {lim})" if lim else ")") if codes else ""
            oom = next((o.text for o in d.evidence if re.search(r"OutOfMemory|heap", o.text)), None)
            if oom:
                s += f" after \"{_q(_strip_time(oom), 110)}\""
            if d.component:
                s += f" in {d.component}"
            parts.append(s + ".")
        elif cat == "upstream-saturation":
            up = d.upstream or "a dependency"
            parts.append(f"{svc} is a victim of upstream saturation in {up}: calls to {up} time out and fail "
                         f"(\"{self.quote() or 'timeouts'}\"), so requests queue and circuit breakers open; "
                         f"{svc}'s own pods are {'failing too' if bad else 'healthy'}.")
        elif cat == "autoscaler-blind":
            hpa = next((h for rows in self.ev.hpas.values() for h in rows if str(h.get("target", "")).split("/")[-1] == self.deployment(svc)
                        and h.get("problems")), None)
            held = (f"HPA {hpa.get('name')} holds {hpa.get('current')} replicas (min {hpa.get('min')}, max {hpa.get('max')})"
                    if hpa else "its autoscaler holds the replica count")
            sat = self.culprit_saturation(svc)
            parts.append(f"{svc} suffers {d.category.mechanism}: {held} because it cannot read its metrics "
                         f"(\"{_q(self.quote() or d.evidence[0].text, 200)}\")" + (f", while {sat}" if sat else "") + ".")
            if d.upstream:
                h = self.ev.health.get(d.upstream) or {}
                alerts = "; ".join(f"{a.get('name')}: {_q(a.get('summary') or '', 120)}" for a in (h.get("alerts") or [])[:2])
                state = f" ({h.get('status')}" + (f"; firing {alerts}" if alerts else "") + ")" if h else ""
                parts.append(f"The metrics come from {d.upstream}{state}: it is where to look next; every HPA that reads the same API is blind too.")
        elif cat == "node-failure":
            down = self.failed_nodes()
            on = [p for p in self.ev.service_pods(svc) if p.get("node") in down]
            where = f"node {', '.join(down)}" if down else "a node"
            lost = f" {len(on)} of {svc}'s pods ran there ({', '.join(p['name'] for p in on[:3])})" if on else ""
            parts.append(f"{svc} suffers a node failure: {where} stopped reporting"
                         + (f" (\"{_q(self.node_problem(down[0]), 140)}\")" if down else "")
                         + f", so its pods there are lost or stuck terminating, their replacements wait to be scheduled, and the remaining pods "
                         f"carry all the load.{lost + '.' if lost else ''} Evidence: \"{self.quote() or d.evidence[0].text}\".")
            related = self.related_warnings(self.ev.namespace_of(svc), exclude_pattern=True)
            if related:
                parts.append("Related warnings: " + "; ".join(f"\"{_q(r, 150)}\"" for r in related) + ".")
        elif cat == "certificate-expiry" and d.upstream and TRUST_FAILURE.search(" ".join(o.text for o in d.evidence)):
            # Not an expiry: the client does not trust who signed the certificate the server now presents.
            ev_text = next(o.text for o in d.evidence if TRUST_FAILURE.search(o.text))
            parts.append(f"{svc} does not trust the certificate {d.upstream} presents: \"{_q(_strip_time(ev_text), 200)}\". The certificate "
                         f"is signed by a CA (or intermediate) missing from {svc}'s trust bundle, so every handshake fails; "
                         f"the certificate itself is not the problem.")
            changed = [c for c in (self.ev.deploys.get(d.upstream) or []) if c.get("status") not in ("failed", "rolled_back")]
            if changed:
                c0 = changed[0]
                parts.append(f"What changed on {d.upstream}: \"{_q(str(c0.get('change') or ''), 160)}\"" + (f" ({c0.get('ago')} ago)" if c0.get("ago") else "")
                             + ": its certificate was re-issued, and its callers' trust must follow the new issuer.")
            bundles = [f"{ns}/{n}" for (ns, n), cm in self.ev.configmaps.items() if BUNDLE_NAME.search(n or "")
                       and ns == self.ev.namespace_of(svc)]
            if bundles:
                parts.append(f"{svc}'s trust bundle: ConfigMap {', '.join(bundles)} (read); add the new CA to it.")
        elif cat == "certificate-expiry" and d.upstream:
            parts.append(f"{d.upstream}'s TLS certificate has expired: its clients ({svc}) fail the handshake "
                         f"(\"{self.quote() or d.evidence[0].text}\").")
            related = self.related_warnings(d.upstream_ns or self.ev.namespace_of(d.upstream))
            if related:
                parts.append("Why it was not renewed: " + "; ".join(f"\"{_q(r, 150)}\"" for r in related) + ".")
        else:
            where = f" on pods {', '.join(p['name'] for p in bad[:3])}" if bad else ""
            parts.append(f"{svc} suffers {d.category.mechanism}{where}: \"{self.quote() or d.evidence[0].text}\".")
            related = self.related_warnings(self.ev.namespace_of(svc), exclude_pattern=True)
            if related:
                parts.append("Related warnings: " + "; ".join(f"\"{_q(r, 150)}\"" for r in related) + ".")
        if cat == "resource-pressure-eviction" and d.writer is not None:
            paths = sorted({m for o in d.evidence if o.service == svc for m in _paths(o.text)})
            parts.append(f"What fills the disk: {svc} writes to {', '.join(paths[:2]) or 'the node'} and fails "
                         f"(\"{_q(_strip_time(d.writer.text), 140)}\"); the evicted pods are victims of that writer.")
        if cat == "cache-eviction":
            parts.extend(self.cache_growth())
        if cat == "dns-failure":
            ups = _upstream_resolvers(self.ev)
            if ups:
                parts.append(f"The cluster resolver's upstream lookups to {', '.join(ups)} time out (\"{_q(next(iter(ups.values())), 120)}\").")
        if d.deploy is not None:
            owner = d.deploy.get("service") or svc
            parts.append(f"Trigger: {owner} {self.deploy_phrase(d.deploy)}, which landed shortly before the errors and matches them"
                         + (f" ({d.component} appears in both the change and the failing code)." if d.component else "."))
        elif cat != "upstream-saturation" and (close := self.deploy_just_before(svc)) is not None:
            # The pods failing for their own reasons right after a deploy: the deploy is the first suspect by timing.
            parts.append(f"Likely trigger, by timing: {svc} {self.deploy_phrase(close)}, which landed just before its pods began to fail; "
                         "what it changed does not show in the errors, so check it first (a rollback tests it).")
        elif cat != "upstream-saturation":
            parts.append(f"No deploy of {svc} matches these errors, so the trigger is load or the environment rather than a change.")
        if svc != self.focus and self.focus:
            # A dependency is claimed only from evidence: the paged service's errors name the culprit.
            if any(svc in c.names for c in self.f.chain):
                parts.append(f"{self.focus} is a victim, not a cause: its errors name {svc}.")
            else:
                parts.append(f"{self.focus}'s own errors do not name {svc}; how the two connect is not established.")
        for tid, t in list(self.ev.traces.items())[:1]:
            first = (t.get("failed_at") or {}).get("service")
            if self.plan.target is None and first and first != svc:
                parts.append(f"Transaction {tid} passed {' → '.join(t.get('services') or [])}; its first logged error was in {first}, "
                             f"a symptom of {svc}'s failure rather than its cause.")
        return " ".join(parts)

    def cache_growth(self) -> list[str]:
        """What creates the keys: growth of the key count in the cache's own stats, and the client that
        dominates the traffic (user agent, source address) in the access logs."""
        out = []
        stats = sorted(((r.get("timestamp") or "", r.get("message", "")) for r in self.ev.log_rows if _KEYS.search(r.get("message", ""))))
        if len(stats) >= 2:
            first, last = _KEYS.search(stats[0][1]).group(1), _KEYS.search(stats[-1][1]).group(1)
            if first != last:
                out.append(f"The key count grew from keys={first} to keys={last}.")
        agents: dict[str, int] = {}
        samples: dict[str, str] = {}
        rows = [r.get("message", "") for r in self.ev.log_rows]
        for msg in rows:
            m = _AGENT.search(msg)
            if m:
                ua = m.group(1) or m.group(2)
                agents[ua] = agents.get(ua, 0) + 1
                samples.setdefault(ua, msg)
        if agents:
            top = max(agents, key=agents.get)
            total = sum(agents.values())
            if agents[top] * 2 > total and agents[top] >= 5:
                kind = "an automated client (bot)" if _SCRIPTED.search(top) else "one client"
                out.append(f"What creates the keys: {kind} with user agent {top} sends {agents[top]} of {total} logged requests "
                           f"(\"{_q(_strip_time(samples[top]), 130)}\").")
        return out

    def related_warnings(self, ns: str | None, exclude_pattern: bool = False) -> list[str]:
        """Warning events in the culprit's namespace that the category did not already explain."""
        if not ns:
            return []
        out = []
        for e in self.ev.events.get(ns, []):
            text = f"{e.get('reason')}: {e.get('message')}"
            if e.get("type") != "Warning" or (self.d.category and self.d.category.pattern.search(text) and not exclude_pattern):
                continue
            if exclude_pattern and self.d.category and not self.d.category.pattern.search(text):
                continue
            if text not in out:
                out.append(text)
        return out[:2]

    def evidence(self) -> str:
        lines = []
        seen = set()
        for o in self.d.evidence[:8]:
            t = _q(o.text, 150)
            if t in seen:
                continue
            seen.add(t)
            lines.append(f"- [{o.source}] {o.service or '?'}: {t}")
        for dep in self.d.ruled_out_deploys[:3]:
            lines.append(f"- ruled out: {dep.get('service')} {dep.get('version')} ({dep.get('ago', '?')} ago) because {dep['why']}")
        return "\n".join(lines) or "- no error evidence found"

    def s_severity(self) -> str:
        worst = None
        for svc in filter(None, {self.focus, self.culprit, *self.ev.health}):
            h = self.ev.health.get(svc)
            if h and (worst is None or _rank(h) < _rank(worst)):
                worst = h
        if worst is None:
            return "P3: no health data was gathered; treat as contained until checked."
        er = worst.get("error_rate") or 0
        ready = (worst.get("deployment") or {}).get("ready_replicas")
        desired = (worst.get("deployment") or {}).get("desired")
        crit_alert = any(str(a.get("severity")).lower() == "critical" for a in worst.get("alerts") or [])
        why = f"{worst.get('service')} is {worst.get('status')}, error rate {er:.1%}" + (f", {ready}/{desired} replicas ready" if desired else "")
        if worst.get("status") == "critical" and (er >= 0.05 or crit_alert or (desired and ready is not None and ready * 2 < desired)):
            return f"P1: customer-facing failures: {why}."
        if worst.get("status") in ("critical", "degraded"):
            return f"P2: major degradation: {why}."
        if self.d.category is not None:
            return f"P3: minor and contained: {why}."
        return f"P4: no user impact: {why}."

    def s_immediate_actions(self) -> str:
        """Actions that fit the evidence, with names and namespaces from it; never a placeholder."""
        steps = self.evidence_actions() if self.by_evidence else self.rule_actions()
        # kubectl addresses a StatefulSet or DaemonSet as such (list_workloads says which kind runs a name).
        kinds = {w.get("name"): w.get("kind") for ws in self.ev.workloads.values() for w in ws if w.get("kind") in ("StatefulSet", "DaemonSet")}
        for name, kind in kinds.items():
            steps = [re.sub(rf"\bdeployment/{re.escape(str(name))}\b", f"{str(kind).lower()}/{name}", st) for st in steps]
        svc = self.culprit
        if svc and self.ev.service_pods(svc) or svc in self.ev.health:
            app = next((p.get("app") for p in self.ev.service_pods(svc) if p.get("app")), svc)  # the label its pods carry
            steps.append(f"Watch recovery: `kubectl {self.kn(svc)}get pods -l app={app} -w` and the error rate in `sre-console`.")
        if not steps:
            steps.append("Nothing to change yet: the evidence does not establish a cause (see the hypotheses above).")
        return "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))

    def revert_change(self, change: Any) -> list[str]:
        """A deploy that a rollback reverts is rolled back; a config-only change is reverted where it was made
        (a rollback does not revert a ConfigMap edited in place)."""
        svc = change.service
        kn, dep = self.kn(svc), self.deployment(svc)
        d = change.deploy
        text = f"{d.get('change') or ''} {d.get('diff') or ''}"
        diff = d.get("diff") if isinstance(d.get("diff"), dict) else {}
        named = [str(k) for k in (diff.get("configmaps") or {})] if isinstance(diff.get("configmaps"), dict) else []
        m = _CONFIGMAP.search(text)
        cm_name = named[0] if named else (m.group(1) if m else None)
        if change.config_only or cm_name:
            out = []
            if cm_name:
                keys = (diff.get("configmaps") or {}).get(cm_name) if named else None
                what = "; ".join(f"{k}: {_absent(v[0])} → {_absent(v[1])}" for k, v in keys.items() if isinstance(v, (list, tuple)) and len(v) == 2) \
                    if isinstance(keys, dict) else ""
                version = f"{d.get('version')} " if d.get("version") and not change.config_only else ""  # a config revision is no version
                out.append(f"Revert the config change {version}in ConfigMap {cm_name}{f' ({what})' if what else ''} "
                           f"(it is edited in place, so `rollout undo` would not revert it): `kubectl {kn}edit configmap/{cm_name}`, then "
                           f"`kubectl {kn}rollout restart deployment/{dep}` if the process reads it only at start.")
            else:
                out.append(f"Revert the config-only revision {d.get('revision') or d.get('version')} of {dep} (it changed the pod template, "
                           f"so the previous revision restores it): `kubectl {kn}rollout undo deployment/{dep}`.")
            return out
        if d.get("revision") is not None:
            return [f"Roll back {dep} to the revision before {d.get('version')}: `kubectl {kn}rollout undo deployment/{dep}` "
                    f"(then `kubectl {kn}rollout status deployment/{dep}`)."]
        return [f"Revert {d.get('version')}: `kubectl {kn}rollout undo deployment/{dep}`."]

    def disk_actions(self, origin: Any) -> list[str]:
        """A full volume: make room now (expand the claim when its class allows), then fix what fills it."""
        pods = self.ev.service_pods(origin.name) if origin.kind == "service" else list(self.ev.pods.get(origin.namespace or "", {}).values())
        names = {p["name"] for p in pods}
        claims = sorted((v for vs in self.ev.volumes.values() for v in vs if names & set(v.get("mounted_by") or [])
                         and isinstance(v.get("used_pct"), (int, float)) and v["used_pct"] >= 85), key=lambda v: -v["used_pct"])
        out = []
        for v in claims[:2]:
            ns = v.get("namespace") or origin.namespace
            bigger = _grow(v.get("capacity"))
            out.append(f"Make room on {v.get('name')} ({v.get('used_pct'):g}% full): expand it if its StorageClass allows expansion "
                       f"(`kubectl get storageclass {v.get('storage_class') or ''}`".rstrip() + ")"
                       + (f": `kubectl -n {ns} patch pvc {v.get('name')} -p '{{\"spec\":{{\"resources\":{{\"requests\":{{\"storage\":\"{bigger}\"}}}}}}}}'`"
                          if bigger and ns else "") + "; otherwise free space by deleting what the retention should have removed.")
        if not claims:
            where = min(names) if names else f"deployment/{self.deployment(origin.name)}"
            out.append(f"Find the full volume: `kubectl {self.kn(origin.name)}exec {where} -- df -h`.")
        return out

    def evidence_actions(self) -> list[str]:
        f = self.f
        origin = f.origin
        steps: list[str] = []
        if origin is None:
            return steps
        if origin.kind == "external":
            via = next((c for c in reversed(f.chain[:-1]) if c.kind == "service"), None)
            if via is not None:
                kn, dep = self.kn(via.name), self.deployment(via.name)
                if via.credential:
                    steps.append(f"Rotate the credential {via.name} uses for {origin.name}: issue a new one with the provider, put it in the "
                                 f"Secret the deployment reads (`kubectl {kn}get deployment/{dep} -o jsonpath='{{..secretKeyRef.name}}'`), "
                                 f"then `kubectl {kn}rollout restart deployment/{dep}`. Restarting without a new credential changes nothing.")
                else:
                    steps.append(f"Check {origin.name} from inside the cluster: `kubectl {kn}exec deployment/{dep} -- "
                                 f"curl -sS -o /dev/null -w '%{{http_code}} %{{time_total}}s\\n' https://{origin.name}/`, and its provider's status page.")
                    steps.append(f"Protect {via.name} while {origin.name} fails: lower its timeouts and retries so callers fail fast.")
            return steps
        if origin.unreached:
            kn = self.kn(origin.name)
            steps.append(f"Compare what the Service selects with the pods' labels: `kubectl {kn}get endpoints {origin.name}`, "
                         f"`kubectl {kn}get service {origin.name} -o jsonpath='{{.spec.selector}}'` and "
                         f"`kubectl {kn}get pods --show-labels | grep {origin.name}`.")
            steps.append(f"Make them match again (the Service's selector or the pods' labels), or find the NetworkPolicy: `kubectl {kn}get networkpolicy`.")
        if f.trigger is not None:
            steps += self.revert_change(f.trigger)
        kn, dep = self.kn(origin.name), self.deployment(origin.name) if origin.kind == "service" else origin.name
        if origin.credential:
            steps.append(f"Rotate the credential {origin.name} presents (\"{_q(origin.credential, 90)}\") and restart it: "
                         f"`kubectl {kn}rollout restart deployment/{dep}`.")
        bad = [p for p in (self.ev.service_pods(origin.name) if origin.kind == "service" else []) if not p.get("healthy")]
        if bad and int(bad[0].get("restarts") or 0) > 0:
            steps.append(f"Keep the crash evidence: `kubectl {kn}logs {bad[0]['name']} --previous > {bad[0]['name']}-previous.log`.")
        if slow_burn(origin):
            steps += self.disk_actions(origin)
        for sat in ([] if slow_burn(origin) or origin.causes else origin.saturation[:1]):
            steps.append(f"Relieve the saturation ({sat}): `kubectl {kn}describe pod {sat.split()[0]}` for its limits, then raise them "
                         f"with `kubectl {kn}set resources deployment/{dep}` to what the usage shows.")
        sigs = self.origin_signatures()
        if sigs and origin.kind == "service":
            frag = _grep_fragment(sigs[0].sample)
            steps.append(f"Confirm the error is still growing on {origin.name}: `kubectl {kn}logs deployment/{dep} --since=15m | grep -cF '{frag}'`.")
        return steps

    def rule_actions(self) -> list[str]:
        svc, d = self.culprit, self.d
        kn, dep = self.kn(svc), self.deployment(svc)
        bad = self.bad_pods(svc)
        pod = bad[0]["name"] if bad else None
        steps: list[str] = []
        cat = d.category.name if d.category else None
        trigger = next((c for c in self.f.changes if c.deploy is d.deploy or c.deploy == d.deploy), None) if d.deploy is not None else None
        if trigger is not None:
            steps += self.revert_change(trigger)
        elif d.deploy is not None:
            owner = d.deploy.get("service") or svc
            steps += self.revert_change(_as_change(owner, d.deploy))
        if cat == "memory-exhaustion":
            lim = self.limit(svc)
            if d.deploy is None:
                if lim and _double(lim):
                    steps.append(f"Give the pods headroom while the cause is fixed: `kubectl {kn}set resources deployment/{dep} "
                        f"--limits=memory={_double(lim)}`.")
                else:
                    steps.append(f"Read the memory limit (`kubectl {kn}get deployment/{dep} -o jsonpath='{{..resources.limits.memory}}'`) "
                        f"and raise it while the cause is fixed.")
            if pod:
                steps.append(f"Keep the crash evidence: `kubectl {kn}logs {pod} --previous > {pod}-previous.log`.")
        elif cat == "connection-pool-exhaustion":
            steps.append(f"Check pool and database connections: `kubectl {kn}logs deployment/{dep} --tail=200 | grep -i -E 'hikari|pool|connection'`.")
            desired = ((self.ev.health.get(svc or "") or {}).get("deployment") or {}).get("desired")
            if desired:
                steps.append(f"If the revert cannot happen at once, add capacity: `kubectl {kn}scale deployment/{dep} --replicas={int(desired) + 2}` "
                             "(watch the database's connection limit).")
        elif cat == "resource-pressure-eviction":
            nodes = sorted({p.get("node") for p in bad if p.get("node") and p.get("node") != "<none>"})
            for n in nodes[:2]:
                steps.append(f"Inspect the node: `kubectl describe node {n}` and `kubectl top node {n}`.")
            if not nodes:
                steps.append("Find the nodes under pressure: `kubectl get nodes -o wide` and `kubectl describe nodes | grep -A5 Conditions`.")
            steps.append(f"Clean up evicted pods: `kubectl {kn}delete pods --field-selector=status.phase=Failed`.")
        elif cat == "autoscaler-blind":
            hpa = next((h for rows in self.ev.hpas.values() for h in rows if str(h.get("target", "")).split("/")[-1] == dep), None)
            if d.upstream:
                un = self.ns(d.upstream)
                ukn = f"-n {un} " if un else ""
                steps.append(f"Check the metrics API the autoscaler reads: `kubectl get apiservice v1beta1.metrics.k8s.io` and "
                             f"`kubectl {ukn}logs deployment/{self.deployment(d.upstream)} --tail=100`; fix what it reports (a certificate, "
                             f"a crash), then `kubectl top pods {kn.strip()}` must answer again.")
            if hpa and int(hpa.get("max") or 0) > int(hpa.get("current") or 0):
                target = min(int(hpa["max"]), max(int(hpa.get("current") or 1) * 2, int(hpa.get("min") or 1)))
                steps.append(f"Add capacity by hand while the autoscaler is blind: `kubectl {kn}scale deployment/{dep} --replicas={target}` "
                             f"(the HPA takes over again once it reads metrics).")
        elif cat == "node-failure":
            down = self.failed_nodes()
            for n in down[:2]:
                stuck = [p for rows in self.ev.pods.values() for p in rows.values()
                         if p.get("node") == n and p.get("status") in ("Terminating", "Unknown")]
                force = "; ".join(f"`kubectl -n {p.get('namespace')} delete pod {p['name']} --grace-period=0 --force`"
                                  for p in stuck[:3] if p.get("namespace"))
                steps.append(f"Stop scheduling on the failed node and move its pods: `kubectl cordon {n}` then "
                             f"`kubectl drain {n} --ignore-daemonsets --delete-emptydir-data`"
                             + (f"; free the pods stuck there so their replacements can start: {force}." if force else "."))
                steps.append(f"Find why it stopped reporting: `kubectl describe node {n}`, then the kubelet and container runtime on the host "
                             f"(`journalctl -u kubelet -u containerd --since -1h`).")
            if not down:
                steps.append("Find the failed node: `kubectl get nodes` and `kubectl describe nodes | grep -A6 Conditions`.")
            steps.append(f"Check the replacements get scheduled: `kubectl {kn}get pods -o wide --field-selector=status.phase=Pending`; "
                         "if the other nodes lack room, add a node or scale the cluster.")
        elif cat == "certificate-expiry" and d.upstream and TRUST_FAILURE.search(" ".join(o.text for o in d.evidence)):
            bundles = [n for (ns, n) in self.ev.configmaps if BUNDLE_NAME.search(n or "") and ns == self.ev.namespace_of(svc)]
            where = f"ConfigMap {bundles[0]}: `kubectl {kn}edit configmap/{bundles[0]}`" if bundles else \
                f"the CA file its pods mount (`kubectl {kn}get deployment/{dep} -o yaml | grep -B2 -A6 -i -E 'ca|trust'`)"
            steps.append(f"Make {svc} trust the CA that now signs {d.upstream}'s certificate: add it to {where}; then "
                         f"`kubectl {kn}rollout restart deployment/{dep}` so the pods load it. Renewing {d.upstream}'s certificate "
                         f"again does not help; rolling its issuer back does, if the new CA must wait.")
        elif cat == "certificate-expiry":
            up = d.upstream or svc
            uns = d.upstream_ns or self.ns(up)
            ukn = f"-n {uns} " if uns else ""
            host = _host_in(d.evidence) or (f"{up}.{uns}.svc" if uns else up)
            steps.append(f"Confirm the expiry: `kubectl {ukn}get certificates,secrets` and `openssl s_client -connect {host} -servername {host.split(':')[0]} "
                         "</dev/null | openssl x509 -noout -dates`.")
            steps.append(f"Fix why renewal fails (see the warnings above), then renew: `kubectl {ukn}describe certificates` and "
                         f"`cmctl renew {ukn}--all`; restart the server: `kubectl {ukn}rollout restart deployment/{self.deployment(up)}`.")
        elif cat == "bad-image":
            target = pod or f"deployment/{dep}"
            steps.append(f"Check the image: `kubectl {kn}describe {'pod ' + pod if pod else target} | grep -A3 -i image`; "
                         f"roll back with `kubectl {kn}rollout undo deployment/{dep}`.")
        elif cat == "dns-failure":
            name = _lookup_in(d.evidence)
            steps.append("Check cluster DNS: `kubectl -n kube-system get pods -l k8s-app=kube-dns` and `kubectl -n kube-system logs -l "
                "k8s-app=kube-dns --tail=100`.")
            if name:
                steps.append(f"Test resolution from the service: `kubectl {kn}exec deployment/{dep} -- nslookup {name}`.")
        elif cat == "upstream-saturation":
            up = d.upstream
            if up:
                steps.append(f"Check {up}'s health and limits: `kubectl get pods -A | grep {up}` or its status page.")
            steps.append(f"Shed or slow load on {svc} while the dependency recovers: lower its concurrency and timeouts so callers fail fast.")
        elif cat == "consumer-lag":
            steps.append(f"Measure the lag and the group's state from the consumer's own log: `kubectl {kn}logs deployment/{dep} --since=30m "
                f"| grep -i -E 'lag|rebalanc|commit'`; "
                         "scale consumers up to the topic's partition count.")
        elif cat == "cache-eviction":
            steps.append("Check the cache: `redis-cli INFO memory` and `redis-cli INFO stats | grep evicted_keys`; raise maxmemory or cut key TTLs.")
        elif cat == "cpu-throttling":
            lim = self.cpu_limit(svc)
            steps.append(f"Confirm throttling: `kubectl {kn}top pods -l app={svc}`"
                         + (f"; raise the CPU limit: `kubectl {kn}set resources deployment/{dep} --limits=cpu={lim}`." if lim else "."))
        elif cat == "probe-misconfiguration":
            steps.append(f"Read the probe settings: `kubectl {kn}get deployment/{dep} -o "
                f"jsonpath='{{.spec.template.spec.containers[0].livenessProbe}}'`; relax timeouts if the app is healthy.")
        return steps

    def cpu_limit(self, service: str | None) -> str | None:
        """Twice the current CPU limit, when describe showed one."""
        for name in [p["name"] for p in self.ev.service_pods(service)]:
            for c in (self.ev.describe.get(name) or {}).get("containers") or []:
                lim = str(((c.get("resources") or {}).get("limits") or {}).get("cpu") or "")
                m = re.match(r"^(\d+)(m?)$", lim)
                if m:
                    return f"{int(m.group(1)) * 2}{m.group(2)}"
        return None

    def s_runbook_reference(self) -> str:
        hits = sorted(self.ev.runbooks, key=lambda r: -float(r.get("relevance") or 0)) or self.ev.related
        if not hits:
            return "no runbook matched; search the runbooks for the signals above."
        top = hits[0]
        rid = top.get("runbook_id") or top.get("id")
        out = f"{rid} ({top.get('uri') or f'runbook://{rid}'}): \"{top.get('title', '')}\""
        if top.get("section"):
            out += f", section \"{top.get('section')}\""
        others = [h.get("runbook_id") for h in hits[1:3] if h.get("runbook_id") and h.get("runbook_id") != rid]
        if others:
            out += "; see also " + ", ".join(f"runbook://{o}" for o in others)
        return out + "."

    def culprit_saturation(self, svc: str | None) -> str:
        """The latency or saturation its health reports, in its own words."""
        h = self.ev.health.get(svc or "") or {}
        reasons = [str(r) for r in h.get("reasons") or [] if re.search(r"p99|latency|cpu|saturat|throttl", str(r), re.I)]
        return "; ".join(reasons[:2])

    def failed_nodes(self) -> list[str]:
        """Nodes list_nodes shows not Ready (NotReady or Unknown), else the nodes that node-failure evidence names."""
        down = [str(n.get("name")) for n in self.ev.nodes or [] if n.get("ready") is False or any(
            str(p).startswith(("NotReady", "Unknown")) for p in n.get("problems") or [])]
        if down:
            return down
        named = [m.group(1) for o in self.d.evidence for m in [re.search(r"\bnode (\S+?)[:,]? ", o.text)] if m]
        return list(dict.fromkeys(named))

    def node_problem(self, node: str) -> str:
        n = next((n for n in self.ev.nodes or [] if n.get("name") == node), None)
        return "; ".join((n or {}).get("problems") or []) or "not ready"

    def s_follow_up(self) -> str:
        cat = self.d.category.name if self.d.category else None
        svc = self.culprit
        items = {
            "memory-exhaustion": f"Bound the memory the work needs ({self.d.component or 'the job'} should stream or page instead of loading everything); "
                                 f"size -Xmx and the container limit together; alert on restarts and OOMKilled for {svc}.",
            "connection-pool-exhaustion": f"Size {svc}'s pool from measured concurrency and the database's connection budget; review config changes like code; "
                                          "alert on pool wait time and pending connections.",
            "resource-pressure-eviction": "Set requests to real usage, cap ephemeral storage and log volume, and alert on node pressure "
                "before evictions start.",
            "certificate-expiry": "Automate renewal and alert 30 days before any certificate expires.",
            "autoscaler-blind": "Alert on HPAs whose ScalingActive is False and on the metrics API's availability; renew and monitor "
                                "the metrics server's certificate like any other.",
            "node-failure": "Spread replicas across nodes (topology spread constraints, a PodDisruptionBudget), keep spare capacity for one "
                            "node's pods, and alert on NotReady nodes before the pods' toleration runs out.",
            "bad-image": "Verify images exist before rollout (CI pushes, then deploys by digest).",
            "dns-failure": "Monitor CoreDNS errors and latency; cache DNS in clients.",
            "upstream-saturation": f"Agree capacity with {self.d.upstream or 'the dependency'}'s owners; add timeouts, retries with backoff "
                f"and bulkheads; alert on its latency.",
            "consumer-lag": "Alert on consumer lag; size consumers to partitions.",
            "cache-eviction": "Size the cache for its working set; alert on evictions.",
            "cpu-throttling": "Set CPU limits from load tests; alert on throttling.",
            "probe-misconfiguration": "Make probes check the process, not its dependencies; tune timeouts from real latency.",
        }
        text = items.get(cat or "", f"Keep watching {self.focus}; add alerts for the signals checked.")
        if self.d.deploy is not None:
            text += f" Add a canary step that would have caught {self.d.deploy.get('version')} before it reached every pod."
        return text

    # pre-deploy ---------------------------------------------------------------------
    def blockers(self) -> list[str]:
        out = []
        svc = self.plan.target
        h = self.ev.health.get(svc or "")
        if h and h.get("status") in ("critical", "degraded"):
            out.append(f"{svc} is {h['status']} ({'; '.join(h.get('reasons') or [])[:160]})")
        for ns, deps in self.ev.deployments.items():
            for dep in deps:
                if not dep.get("healthy"):
                    out.append(f"deployment {dep.get('name')} in {ns} is degraded ({dep.get('ready')} ready)")
        for ns, rows in self.ev.pods.items():
            bad = [p for p in rows.values() if not p.get("healthy")]
            if bad:
                out.append(f"{len(bad)} unhealthy pod(s) in {ns}: " + ", ".join(f"{p['name']} {p.get('status')}" for p in bad[:3]))
        risky = re.compile(r"Evict|Pressure|FailedScheduling|NodeNotReady|FailedMount", re.I)
        for ns, evs in self.ev.events.items():
            hits = [e for e in evs if e.get("type") == "Warning" and risky.search(f"{e.get('reason')} {e.get('message')}")]
            if hits:
                out.append(f"{len(hits)} risky warning event(s) in {ns}: {hits[0].get('reason')}: {_q(hits[0].get('message', ''), 80)}")
        for g in self.ev.error_groups:
            if g.get("_group_by") == "service" and g.get("key") == svc and int(g.get("errors") or 0) >= 20:
                out.append(f"{svc} logged {g['errors']} errors in the window")
        for dep in (self.ev.deploys.get(svc or "") or [])[:1]:
            if dep.get("status") in ("failed", "rolled_back"):
                out.append(f"the last deploy {dep.get('version')} {dep.get('status')}")
        return out

    def s_decision(self) -> str:
        b = self.blockers()
        if b:
            return "NO-GO. Blocking: " + "; ".join(b) + "."
        return "GO. No blockers: the service is healthy, no rollout is in progress and no risky cluster events were seen."

    # daily ----------------------------------------------------------------------------
    def s_overall(self) -> str:
        statuses = {s: h.get("status") for s, h in self.ev.health.items()}
        if any(v == "critical" for v in statuses.values()):
            color = "RED"
        elif any(v in ("degraded", "unknown") for v in statuses.values()):
            color = "YELLOW"
        else:
            color = "GREEN"
        bad = [f"{s} {v}" for s, v in statuses.items() if v != "healthy"]
        head = f"{color}. " + (f"Not healthy: {', '.join(bad)}." if bad else f"All {len(statuses)} services healthy.")
        return head + "\n\n" + self.table()

    def table(self) -> str:
        rows = ["| service | status | error rate | p99 | notes |", "|---|---|---|---|---|"]
        for s, h in sorted(self.ev.health.items(), key=lambda kv: _rank(kv[1])):
            er = h.get("error_rate")
            p99 = h.get("p99_ms")
            rows.append(f"| {s} | {h.get('status')} | {'' if er is None else f'{er:.1%}'} | {'' if p99 is None else f'{p99:.0f} ms'} | "
                        f"{_q('; '.join(h.get('reasons') or []), 90)} |")
        return "\n".join(rows)


_KEYS = re.compile(r"\bkeys=([\d.,]+[KMGkmg]?)")
_AGENT = re.compile(r"\b(?:ua|user[-_]agent)=\"?([^\s\"]+)|\"(?:-|[^\"]*)\" \"([^\"]+)\"\s*$")
_SCRIPTED = re.compile(r"python|curl|wget|go-http|java/|okhttp|bot|spider|crawl|scrapy|headless|libwww|httpclient", re.I)
_PATH = re.compile(r"(/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)")
_RESOLVER_TIMEOUT = re.compile(r"->\s*([\d.]+):53: i/o timeout")


def _paths(text: str) -> list[str]:
    return [p for p in _PATH.findall(text) if not p.startswith(("/v1", "/api"))]


def _upstream_resolvers(ev: Any) -> dict[str, str]:
    """Addresses a DNS server forwards to that time out, from its own error lines."""
    texts = [g.get("sample", "") for g in ev.error_groups] + [r.get("message", "") for r in ev.log_rows]
    texts += [line for logs in ev.pod_logs.values() for line in logs.get("lines") or []]
    out: dict[str, str] = {}
    for t in texts:
        for ip in _RESOLVER_TIMEOUT.findall(t):
            out.setdefault(ip, t)
    return dict(sorted(out.items()))


def _strip_time(line: str) -> str:
    return re.sub(r"^\S+Z\s+", "", line)


def _rank(h: dict) -> int:
    return {"critical": 0, "degraded": 1, "unknown": 2, "healthy": 3}.get(h.get("status"), 2)


def _double(limit: str | None) -> str | None:
    m = re.match(r"^(\d+)(Mi|Gi|M|G)?$", limit or "")
    if not m:
        return None
    return f"{int(m.group(1)) * 2}{m.group(2) or ''}"


def _absent(value: Any) -> str:
    return "absent" if value is None else str(value)


def _grow(capacity: Any) -> str | None:
    """Half as big again, in the claim's own unit: 500Gi → 750Gi."""
    m = re.fullmatch(r"(\d+)(Mi|Gi|Ti)", str(capacity or ""))
    return f"{int(m.group(1)) * 3 // 2}{m.group(2)}" if m else None


_CONFIGMAP = re.compile(r"\bConfigMap[\s:/]+(?:[a-z0-9-]+/)?([a-z0-9][a-z0-9.-]*[a-z0-9])", re.I)
_HOST = re.compile(r"https?://([a-z0-9.-]+(?::\d+)?)|\b([a-z0-9-]+\.[a-z0-9-]+\.svc(?:\.cluster\.local)?:\d+)")
_LOOKUP = re.compile(r"lookup ([a-z0-9][a-z0-9.-]*[a-z0-9])")


def _host_in(evidence: list) -> str | None:
    for o in evidence:
        m = _HOST.search(o.text)
        if m:
            host = m.group(1) or m.group(2)
            return host if ":" in host else host + ":443"
    return None


def _lookup_in(evidence: list) -> str | None:
    for o in evidence:
        m = _LOOKUP.search(o.text)
        if m:
            return m.group(1)
    return None


def _grep_fragment(sample: str) -> str:
    """A literal piece of the error to count with grep -F: its longest run without digits or quotes."""
    parts = [p.strip() for p in re.split(r"[\d'\"]+", sample) if len(p.strip()) >= 8]
    frag = max(parts, key=len) if parts else sample[:40]
    return frag[:60]


def _as_change(service: str, deploy: dict) -> Any:
    return Change(service, deploy, None, config_only(deploy), True, True)
