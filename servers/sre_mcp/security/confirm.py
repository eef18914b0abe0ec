"""Confirmation tokens: a write acts only when re-sent with the token its preview returned.

A token is `<expiry>.<nonce>.<mac>` where mac = HMAC-SHA256(per-process random key,
tool ∥ canonical JSON of the other arguments ∥ expiry ∥ nonce). So it is bound to
the tool and its exact arguments, cannot be forged or carried to another server
process, expires, and is usable once (its nonce is remembered until it expires).
The key lives only in memory: a restarted server forgets all outstanding tokens,
which is the safe direction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from typing import Any, Callable

TOKEN_TTL_S = 300


class TokenError(Exception):
    """The token cannot authorise this call; the message says why."""


def canonical(tool: str, arguments: dict[str, Any]) -> bytes:
    args = {k: v for k, v in arguments.items() if k != "confirmation_token"}
    return tool.encode() + b"\0" + json.dumps(args, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


class ConfirmationTokens:
    def __init__(self, ttl_s: float = TOKEN_TTL_S, clock: Callable[[], float] = time.time, key: bytes | None = None):
        self.ttl_s = ttl_s
        self.clock = clock
        self._key = key or secrets.token_bytes(32)
        self._used: dict[str, float] = {}  # nonce -> expiry
        self._lock = threading.Lock()

    def _mac(self, tool: str, arguments: dict[str, Any], expiry: int, nonce: str) -> str:
        from sre_mcp.security.identity import principal

        # Bound to the caller too (user and MCP session on an authenticated server): a token
        # previewed by one user in one session cannot be redeemed by anyone else.
        msg = (canonical(tool, arguments) + b"\0" + str(expiry).encode() + b"\0" + nonce.encode()
               + b"\0" + principal().encode())
        return base64.urlsafe_b64encode(hmac.new(self._key, msg, hashlib.sha256).digest()).decode().rstrip("=")

    def issue(self, tool: str, arguments: dict[str, Any]) -> tuple[str, str]:
        """(token, token id); the id is logged so the preview and the confirmed call can be linked."""
        expiry = int(self.clock() + self.ttl_s)
        nonce = base64.urlsafe_b64encode(os.urandom(9)).decode()
        return f"{expiry}.{nonce}.{self._mac(tool, arguments, expiry, nonce)}", nonce

    def redeem(self, tool: str, arguments: dict[str, Any], token: str) -> str:
        """Consume the token for exactly this call; returns its id. Raises TokenError."""
        parts = token.split(".") if isinstance(token, str) else []
        if len(parts) != 3 or not parts[0].isdigit():
            raise TokenError("confirmation_token is not a token this server issued")
        expiry, nonce, mac = int(parts[0]), parts[1], parts[2]
        if not hmac.compare_digest(mac, self._mac(tool, arguments, expiry, nonce)):
            raise TokenError(
                f"confirmation_token was not issued for {tool} with these exact arguments "
                "by this caller (arguments changed since the preview, another tool's token, a token previewed by "
                "another user or in another session, or one from another server process)"
            )
        now = self.clock()
        with self._lock:
            # Forget used nonces once their token has expired anyway: bounded memory.
            for n, exp in list(self._used.items()):
                if exp < now:
                    del self._used[n]
            if nonce in self._used:
                raise TokenError("confirmation_token was already used; a token authorises one call")
            if expiry < now:
                raise TokenError(f"confirmation_token expired {int(now - expiry)}s ago (tokens live {int(self.ttl_s)}s)")
            self._used[nonce] = expiry
        return nonce
