"""Property-based: every tool, hostile arguments built from its own schema (as
`list_tools` publishes it), through the MCP protocol. The server answers every call
with a result or a clear tool error — never a crash text or a traceback — and keeps
working after each tool's barrage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from sre_mcp.config import ServerConfig
from sre_mcp.server import build_server

SCEN = str(Path(__file__).parent / "data" / "security-scenario")

# Odd strings: control characters and NUL, right-to-left and combining marks,
# emoji, SQL and path fragments, and very long runs.
ODD = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Mn", "So", "Zs", "Lo"]), max_size=40),
    st.sampled_from(["", " ", "\x00", "payments\x00kube-system", "../../etc/passwd", "'; DROP TABLE logs; --", "{T-1m}",
                     "payment-gateway\n", "ﬁ‮ﮮ🙂", "%s%s%n", "${jndi:ldap://x}", "1e309", "-0", "null"]),
    st.builds(lambda s, n: s * n, st.sampled_from(["a", "é", "\x07", "🙂", "tx-"]), st.integers(1000, 100_000)),
)
NUMBERS = st.one_of(st.integers(-(2**63), 2**63), st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False))
ANY_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, ODD),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=8,
)


def _typed(spec: dict) -> st.SearchStrategy:
    """Values the schema half-expects: right type, wrong range; enum members and near misses."""
    options = [ANY_JSON]
    for s in [spec, *spec.get("anyOf", [])]:
        if s.get("enum"):
            options.append(st.sampled_from(s["enum"]))
            options.append(st.sampled_from([str(e).upper() for e in s["enum"]] + [str(e) + " " for e in s["enum"]]))
        t = s.get("type")
        if t == "string":
            options.append(ODD)
        elif t in ("integer", "number"):
            options.append(NUMBERS)
        elif t == "boolean":
            options.append(st.booleans())
        elif t == "null":
            options.append(st.none())
    return st.one_of(options)


def _arguments(schema: dict) -> st.SearchStrategy:
    props = schema.get("properties") or {}
    known = st.fixed_dictionaries({}, optional={k: _typed(v) for k, v in props.items()})
    unknown = st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda k: k not in props), ANY_JSON, max_size=2)
    return st.one_of(known, st.builds(lambda a, b: {**a, **b}, known, unknown))


def _check(tool: str, args: dict, r) -> None:
    text = "".join(getattr(c, "text", "") for c in r.content)
    assert "Traceback" not in text and "Error executing tool" not in text, (tool, args, text[:500])
    if r.is_error:
        err = (r.structured_content or {}).get("error") or {}
        message = err.get("message") or text
        assert message.strip(), (tool, args)
        assert text.startswith(f"{tool} failed: ") or "Unknown tool" in text or "Invalid" in text, (tool, text[:300])
    else:
        assert isinstance(r.structured_content, dict), (tool, args)
        json.dumps(r.structured_content)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    audit = tmp_path_factory.mktemp("fuzz") / "audit.jsonl"
    server, _ = build_server(ServerConfig(scenario=SCEN, audit_log=audit, rag=False, allow_writes=True, rate_limits={"*": 1_000_000}, call_timeout=30))
    with start_blocking_portal() as portal:
        with portal.wrap_async_context_manager(Client(server)) as client:
            tools = portal.call(client.list_tools).tools
            yield portal, client, tools, audit


def test_every_tool_survives_hostile_arguments(served):
    portal, client, tools, audit = served
    assert len(tools) >= 18
    calls = 0
    for t in tools:

        @settings(max_examples=30, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(_arguments(t.input_schema))
        def one(args):
            nonlocal calls
            calls += 1
            _check(t.name, args, portal.call(client.call_tool, t.name, args))

        one()
        # Still healthy after this tool's barrage.
        ok = portal.call(client.call_tool, "list_pods", {"namespace": "payments"})
        assert not ok.is_error and ok.structured_content["total"] >= 1, t.name
    # split on "\n" only: arguments may hold U+2028 or NEL, which str.splitlines() also splits on.
    lines = audit.read_text(encoding="utf-8").rstrip("\n").split("\n")
    assert all(json.loads(line)["outcome"] in ("ok", "error") for line in lines)
    assert len(lines) == calls + len(tools), "one audit line per call"
    # No write acted: a random string is never a valid confirmation token.
    assert not any('"confirmed"' in line for line in lines)
