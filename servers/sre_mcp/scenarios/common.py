"""What the scenario loader and the cluster-object expansion both use (no imports of either)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml


class ScenarioError(ValueError):
    """A scenario folder that does not follow the documented format."""


def _yaml(folder: Path, name: str, default: Any) -> Any:
    path = folder / name
    if not path.is_file():
        return default
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    return default if data is None else data


def _uid(*parts: str) -> str:
    d = hashlib.md5("/".join(parts).encode()).hexdigest()
    return f"{d[:8]}-{d[8:12]}-{d[12:16]}-{d[16:20]}-{d[20:32]}"
