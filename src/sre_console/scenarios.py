"""The one place the console reads the built-in server's scenario folders.

`eval` scores investigations against each scenario's `answer.yaml`, and the CLI
checks a `--scenario` name before anything starts (a typo is one line, not a server
that keeps restarting). Everything else reaches the server over MCP only; the
import-linter contract in `.importlinter` allows `sre_mcp` here and nowhere else.
"""

from __future__ import annotations

from pathlib import Path

from sre_mcp.scenarios.loader import ScenarioError, list_shipped, resolve

__all__ = ["ScenarioError", "check", "list_shipped", "resolve"]


def check(scenario: str | None) -> str | None:
    """None when the scenario loads; else a sentence for the user."""
    if not scenario:
        return None
    try:
        resolve(scenario)
    except ScenarioError as exc:
        return str(exc)
    return None


def folder(name: str) -> Path:
    return resolve(name)
