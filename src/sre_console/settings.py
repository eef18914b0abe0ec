"""The console's own settings: keymap, theme, refresh interval, extra MCP servers file.

Stored as YAML in the config dir (platformdirs `sre-console`, or `$SRE_CONFIG_DIR`),
next to a `themes/` folder where users drop their own theme files. Only the theme
choice is written back by the app; everything else is the user's to edit.

```yaml
theme: sre-dark
refresh_interval: 10        # seconds; 0 switches auto-refresh off
servers: ~/.config/sre-console/servers.json   # Claude Desktop mcpServers shape
keymap:                     # binding id -> key(s)
  logs: L
  refresh: ctrl+r,F5
contexts:                   # per kube context (name or glob): theme, namespace, readonly, prod
  "*prod*": {readonly: true}
```
(`contexts:` is read by `sre_console.contexts`, which documents it.)
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs
import yaml

log = logging.getLogger("sre_console.settings")
APP_NAME = "sre-console"
DEFAULT_THEME = "sre-dark"
DEFAULT_REFRESH = 10.0


def config_dir() -> Path:
    return Path(os.environ.get("SRE_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME))


def frozen() -> bool:
    """Deterministic rendering for snapshots: no clock, no latencies, no blinking cursor, no timers."""
    return os.environ.get("SRE_CONSOLE_FROZEN") == "1"


@dataclass
class Settings:
    theme: str = DEFAULT_THEME
    refresh_interval: float = DEFAULT_REFRESH
    servers: Path | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    contexts: Any = None  # raw `contexts:` mapping, checked by sre_console.contexts.parse_rules
    path: Path | None = None  # where it was loaded from (and is saved to)

    @classmethod
    def load(cls, path: Path | None = None) -> "Settings":
        path = path or config_dir() / "config.yaml"
        data: dict[str, Any] = {}
        if path.is_file():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as exc:
                # A broken config must not stop the console on call from starting.
                log.warning("ignoring %s: %s", path, exc)
                data = {}
        if not isinstance(data, dict):
            data = {}
        keymap = data.get("keymap") or {}
        servers = data.get("servers")
        try:
            interval = float(data.get("refresh_interval", DEFAULT_REFRESH))
        except (TypeError, ValueError):
            interval = DEFAULT_REFRESH
        return cls(
            theme=str(data.get("theme") or DEFAULT_THEME),
            refresh_interval=max(0.0, interval),
            servers=Path(os.path.expanduser(str(servers))) if servers else None,
            keymap={str(k): str(v) for k, v in keymap.items()} if isinstance(keymap, dict) else {},
            contexts=data.get("contexts"),
            path=path,
        )

    def save_theme(self, theme: str) -> None:
        """Persist the theme choice, keeping whatever else the user wrote in the file."""
        self.theme = theme
        path = self.path or config_dir() / "config.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
            data = data if isinstance(data, dict) else {}
            data["theme"] = theme
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        except (OSError, yaml.YAMLError) as exc:
            log.warning("cannot save theme to %s: %s", path, exc)
