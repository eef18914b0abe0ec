"""Claude through the anthropic SDK: streaming, tool use, visible retries, prompt caching.

The SDK's own retries are switched off (max_retries=0) so that every wait is ours and
shows in the console as a Retry event instead of a silent pause. `ANTHROPIC_API_KEY`
and `ANTHROPIC_BASE_URL` are read by the SDK itself.
"""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any

import anthropic

from sre_console.investigate.events import Retry, TextDelta, Usage
from sre_console.investigate.models import Emit, ModelError, ModelTurn

# The newest Sonnet the installed SDK lists (anthropic.types.ModelParam); override with SRE_MODEL or --model.
DEFAULT_MODEL = "claude-sonnet-5-5"
# USD per million tokens (input, output); cache writes cost 1.25x input, cache reads 0.1x. An estimate:
# the console shows it as such.
PRICES = {"opus": (5.0, 25.0), "sonnet": (3.0, 15.0), "haiku": (1.0, 5.0)}
RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504, 529}


def estimate_cost(model: str, u: Usage) -> float:
    family = next((f for f in PRICES if f in model), "sonnet")
    pin, pout = PRICES[family]
    return (u.input_tokens * pin + u.output_tokens * pout + u.cache_write_tokens * pin * 1.25
            + u.cache_read_tokens * pin * 0.1) / 1_000_000


def default_model() -> str:
    return os.environ.get("SRE_MODEL") or DEFAULT_MODEL


class AnthropicModel:
    def __init__(self, model: str | None = None, *, client: Any = None, max_tokens: int = 4096, max_attempts: int = 5,
                 backoff_base: float = 1.0, backoff_max: float = 30.0, timeout: float = 120.0):
        self.model = model or default_model()
        self.name = f"claude ({self.model})"
        self.client = client or anthropic.AsyncAnthropic(max_retries=0, timeout=timeout)
        self.max_tokens = max_tokens
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max

    def _request(self, system: str, messages: list[dict], tools: list[dict], tool_choice: dict | None) -> dict[str, Any]:
        tools = [dict(t) for t in tools]
        if tools:  # one cache breakpoint after the tools and one after the system prompt: both rarely change
            tools[-1]["cache_control"] = {"type": "ephemeral"}
        req: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
            "messages": messages,
        }
        if tools:
            req["tools"] = tools
        if tool_choice:
            req["tool_choice"] = tool_choice
        return req

    async def turn(self, system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]], emit: Emit,
                   *, tool_choice: dict[str, Any] | None = None) -> ModelTurn:
        req = self._request(system, messages, tools, tool_choice)
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._stream(req, emit)
            except anthropic.APIStatusError as exc:
                status = exc.status_code
                if status in (401, 403):
                    raise ModelError(f"Claude refused the API key ({status}): {_message(exc)}. Check ANTHROPIC_API_KEY, "
                                     "or use the offline investigator (--offline).") from None
                if status not in RETRYABLE_STATUS or attempt >= self.max_attempts:
                    what = "overloaded" if status == 529 else f"HTTP {status}"
                    raise ModelError(f"Claude request failed ({what}) after {attempt} attempt(s): {_message(exc)}") from None
                wait = self._wait(attempt, exc.response.headers.get("retry-after"))
                reason = {429: "rate limited (429)", 529: "overloaded (529)"}.get(status, f"server error ({status})")
            except (anthropic.APIConnectionError, anthropic.APITimeoutError) as exc:
                if attempt >= self.max_attempts:
                    raise ModelError(f"cannot reach Claude after {attempt} attempt(s): {exc}. "
                                     "Check the network or ANTHROPIC_BASE_URL, or use --offline.") from None
                wait, reason = self._wait(attempt, None), f"connection problem ({type(exc).__name__})"
            await emit(Retry(attempt, wait, reason))
            await asyncio.sleep(wait)

    def _wait(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(self.backoff_max, max(0.0, float(retry_after)))
            except ValueError:
                pass
        base = self.backoff_base * (2 ** (attempt - 1))
        return min(self.backoff_max, base * (0.75 + random.random() / 2))  # jitter spreads out the callers

    async def _stream(self, req: dict[str, Any], emit: Emit) -> ModelTurn:
        async with self.client.messages.stream(**req) as stream:
            async for event in stream:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    await emit(TextDelta(event.delta.text))
            final = await stream.get_final_message()
        content: list[dict[str, Any]] = []
        for block in final.content:
            if block.type == "text":
                content.append({"type": "text", "text": block.text})
            elif block.type == "tool_use":
                content.append({"type": "tool_use", "id": block.id, "name": block.name, "input": block.input or {}})
        u = final.usage
        usage = Usage(
            input_tokens=u.input_tokens or 0,
            output_tokens=u.output_tokens or 0,
            cache_read_tokens=getattr(u, "cache_read_input_tokens", None) or 0,
            cache_write_tokens=getattr(u, "cache_creation_input_tokens", None) or 0,
        )
        usage.cost_usd = estimate_cost(self.model, usage)
        return ModelTurn(content, final.stop_reason or "end_turn", usage)


def _message(exc: anthropic.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    err = body.get("error") if isinstance(body.get("error"), dict) else {}
    return err.get("message") or str(exc)
