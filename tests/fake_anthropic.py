"""A local HTTP server that answers like the Messages API, for testing the real anthropic SDK.

Script it with a list of replies, served in order, one per POST /v1/messages:
- `text_reply("...")`, `tool_reply([...])`: a message, streamed as SSE (message_start,
  content_block_start/delta/stop with text_delta or input_json_delta, message_delta with
  stop_reason and usage, message_stop) when the request asks to stream, else JSON;
- `error_reply(429, "rate_limit_error", retry_after="0")`: an error with the API's JSON body.
A callable reply gets the request body and returns one of those (a model that loops, say).
Every request body is kept in `.requests` for assertions.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from tests.http_reply import reply


def text_reply(text: str, usage: dict | None = None, chunk: int = 12, delay: float = 0.0) -> dict:
    return {"content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "usage": usage or {}, "chunk": chunk, "delay": delay}


def tool_reply(calls: list[tuple[str, dict]], text: str = "", usage: dict | None = None, delay: float = 0.0) -> dict:
    content: list[dict] = [{"type": "text", "text": text}] if text else []
    for i, (name, args) in enumerate(calls):
        content.append({"type": "tool_use", "id": f"toolu_{int(time.time() * 1e6) % 10**9}_{i}", "name": name, "input": args})
    return {"content": content, "stop_reason": "tool_use", "usage": usage or {}, "chunk": 12, "delay": delay}


def error_reply(status: int, kind: str, message: str | None = None, retry_after: str | None = None) -> dict:
    return {"error": {"status": status, "type": kind, "message": message or kind.replace("_", " "), "retry_after": retry_after}}


class FakeAnthropic:
    def __init__(self, replies: list[Any] | None = None):
        self.replies: list[Any] = list(replies or [])
        self.requests: list[dict] = []
        self.fallback: Callable[[dict], dict] | None = None
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                if not self.path.startswith("/v1/messages"):
                    return self._json(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})
                with fake._lock:
                    fake.requests.append(body)
                    reply = fake.replies.pop(0) if fake.replies else (fake.fallback(body) if fake.fallback else text_reply("(script ended)"))
                if callable(reply):
                    reply = reply(body)
                if "error" in reply:
                    e = reply["error"]
                    headers = {"retry-after": e["retry_after"]} if e.get("retry_after") is not None else {}
                    # x-should-retry: false keeps the SDK from retrying on its own; the console's loop decides.
                    headers["x-should-retry"] = "false"
                    return self._json(e["status"], {"type": "error", "error": {"type": e["type"], "message": e["message"]}}, headers)
                if body.get("stream"):
                    return self._sse(body, reply)
                return self._json(200, fake.message(body, reply))

            def _json(self, status: int, obj: dict, headers: dict | None = None) -> None:
                reply(self, status, obj, headers={"request-id": "req_fake", **(headers or {})})

            def _sse(self, body: dict, reply: dict) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                self.send_header("connection", "close")
                self.end_headers()
                msg = fake.message(body, reply)
                usage = msg["usage"]

                def send(kind: str, data: dict) -> None:
                    self.wfile.write(f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode())
                    self.wfile.flush()
                    if reply.get("delay"):
                        time.sleep(reply["delay"])

                try:
                    send("message_start", {"type": "message_start", "message": {**msg, "content": [], "stop_reason": None,
                                                                                "usage": {**usage, "output_tokens": 1}}})
                    for i, block in enumerate(msg["content"]):
                        if block["type"] == "text":
                            send("content_block_start", {"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}})
                            text, n = block["text"], reply.get("chunk", 12)
                            for j in range(0, len(text), n):
                                send("content_block_delta", {"type": "content_block_delta", "index": i,
                                                             "delta": {"type": "text_delta", "text": text[j:j + n]}})
                        else:
                            send("content_block_start", {"type": "content_block_start", "index": i,
                                                         "content_block": {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}})
                            raw = json.dumps(block["input"])
                            for j in range(0, len(raw), 7):  # split mid-token, as the API does
                                send("content_block_delta", {"type": "content_block_delta", "index": i,
                                                             "delta": {"type": "input_json_delta", "partial_json": raw[j:j + 7]}})
                        send("content_block_stop", {"type": "content_block_stop", "index": i})
                    send("message_delta", {"type": "message_delta", "delta": {"stop_reason": msg["stop_reason"], "stop_sequence": None},
                                           "usage": {"output_tokens": usage["output_tokens"]}})
                    send("message_stop", {"type": "message_stop"})
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client cancelled mid-stream

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def message(self, body: dict, reply: dict) -> dict:
        usage = {"input_tokens": 1000 + len(json.dumps(body.get("messages"))) // 4, "output_tokens": 50,
                 "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, **reply.get("usage", {})}
        return {"id": f"msg_{len(self.requests)}", "type": "message", "role": "assistant", "model": body.get("model"),
                "content": reply["content"], "stop_reason": reply["stop_reason"], "stop_sequence": None, "usage": usage}

    def __enter__(self) -> "FakeAnthropic":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
