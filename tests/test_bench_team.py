"""The team-server load benchmark's core at a tiny size: real server processes over
loopback, concurrent authenticated sessions, and the audit checks it relies on, which
must both pass on a true log and catch a log where identities are mixed or a line is lost.
No timing assertions: the figures live in benchmarks/bench_team.py and the README."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(240)
ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_team", ROOT / "benchmarks" / "bench_team.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    return mod


async def test_concurrent_sessions_are_audited_once_each_with_their_own_user(tmp_path):
    bt = _bench()
    report = await bt.bench(clients=4, calls=5, n_users=4, tmp=tmp_path, cheap=False)
    mixed, floor = report.runs
    assert len(mixed.calls) == 20 and len(floor.calls) == 20
    assert [c.error for c in mixed.calls + floor.calls if c.error] == []
    assert report.audit_problems == []
    audit = tmp_path / "team" / "audit.jsonl"
    lines = [json.loads(x) for x in audit.read_text().splitlines() if x.strip()]
    calls = [a for a in lines if a.get("phase") == "call"]
    # discovery call + 20 load calls; roles from the group bindings, and one per-user binding
    assert len(calls) == 21
    roles = {(a["identity"]["user"], a["identity"]["role"]) for a in calls}
    assert roles == {("eng00", "operator"), ("eng01", "viewer"), ("eng02", "operator"),
                     ("eng03", "operator")}  # eng03 is in dev (viewer) but bound by name
    assert len({a["identity"]["session"] for a in calls[1:]}) == 4  # one MCP session per client

    # The checks catch what they are there for: a line lost, a user swapped in a session.
    users = bt.make_users(2)  # eng00 operator, eng01 viewer
    role = {u.name: u.role for u in users}
    work = [[bt.Call(c, users[c % 2].name, t, a) for t, a in (("search_logs", {"keyword": f"bench-c{c:03d}-n0000"}),
                                                               ("list_services", {}))] for c in range(2)]

    def line(c, tool, args, user, session):
        return json.dumps({"phase": "call", "tool": tool, "arguments": args,
                           "identity": {"user": user, "role": role[user], "session": session}})

    good = [line(0, "search_logs", work[0][0].arguments, "eng00", "s0"), line(0, "list_services", {}, "eng00", "s0"),
            line(1, "search_logs", work[1][0].arguments, "eng01", "s1"), line(1, "list_services", {}, "eng01", "s1")]
    log = tmp_path / "fake.jsonl"
    log.write_text("\n".join(good) + "\n")
    assert bt.check_audit(log, 0, work, users, "legacy") == []
    log.write_text("\n".join(good[:3]) + "\n")  # one line lost
    assert any("3 audit call lines for 4 calls" in p for p in bt.check_audit(log, 0, work, users, "legacy"))
    swapped = good[:1] + [line(0, "list_services", {}, "eng01", "s0")] + good[2:3] + [line(1, "list_services", {}, "eng00", "s1")]
    log.write_text("\n".join(swapped) + "\n")  # right counts per user overall, wrong user inside each session
    problems = bt.check_audit(log, 0, work, users, "legacy")
    assert any("session of client 0 (eng00) carries users ['eng00', 'eng01']" in p for p in problems), problems
    shared = good[:2] + [line(1, "search_logs", work[1][0].arguments, "eng01", "s0"), line(1, "list_services", {}, "eng01", "s0")]
    log.write_text("\n".join(shared) + "\n")  # two clients in one session
    assert any("sessions not one per client" in p for p in bt.check_audit(log, 0, work, users, "legacy"))
    role["eng01"] = "admin"
    log.write_text("\n".join(line(1, "list_services", {}, "eng01", "s1") if i == 3 else x for i, x in enumerate(good)) + "\n")
    assert any("user 'eng01' with role 'admin', expected 'viewer'" in p for p in bt.check_audit(log, 0, work, users, "legacy"))
