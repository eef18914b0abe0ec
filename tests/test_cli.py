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


SERVER_OPTIONS = ["--scenario", "login-failures", "--audit-log", "/tmp/audit-x.jsonl", "--role", "viewer", "--no-rag",
                  "--namespaces", "auth"]
COMMANDS = [["ui"], ["investigate", "account-service"], ["prompt", "daily-health-report"], ["ask", "why?"], ["prompts"],
            ["tools"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_server_options_work_before_or_after_the_subcommand(command):
    from sre_console.cli import _parser, server_args

    before = _parser().parse_args([*SERVER_OPTIONS, *command])
    after = _parser().parse_args([*command, *SERVER_OPTIONS])
    assert server_args(before) == server_args(after)
    assert set(server_args(before)) == set(SERVER_OPTIONS)


def test_eval_takes_the_server_options_and_refuses_a_single_scenario(capsys):
    from sre_console.cli import _parser, server_args

    ns = _parser().parse_args(["eval", "--audit-log", "/tmp/a.jsonl", "--role", "viewer"])
    assert server_args(ns) == ["--audit-log", "/tmp/a.jsonl", "--role", "viewer"]
    assert main(["eval", "--scenario", "payments-incident"]) == 2
    assert "--scenarios" in capsys.readouterr().err


def test_scenario_before_investigate_is_the_one_investigated(tmp_path, capsys):
    audit = tmp_path / "audit.jsonl"
    rc = main(["--scenario", "login-failures", "--audit-log", str(audit), "investigate", "account-service",
               "--offline", "--format", "json"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "account-service" in out
    # The server got the options given before the subcommand: its audit went where they said.
    lines = audit.read_text().splitlines()
    assert any('"check_service_health"' in line and "account-service" in line for line in lines)


def test_eval_audit_log_is_followed(tmp_path, capsys):
    audit = tmp_path / "eval-audit.jsonl"
    rc = main(["eval", "--scenarios", "payments-incident", "--audit-log", str(audit), "--format", "json"])
    assert rc == 0, capsys.readouterr().err
    assert audit.is_file() and len(audit.read_text().splitlines()) > 3
