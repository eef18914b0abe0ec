"""Never investigate what does not exist; a question with no service sweeps every service first.

Real CLI processes over the real server (stdio) on a shipped scenario: an unknown or
misspelt service, namespace or trace id is one line naming the nearest real names, exit
2, no report; a free-text question checks every service's health before it names one.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sre_console.investigate.targets import nearest

CLI = [sys.executable, "-m", "sre_console.cli"]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args, "--offline", "--no-rag", "--scenario", "payments-incident"],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("argv, expect", [
    (["investigate", "payment-gatway"], "unknown service 'payment-gatway': did you mean payment-gateway?"),
    (["prompt", "pre-deploy-check", "service=payment-gateway", "namespace=paymnts"], "unknown namespace 'paymnts': did you mean payments?"),
    (["prompt", "trace-transaction", "trace_id=tx-abc12"], "unknown trace id 'tx-abc12': did you mean tx-abc123"),
])
def test_unknown_target_is_exit_2_with_the_nearest_names_and_no_report(argv, expect):
    proc = _run(*argv)
    assert proc.returncode == 2, proc.stderr
    assert expect in proc.stderr and "Nothing was investigated" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout.strip() == ""  # no report, nothing about another service
    assert "OutOfMemory" not in proc.stderr and "→" not in proc.stderr  # not a single tool call ran


def test_unknown_service_in_json_is_an_error_object():
    proc = _run("investigate", "no-such-service", "--format", "json")
    assert proc.returncode == 2
    data = json.loads(proc.stdout)
    assert data["status"] == "error" and data["error_kind"] == "unknown-target" and "no-such-service" in data["error"]


def test_nearest_names_by_spelling_then_containment():
    names = ["payment-gateway", "fraud-detection", "auth-service"]
    assert nearest("payment-gatway", names) == ["payment-gateway"]
    assert nearest("fraud", names) == ["fraud-detection"]
    assert nearest("zzzz", names) == []


def test_free_text_sweeps_every_service_then_investigates_the_worst():
    proc = _run("ask", "why are card payments failing?", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    checked = [c["arguments"]["service_name"] for c in data["tool_calls"] if c["name"] == "check_service_health"]
    listed = next(c for c in data["tool_calls"] if c["name"] == "list_services")
    assert data["tool_calls"][0]["name"] == "list_services" and listed["ok"]
    assert len(set(checked)) == 4  # every service of the scenario, before any verdict
    rc = data["root_cause"]
    assert rc.startswith('Asked "why are card payments failing?"') and "payment-gateway" in rc and "memory" in rc
    assert "every service is healthy" not in rc
    assert data["confidence"] in ("high", "medium", "low") and data["evidence"]


def test_free_text_on_a_healthy_system_says_so_after_checking_each(tmp_path):
    from pathlib import Path

    quiet = Path(__file__).parent / "scenarios_generality" / "quiet-afternoon"
    proc = subprocess.run([*CLI, "ask", "is the catalog slow?", "--offline", "--no-rag", "--scenario", str(quiet), "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    data = json.loads(proc.stdout)
    checked = {c["arguments"]["service_name"] for c in data["tool_calls"] if c["name"] == "check_service_health" and c["ok"]}
    assert checked == {"catalog", "reviews"}
    assert data["root_cause"].startswith("none found: a sweep of 2 of 2 services' health shows every one healthy")
