"""Themes as data: YAML files turned into Textual themes at start.

Shipped themes live in the repository's `themes/` folder (the single source of
truth; a non-editable install gets the same files as package data under
`sre_console/shipped_themes/`, copied by `setup.py` at build time). Users add their own YAML files to
`<config dir>/themes/`; a user theme with a shipped name replaces it.

Beyond Textual's base colours a theme carries the console's own variables, usable
in TCSS as `$pod-failed`, `$log-error`, ... and in code through `palette(app)`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError
from textual.theme import Theme

from sre_console.settings import config_dir

log = logging.getLogger("sre_console.themes")

# The console's variables and their fallbacks (used when a theme leaves one out).
APP_VARIABLES: dict[str, str] = {
    "pod-running": "#4ec97b",
    "pod-pending": "#e5c07b",
    "pod-failed": "#f05d5e",
    "pod-completed": "#7f8c98",
    "log-error": "#f05d5e",
    "log-warn": "#e5c07b",
    "log-info": "#8fbcbb",
    "log-debug": "#7f8c98",
    "log-match": "#ffd866",
    "event-warning": "#e5c07b",
    "event-normal": "#7f8c98",
    "health-ok": "#4ec97b",
    "health-degraded": "#e5c07b",
    "health-critical": "#f05d5e",
}


class ThemeSpec(BaseModel):
    name: str
    primary: str
    secondary: str | None = None
    accent: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    dark: bool = True
    # The console's own colours: pod phases, log levels, event types, health.
    pods: dict[str, str] = Field(default_factory=dict)  # running, pending, failed, completed
    logs: dict[str, str] = Field(default_factory=dict)  # error, warn, info, debug, match
    events: dict[str, str] = Field(default_factory=dict)  # warning, normal
    health: dict[str, str] = Field(default_factory=dict)  # ok, degraded, critical
    variables: dict[str, str] = Field(default_factory=dict)  # any other Textual variable

    def app_variables(self) -> dict[str, str]:
        out = dict(APP_VARIABLES)
        for group, values in (("pod", self.pods), ("log", self.logs), ("event", self.events), ("health", self.health)):
            for key, colour in values.items():
                out[f"{group}-{key}"] = colour
        return out

    def to_textual_theme(self) -> Theme:
        return Theme(
            name=self.name,
            primary=self.primary,
            secondary=self.secondary,
            accent=self.accent,
            warning=self.warning,
            error=self.error,
            success=self.success,
            foreground=self.foreground,
            background=self.background,
            surface=self.surface,
            panel=self.panel,
            dark=self.dark,
            variables={**self.app_variables(), **self.variables},
        )


def shipped_themes_dir() -> Path:
    repo = Path(__file__).resolve().parents[2] / "themes"  # editable install / source tree
    if repo.is_dir():
        return repo
    return Path(__file__).resolve().parent / "shipped_themes"  # copied into a wheel by setup.py


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def load_theme_file(path: Path) -> ThemeSpec:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    data.setdefault("name", path.stem)
    return ThemeSpec.model_validate(data)


def load_themes(extra_dirs: list[Path] | None = None) -> dict[str, ThemeSpec]:
    """Shipped, then user themes (later ones win). A broken file is skipped with a warning."""
    found: dict[str, ThemeSpec] = {}
    for folder in [shipped_themes_dir(), user_themes_dir(), *(extra_dirs or [])]:
        if not folder.is_dir():
            continue
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            try:
                spec = load_theme_file(path)
            except (OSError, yaml.YAMLError, ValidationError) as exc:
                log.warning("theme %s skipped: %s", path, exc)
                continue
            found[spec.name] = spec
    return found


def palette(app) -> dict[str, str]:
    """The current theme's console colours, for widgets that render Rich text in code."""
    try:
        variables = app.current_theme.variables
    except Exception:  # noqa: BLE001 - before the app has a theme
        variables = {}
    return {k: variables.get(k, v) for k, v in APP_VARIABLES.items()}
