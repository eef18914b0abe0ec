"""Prompts are real procedures naming only real tools; runbooks are resources."""

from __future__ import annotations

import re

import pytest
from mcp import Client

from sre_mcp import prompts
from sre_mcp.config import ServerConfig
from sre_mcp.server import build_server
from tests.conftest import MINI


def _client(tmp_path) -> Client:
    # A plain context manager per test: async-generator fixtures would close the
    # client's task group from another task.
    server, _ = build_server(ServerConfig(scenario=str(MINI), audit_log=tmp_path / "a.jsonl", rag=False))
    return Client(server)


async def test_prompts_name_only_tools_that_exist(tmp_path):
    async with _client(tmp_path) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        listed = (await client.list_prompts()).prompts
        assert {p.name for p in listed} == {"investigate-service", "trace-transaction", "pre-deploy-check", "daily-health-report"}
        for spec in prompts.PROMPTS:
            args = {a.name: "payment-gateway" if a.name == "service" else "payments" if a.name == "namespace" else "tx-abc123" for a in spec.arguments}
            result = await client.get_prompt(spec.name, args)
            text = result.messages[0].content.text
            named = set(re.findall(r"`([a-z_]+)`", text))
            assert named, spec.name
            assert named <= tools, f"{spec.name} names unknown tools: {named - tools}"
            assert len(re.findall(r"^\d+\. ", text, re.M)) >= 5, "a step-by-step procedure"
            for section in ("ROOT CAUSE", "SEVERITY", "IMMEDIATE ACTIONS", "RUNBOOK REFERENCE", "FOLLOW-UP"):
                assert section in text, (spec.name, section)
            assert "P1" in text and "P4" in text
        pre = (await client.get_prompt("pre-deploy-check", {"service": "payment-gateway", "namespace": "payments"})).messages[0].content.text
        assert "GO or NO-GO" in pre
        daily = (await client.get_prompt("daily-health-report", {})).messages[0].content.text
        assert "GREEN" in daily and "YELLOW" in daily and "RED" in daily


async def test_prompt_arguments_are_declared_and_required(tmp_path):
    async with _client(tmp_path) as client:
        listed = {p.name: p for p in (await client.list_prompts()).prompts}
        inv = {a.name: a.required for a in listed["investigate-service"].arguments}
        assert inv == {"service": True, "symptoms": False}
        with pytest.raises(Exception):
            await client.get_prompt("investigate-service", {})
        text = (await client.get_prompt("investigate-service", {"service": "payment-gateway", "symptoms": "card declines"})).messages[0].content.text
        assert "payment-gateway" in text and "card declines" in text


async def test_runbooks_are_resources_with_titles(tmp_path):
    async with _client(tmp_path) as client:
        resources = (await client.list_resources()).resources
        uris = {str(r.uri) for r in resources}
        assert len([u for u in uris if u.startswith("runbook://")]) >= 10
        oom = next(r for r in resources if str(r.uri) == "runbook://pod-crashloop-oomkilled")
        assert oom.title and oom.title in oom.name and oom.mime_type == "text/markdown"
        body = (await client.read_resource("runbook://pod-crashloop-oomkilled")).contents[0].text
        assert body.lstrip().startswith("---") and "kubectl" in body
        templates = (await client.list_resource_templates()).resource_templates
        assert any(t.uri_template == "runbook://{runbook_id}" for t in templates)
        with pytest.raises(Exception):
            await client.read_resource("runbook://no-such-runbook")


def test_every_shipped_runbook_has_front_matter_and_commands():
    from sre_mcp.runtime import SHIPPED_RUNBOOKS
    from sre_mcp.rag.runbooks import load_runbooks

    errors: list[str] = []
    books = load_runbooks([SHIPPED_RUNBOOKS], errors)
    assert not errors
    assert len(books) >= 14
    for rb in books.values():
        assert rb.title and rb.team and rb.tags
        assert "```" in rb.text, f"{rb.id} has no commands"
