"""A non-editable install (a wheel) carries everything the console and server read at run time."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src-copy"
    src.mkdir()
    for name in ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md"]:
        shutil.copy2(ROOT / name, src / name)
    for name in ["src", "servers", "themes"]:
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
                   check=True, capture_output=True, timeout=120)
    (wheel,) = out.glob("sre_console-*.whl")
    return wheel


def test_wheel_ships_themes_scenarios_runbooks_and_roles(tmp_path):
    wheel = build_wheel(tmp_path)
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(site)
    shipped_themes = {p.name for p in (ROOT / "themes").glob("*.yaml")}
    assert {n.split("/")[-1] for n in names if n.startswith("sre_console/shipped_themes/")} == shipped_themes
    assert "sre_console/app.tcss" in names and "sre_mcp/config/roles.yaml" in names
    runbooks = {p.name for p in (ROOT / "servers/sre_mcp/runbooks").glob("*.md")}
    assert {n.split("/")[-1] for n in names if n.startswith("sre_mcp/runbooks/")} >= runbooks
    # The scenario generators are development scripts: beside the package, never in the wheel.
    assert not [n for n in names if "scenario_tools" in n or "_tools/" in n or "/gen_" in n]

    # Run from the unpacked wheel (ahead of the editable install on sys.path): the code finds its data there.
    probe = (
        "import json, sre_console.themes as t, sre_mcp.scenarios.loader as l, sre_mcp.runtime as r;"
        "print(json.dumps({'dir': str(t.shipped_themes_dir()), 'themes': sorted(t.load_themes()),"
        " 'scenarios': sorted(p.name for p in l.SHIPPED_DIR.iterdir() if (p / 'scenario.yaml').exists()),"
        " 'runbooks': str(r.SHIPPED_RUNBOOKS)}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "SRE_CONFIG_DIR": str(tmp_path / "cfg")},
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert found["dir"].startswith(str(site))
    assert {"sre-dark", "sre-light", "sre-high-contrast"} <= set(found["themes"])
    assert "payments-incident" in found["scenarios"] and len(found["scenarios"]) >= 8
    assert found["runbooks"].startswith(str(site))


def test_scenario_tools_are_a_package_beside_the_server_and_check_every_shipped_scenario(capsys):
    import scenario_tools
    from scenario_tools import check, scengen

    assert Path(scenario_tools.__file__).parent == ROOT / "scenario_tools"
    assert not (ROOT / "servers/sre_mcp/scenarios/_tools").exists()
    # The generators write into the server's scenario folders, wherever the scripts live.
    assert scengen.SCENARIOS == ROOT / "servers/sre_mcp/scenarios" and check.HERE == scengen.SCENARIOS
    assert check.main([]) == 0
    checked = [line.split(":")[0] for line in capsys.readouterr().out.splitlines() if line.endswith(": ok")]
    assert "payments-incident" in checked and len(checked) >= 8
