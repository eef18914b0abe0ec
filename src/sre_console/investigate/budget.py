"""Context budget: what a tool result may cost the model, and compaction of old turns.

The console always shows a whole result; only the copy sent to the model is cut,
and every cut says what was left out and how to get more, so the model can narrow
its next call instead of guessing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

CHARS_PER_TOKEN = 4  # a conservative rule of thumb for English and JSON


def estimate_tokens(value: Any) -> int:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return len(text) // CHARS_PER_TOKEN + 1


@dataclass
class Budget:
    result_tokens: int = 6000  # per tool result sent to the model
    conversation_tokens: int = 120_000  # compact earlier turns beyond this
    keep_recent_turns: int = 2  # tool results of the newest turns are never compacted


def _dump(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def _shrink(value: Any, max_items: int, max_str: int, cut: list[str], path: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _shrink(v, max_items, max_str, cut, f"{path}.{k}" if path else k) for k, v in value.items()}
    if isinstance(value, list):
        kept = [_shrink(v, max_items, max_str, cut, f"{path}[]") for v in value[:max_items]]
        if len(value) > max_items:
            cut.append(f"{path or 'result'}: {len(value) - max_items} of {len(value)} items")
            kept.append({"_omitted": f"{len(value) - max_items} more items not shown"})
        return kept
    if isinstance(value, str) and len(value) > max_str:
        cut.append(f"{path or 'text'}: {len(value) - max_str} characters")
        return value[:max_str] + "…[cut]"
    return value


def fit_result(tool: str, payload: Any, max_tokens: int) -> tuple[str, list[str]]:
    """The text of a result for the model, within max_tokens, and what was left out.

    Lists and long strings are shortened first, so what remains is still valid JSON
    the model can read; only if that is not enough is the text cut hard.
    """
    text = payload if isinstance(payload, str) else _dump(payload)
    limit = max_tokens * CHARS_PER_TOKEN
    if len(text) <= limit:
        return text, []
    if not isinstance(payload, str):
        for max_items, max_str in ((50, 2000), (20, 1000), (10, 500), (5, 300), (3, 200), (1, 120)):
            cut: list[str] = []
            shrunk = _shrink(payload, max_items, max_str, cut)
            note = _note(tool, cut)
            if isinstance(shrunk, dict):
                shrunk = {"_truncated": note, **shrunk}
            candidate = _dump(shrunk)
            if len(candidate) <= limit:
                return candidate, cut
    cut = [f"{len(text) - limit} of {len(text)} characters"]
    return text[: max(0, limit - 300)] + "\n[TRUNCATED] " + _note(tool, cut), cut


def _note(tool: str, cut: list[str]) -> str:
    return (
        f"result of {tool} shortened to fit the context budget; left out: " + "; ".join(cut[:6])
        + ". The console shows the whole result to the user. To see more, call again with narrower filters "
        "(a service, level, keyword, shorter time_range, status_filter) or a smaller limit."
    )


def conversation_tokens(system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int:
    return estimate_tokens(system) + estimate_tokens(messages) + estimate_tokens(tools)


def untrusted(tool: str, text: str) -> str:
    """A tool result as the model sees it: fenced as data, so text inside cannot pose as instructions.
    A closing tag inside the data is escaped, so the data cannot end the fence early."""
    body = text.replace("</untrusted-data", "<\\/untrusted-data")
    return f'<untrusted-data source="tool:{tool}">\n{body}\n</untrusted-data>'


def compact(messages: list[dict[str, Any]], summaries: dict[str, str], keep_recent_turns: int) -> int:
    """Replace old tool results (all but the newest turns) by their one-line summary, in place.

    Returns how many results were compacted. The transcript keeps the full results;
    only the conversation sent to the model gets shorter.
    """
    result_turns = [i for i, m in enumerate(messages) if m["role"] == "user" and isinstance(m["content"], list)
                    and any(b.get("type") == "tool_result" for b in m["content"])]
    old = result_turns[:-keep_recent_turns] if keep_recent_turns else result_turns
    n = 0
    for i in old:
        for block in messages[i]["content"]:
            if block.get("type") != "tool_result" or block.get("_compacted"):
                continue
            line = summaries.get(block["tool_use_id"], "result")
            # The summary quotes the result (a log line, an event), so it stays fenced as data.
            block["content"] = untrusted("summary", f"[compacted to save context: {line}. Call the tool again if you need the details.]")
            block["_compacted"] = True
            n += 1
    return n


def api_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages without our private bookkeeping keys (the API rejects unknown fields)."""
    out = []
    for m in messages:
        content = m["content"]
        if isinstance(content, list):
            content = [{k: v for k, v in b.items() if not k.startswith("_")} for b in content]
        out.append({"role": m["role"], "content": content})
    return out
