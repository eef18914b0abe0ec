"""The command line: mistakes in what the user typed are one clear line and exit 2, before anything starts."""

from __future__ import annotations

import pytest

from sre_console.cli import main


@pytest.mark.parametrize("argv, expect", [
    (["--demo", "--scenario", "no-such-incident"], "unknown scenario 'no-such-incident'"),
    (["ui", "--scenario", "paymnts-incident"], "payments-incident"),  # the message lists what exists
    (["investigate", "payment-gateway", "--offline", "--scenario", "nope"], "unknown scenario 'nope'"),
])
def test_unknown_scenario_is_an_error_before_the_server_or_ui_starts(argv, expect, capsys, monkeypatch):
    started = []
    monkeypatch.setattr("sre_console.cli._prespawn", lambda args: started.append(args))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("sre-console: ") and expect in err and "Traceback" not in err
    assert started == []


def test_a_folder_without_scenario_yaml_is_named(tmp_path, capsys):
    assert main(["investigate", "payment-gateway", "--offline", "--scenario", str(tmp_path)]) == 2
    assert f"{tmp_path} has no scenario.yaml" in capsys.readouterr().err
