"""Themes as data, user themes, theme persistence, keymap remapping, palette commands."""

from __future__ import annotations


import pytest
import yaml

from sre_console.settings import Settings
from sre_console.themes import APP_VARIABLES, ThemeSpec, load_themes
from tests.tui_helpers import SIZE, make_app, wait_loaded

pytestmark = pytest.mark.timeout(60)


def test_theme_spec_adds_console_variables():
    spec = ThemeSpec(name="x", primary="#123456", pods={"failed": "#ff0000"}, logs={"error": "#ee0000"})
    theme = spec.to_textual_theme()
    assert theme.variables["pod-failed"] == "#ff0000"
    assert theme.variables["log-error"] == "#ee0000"
    assert set(APP_VARIABLES) <= set(theme.variables)


def test_user_theme_dir_and_broken_files(tmp_path, monkeypatch):
    monkeypatch.setenv("SRE_CONFIG_DIR", str(tmp_path))
    (tmp_path / "themes").mkdir()
    (tmp_path / "themes" / "mine.yaml").write_text("name: mine\nprimary: '#00aa00'\nevents: {warning: '#ff00ff'}\n")
    (tmp_path / "themes" / "broken.yaml").write_text("name: [unclosed\n")
    themes = load_themes()
    assert themes["mine"].to_textual_theme().variables["event-warning"] == "#ff00ff"
    assert "broken" not in themes and "sre-dark" in themes


def test_settings_load_and_save_keep_user_keys(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"refresh_interval": 5, "keymap": {"logs": "L"}, "note": "mine"}))
    s = Settings.load(path)
    assert s.refresh_interval == 5 and s.keymap == {"logs": "L"}
    s.save_theme("sre-prod")
    data = yaml.safe_load(path.read_text())
    assert data["theme"] == "sre-prod" and data["note"] == "mine"
    path.write_text(":: not yaml [")
    assert Settings.load(path).theme == "sre-dark"


async def test_theme_switch_persists_and_keymap_remaps(tmp_path, monkeypatch):
    monkeypatch.setenv("SRE_CONFIG_DIR", str(tmp_path))
    settings = Settings(refresh_interval=0, keymap={"logs": "L", "describe": "D"}, path=tmp_path / "config.yaml")
    app = make_app(settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot, app)
        assert app.theme == "sre-dark"
        app.run_command(":theme sre-prod")
        await pilot.pause(0.1)
        assert app.theme == "sre-prod"
        assert yaml.safe_load((tmp_path / "config.yaml").read_text())["theme"] == "sre-prod"
        # Remapped: D describes, d no longer does.
        await pilot.press("e")
        await pilot.press("d")
        assert app.query_one("#bottom").active == "tab-events"
        await pilot.press("D")
        assert app.query_one("#bottom").active == "tab-describe"
        await pilot.press("L")
        assert app.query_one("#bottom").active == "tab-logs"
        # The palette offers every action, themes and namespaces.
        titles = [t for t, _, _ in app.palette_commands()]
        assert "Logs: previous container" in titles and "Theme: sre-light" in titles and "Namespace: payments" in titles
        dict((t, cb) for t, _, cb in app.palette_commands())["Theme: sre-light"]()
        await pilot.pause(0.1)
        assert app.theme == "sre-light"
