"""The console's boundaries: headless runs load no Textual; sre_mcp is read only where
eval reads scenario answers (the contracts in .importlinter, checked by lint-imports)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HEADLESS_RUN = """
import json, sys
from sre_console.cli import main
code = main(["investigate", "payment-gateway", "--offline", "--no-rag", "--scenario", "payments-incident", "--format", "json"])
ui = sorted({m.split(".")[0] for m in sys.modules} & {"textual"})
print(json.dumps({"code": code, "ui": ui}), file=sys.stderr)
"""


def test_a_headless_investigation_loads_no_textual(tmp_path):
    out = subprocess.run([sys.executable, "-c", HEADLESS_RUN], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SRE_STATE_DIR": str(tmp_path),
                              "HF_HUB_OFFLINE": "1"})
    last = json.loads(out.stderr.strip().splitlines()[-1])
    assert last == {"code": 0, "ui": []}, out.stderr[-2000:]
    assert "ROOT CAUSE" in out.stdout or "root_cause" in out.stdout


def test_headless_modules_import_no_textual():
    probe = ("import sys, sre_console.headless, sre_console.evaluate, sre_console.approval, sre_console.server_facts, "
             "sre_console.host.build, sre_console.investigate, sre_console.cli, sre_console.actions; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


def test_import_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is a dev dependency"
    out = subprocess.run([exe, "--no-cache"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0 and "0 broken" in out.stdout, out.stdout[-3000:]
