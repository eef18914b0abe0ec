"""The server stays light: importable without Textual, and nothing slow at import."""

import json
import subprocess
import sys


def _modules_after(stmt: str) -> set[str]:
    code = f"import sys, json; {stmt}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    return set(json.loads(out))


def test_server_imports_no_ui_and_no_heavy_backends():
    mods = _modules_after("import sre_mcp.server, sre_mcp.cli")
    for heavy in ("textual", "torch", "sentence_transformers", "chromadb", "chdb", "kubernetes", "anthropic"):
        assert heavy not in mods, f"importing the server pulled in {heavy}"


def test_building_the_demo_server_stays_light():
    mods = _modules_after(
        "from sre_mcp.config import ServerConfig; from sre_mcp.server import build_server; "
        "build_server(ServerConfig(rag=False, audit_log='/dev/null'), start_background=False)"
    )
    for heavy in ("textual", "torch", "chromadb", "chdb", "kubernetes"):
        assert heavy not in mods, heavy
