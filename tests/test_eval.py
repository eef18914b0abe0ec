"""`sre-console eval` on the offline investigator: every shipped scenario must pass.

This is the CI gate the issue asks for: a regression in the investigator's rules,
the scenarios or the tools shows up here as a failing scenario with the reason.
"""

from __future__ import annotations

import json
import subprocess
import sys

from sre_console.evaluate import run_eval, summary, to_markdown


async def test_offline_investigator_passes_every_shipped_scenario():
    results = await run_eval(None, None, 1, None)
    assert len(results) >= 8
    failing = {r.name: r.runs[0].score.reasons for r in results if r.pass_rate < 1}
    assert not failing, to_markdown(results, "offline")
    assert summary(results)["pass_rate"] == 1.0


def test_eval_cli_json_and_min_pass_exit_code(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sre_console.cli", "eval", "--scenarios", "payments-incident", "--format", "json", "--min-pass", "1.0"],
        capture_output=True, text=True, timeout=120,
    )
    data = json.loads(proc.stdout)
    assert data["summary"]["runs"] == 1 and data["scenarios"][0]["name"] == "payments-incident"
    run = data["scenarios"][0]["runs"][0]
    assert run["service"] == "payment-gateway" and run["tool_calls"] >= 5
    assert proc.returncode == (0 if data["summary"]["pass_rate"] == 1.0 else 1)
    bad = subprocess.run([sys.executable, "-m", "sre_console.cli", "eval", "--scenarios", "no-such"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown scenario" in bad.stderr and "Traceback" not in bad.stderr
