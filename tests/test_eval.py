"""`sre-console eval` on the offline investigator: the CI gate.

Scenarios written blind (by someone who saw only a story and the scenario format)
and the rest are scored apart; the honesty cases (unknown service, typo, free text,
every tool failing) must pass; no report may carry a placeholder.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from sre_console.evaluate import gate, placeholders, run_cases, run_eval, summary, to_markdown

MIN_BLIND = 0.9  # the bar for scenarios written blind
MIN_REST = 1.0


@pytest.fixture(scope="module")
def evaluated():
    results = asyncio.run(run_eval(None, None, 1, None))
    cases = asyncio.run(run_cases(None))
    return results, cases


def test_blind_and_the_rest_meet_the_bar(evaluated):
    results, cases = evaluated
    assert len(results) >= 9 and any(r.blind for r in results) and any(not r.blind for r in results)
    sm = summary(results, cases)
    short = gate(results, cases, MIN_BLIND, MIN_REST)
    assert not short, "; ".join(short) + "\n" + to_markdown(results, "offline", cases)
    assert sm["rest_pass_rate"] == 1.0 and sm["cases_passed"] == sm["cases"] == 4


def test_no_report_in_the_eval_has_a_placeholder(evaluated):
    results, cases = evaluated
    reports = {f"{r.name}#{i}": run.report for r in results for i, run in enumerate(r.runs)}
    reports |= {f"case {c.name}": c.report for c in cases if c.report}
    assert all(reports.values())
    found = {name: placeholders(text) for name, text in reports.items() if placeholders(text)}
    assert not found, found


def test_the_placeholder_sweep_catches_what_it_must():
    assert placeholders("openssl s_client -connect <host>:443 </dev/null") == ["<host>"]
    assert placeholders("kubectl -n default get pods -l app=None") == ["None", "-n default"]
    assert placeholders("kubectl -n payments rollout undo deployment/payment-gateway </dev/null") == []


def test_eval_cli_json_and_min_pass_exit_code(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sre_console.cli", "eval", "--scenarios", "payments-incident", "--format", "json", "--min-pass", "1.0"],
        capture_output=True, text=True, timeout=120,
    )
    data = json.loads(proc.stdout)
    assert data["summary"]["runs"] == 1 and data["scenarios"][0]["name"] == "payments-incident"
    assert data["summary"]["rest_pass_rate"] == data["summary"]["pass_rate"] and data["summary"]["blind_scenarios"] == 0
    run = data["scenarios"][0]["runs"][0]
    assert run["service"] == "payment-gateway" and run["tool_calls"] >= 5 and "ROOT CAUSE:" in run["report"]
    assert proc.returncode == (0 if data["summary"]["pass_rate"] == 1.0 else 1)
    bad = subprocess.run([sys.executable, "-m", "sre_console.cli", "eval", "--scenarios", "no-such"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown scenario" in bad.stderr and "Traceback" not in bad.stderr
