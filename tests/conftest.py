"""Shared fixtures: servers built from real scenarios, without the embedding model
unless a test asks for it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "data" / "mini-scenario"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(autouse=True, scope="session")
def _isolated_dirs(tmp_path_factory):
    """Audit logs, caches and config of tests never touch the user's real dirs."""
    base = tmp_path_factory.mktemp("sre-home")
    for var, sub in (("SRE_STATE_DIR", "state"), ("SRE_CACHE_DIR", "cache"), ("SRE_CONFIG_DIR", "config")):
        os.environ[var] = str(base / sub)
    yield


def shipped_scenarios() -> list[str]:
    from sre_mcp.scenarios.loader import list_shipped

    return list_shipped()


def server_python() -> str:
    return sys.executable
