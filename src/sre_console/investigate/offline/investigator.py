"""The offline investigator: the model's seat filled by deterministic reasoning.

It follows the prompt's structured steps (handed over by the loop from the prompt
result's `_meta`), calls those tools through the same loop Claude uses, chooses
arguments from what earlier calls returned, follows the evidence to its origin, and
writes the report from the evidence. A question with no prompt starts with a sweep of
every service's health. It keeps no state between turns beyond the prompts it was
handed: each turn it rebuilds what it knows from the conversation, as a model would.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from sre_console.investigate.events import TextDelta, Usage
from sre_console.investigate.models import Emit, ModelTurn
from sre_console.investigate.offline.evidence import Evidence
from sre_console.investigate.offline.planner import Planner
from sre_console.investigate.offline.report import write_report
from sre_console.investigate.offline.steps import Procedure, procedure_from_meta

log = logging.getLogger("sre_console.investigate.offline")
_ID = re.compile(r"^off_([sx])(\d+)_")  # s: a prompt step, x: a turn of evidence-driven calls
_WRAPPER = re.compile(r"^\s*<untrusted-data[^>]*>\n?(.*?)\n?</untrusted-data>\s*$", re.S)


class OfflineInvestigator:
    """Implements the model protocol (models.Model) with deterministic rules."""

    name = "offline"

    def __init__(self, text_delay: float = 0.0):
        self.text_delay = text_delay  # a pause between streamed lines, for demos
        self._procedures: dict[str, Procedure] = {}  # prompt text -> its steps as data

    def prepare(self, prompt_text: str, meta: dict[str, Any] | None) -> None:
        """The loop hands over a prompt's structure (its `_meta`) before the first turn."""
        proc = procedure_from_meta(meta)
        if proc is not None:
            self._procedures[prompt_text] = proc

    async def turn(self, system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]], emit: Emit,
                   *, tool_choice: dict[str, Any] | None = None) -> ModelTurn:
        first = messages[0]["content"]
        prompt = first if isinstance(first, str) else "\n\n".join(b.get("text", "") for b in first if b.get("type") == "text")
        proc = self._procedure(prompt)
        question = None if proc is not None else prompt
        if proc is not None and proc.arguments.get("symptoms") is None:
            extra = prompt.split("Additional context from the user:", 1)
            if len(extra) == 2:
                proc = Procedure(proc.prompt, {**proc.arguments, "symptoms": extra[1].strip()}, proc.steps, proc.sections)
        ev, done, extra_rounds = self._rebuild(messages)
        schemas = {t["name"]: t.get("input_schema") or {} for t in tools}
        plan = Planner(proc, ev, schemas, question)
        if tool_choice is None or tool_choice.get("type") != "none":
            try:
                for kind, number, text, calls in plan.remaining(done, extra_rounds):
                    label = f"Step {number}" if kind == "s" else "Next"
                    content: list[dict[str, Any]] = [{"type": "text", "text": f"{label}: {text}\n"}]
                    await emit(TextDelta(content[0]["text"]))
                    for k, (tool, args) in enumerate(calls):
                        content.append({"type": "tool_use", "id": f"off_{kind}{number}_{len(messages)}_{k}", "name": tool, "input": args})
                    return ModelTurn(content, "tool_use", Usage())
            except Exception:  # evidence it cannot plan from: stop gathering and report what it has
                log.exception("offline planner failed; writing the report from the evidence so far")
                plan = Planner(proc, ev, schemas, question)
        try:
            report = write_report(plan)
        except Exception as exc:  # honesty over a traceback: say what is known and that the reasoning failed
            log.exception("offline report failed")
            ok = [t for t, _ in ev.calls]
            report = (f"ROOT CAUSE: not established: the offline investigator could not reason over this evidence "
                      f"({type(exc).__name__}); {len(ok)} tool calls were made ({', '.join(dict.fromkeys(ok))}). Read the tool "
                      "results above, or ask Claude.\n\nCONFIDENCE: low: no analysis\n\nSEVERITY: P3: not assessed.\n\n"
                      "IMMEDIATE ACTIONS: 1. Read the tool results of this investigation.\n")
        for line in report.splitlines(keepends=True):
            await emit(TextDelta(line))
            if self.text_delay:
                await asyncio.sleep(self.text_delay)
        return ModelTurn([{"type": "text", "text": report}], "end_turn", Usage())

    def _procedure(self, prompt: str) -> Procedure | None:
        for text, proc in self._procedures.items():
            if prompt.startswith(text):
                return proc
        return None

    @staticmethod
    def _rebuild(messages: list[dict[str, Any]]) -> tuple[Evidence, set[int], int]:
        ev = Evidence()
        uses: dict[str, dict] = {}
        done: set[int] = set()
        extra = 0
        for m in messages:
            if not isinstance(m["content"], list):
                continue
            for b in m["content"]:
                if b.get("type") == "tool_use":
                    uses[b["id"]] = b
                    sm = _ID.match(b["id"])
                    if sm and sm.group(1) == "s":
                        done.add(int(sm.group(2)))
                    elif sm:
                        extra = max(extra, int(sm.group(2)))
                elif b.get("type") == "tool_result" and b.get("tool_use_id") in uses:
                    use = uses[b["tool_use_id"]]
                    ev.add(use["name"], use.get("input") or {}, payload(b.get("content")), not b.get("is_error"))
        return ev, done, extra


def payload(content: Any) -> Any:
    """A tool result's JSON, without the loop's untrusted-data wrapper or its repeat note."""
    if isinstance(content, list):
        content = "".join(c.get("text", "") for c in content if isinstance(c, dict))
    text = str(content or "")
    m = _WRAPPER.match(text)
    if m:
        text = m.group(1).replace("<\\/untrusted-data", "</untrusted-data")
    if text.startswith("[This exact call"):
        text = text.split("]\n", 1)[-1]
    try:
        return json.loads(text)
    except ValueError:
        return text
