"""Bearer-token verification for the streamable HTTP transport (the SDK's `TokenVerifier`).

Two kinds, usable together:
- static tokens (`--auth-tokens FILE`): a YAML list of
  `{user: alice, groups: [sre], token_sha256: <hex SHA-256 of the token>}`; the file holds
  hashes only, and is re-read when it changes, so adding or revoking a user needs no restart;
- OIDC access tokens (`--oidc-issuer`, `--oidc-audience`, `--oidc-jwks` URL or file): JWTs
  whose signature, issuer, audience, expiry and not-before are checked by PyJWT against the
  issuer's keys; the user is the `--oidc-user-claim` (default `preferred_username`, then
  `email`, then `sub`) and the groups the `--oidc-groups-claim` (default `groups`).
A token that fails is answered 401 with `WWW-Authenticate` by the SDK's bearer middleware;
why it failed is counted (`refusals`) for /metrics, never echoed to the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from mcp.server.auth.provider import AccessToken

log = logging.getLogger("sre_mcp")


class AuthConfigError(ValueError):
    """The auth configuration is unusable: the server must not start."""


class Refusals:
    """Why tokens were refused, by reason (missing, invalid, expired, ...)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, reason: str) -> None:
        with self._lock:
            self.counts[reason] += 1


class StaticTokens:
    """Users with long-lived tokens, by the SHA-256 of the token (the file never holds a token)."""

    def __init__(self, path: Path, refusals: Refusals | None = None):
        self.path = Path(path)
        self.refusals = refusals or Refusals()
        self._mtime: float | None = None
        self._entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._load(initial=True)

    def _load(self, initial: bool = False) -> None:
        try:
            stat = self.path.stat()
        except OSError as exc:
            if initial:
                raise AuthConfigError(f"--auth-tokens {self.path}: {exc.strerror or exc}") from None
            log.error("auth tokens file %s unreadable (%s): keeping the last good list", self.path, exc)
            return
        if self._mtime == stat.st_mtime_ns:
            return
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or []
            entries = []
            if not isinstance(data, list):
                raise ValueError("expected a list of {user, groups, token_sha256}")
            for i, e in enumerate(data, 1):
                if not isinstance(e, dict) or not isinstance(e.get("user"), str) or not e["user"]:
                    raise ValueError(f"entry {i}: needs `user`")
                digest = str(e.get("token_sha256", "")).lower()
                if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                    raise ValueError(f"entry {i} ({e['user']}): token_sha256 must be 64 hex digits (sha256sum of the token)")
                groups = e.get("groups") or []
                if not isinstance(groups, list):
                    raise ValueError(f"entry {i} ({e['user']}): groups must be a list")
                entries.append({"user": e["user"], "groups": [str(g) for g in groups], "digest": bytes.fromhex(digest)})
        except (OSError, ValueError, yaml.YAMLError) as exc:
            if initial:
                raise AuthConfigError(f"--auth-tokens {self.path}: {exc}") from None
            log.error("auth tokens file %s invalid (%s): keeping the last good list", self.path, exc)
            return
        with self._lock:
            self._entries, self._mtime = entries, stat.st_mtime_ns
        if not initial:
            log.warning("auth tokens file %s re-read: %d users", self.path, len(entries))

    def users(self) -> list[str]:
        return [e["user"] for e in self._entries]

    def verify(self, token: str) -> AccessToken | None:
        self._load()
        digest = hashlib.sha256(token.encode()).digest()
        with self._lock:
            entries = list(self._entries)
        found = None
        for e in entries:  # compare against every entry: the time taken says nothing about which matched
            if hmac.compare_digest(digest, e["digest"]):
                found = e
        if found is None:
            return None
        return AccessToken(token=token, client_id=found["user"], scopes=[], subject=found["user"],
                           claims={"groups": found["groups"], "sre/via": "static-token"})


class OidcTokens:
    """JWT access tokens from an OpenID Connect issuer, verified with PyJWT."""

    ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]

    def __init__(self, issuer: str, audience: str, jwks: str, user_claim: str | None = None,
                 groups_claim: str = "groups", refusals: Refusals | None = None, leeway: float = 30.0):
        import jwt

        if not issuer or not audience or not jwks:
            raise AuthConfigError("OIDC needs --oidc-issuer, --oidc-audience and --oidc-jwks (a URL or a file)")
        self.issuer, self.audience = issuer, audience
        self.user_claims = [user_claim] if user_claim else ["preferred_username", "email", "sub"]
        self.groups_claim = groups_claim
        self.refusals = refusals or Refusals()
        self.leeway = leeway
        self._jwt = jwt
        if jwks.startswith(("https://", "http://")):
            self._client = jwt.PyJWKClient(jwks, cache_keys=True, lifespan=300, timeout=5)
            self._keyset = None
        else:
            path = Path(jwks)
            try:
                self._keyset = jwt.PyJWKSet.from_json(path.read_text(encoding="utf-8"))
            except (OSError, jwt.PyJWTError, ValueError) as exc:
                raise AuthConfigError(f"--oidc-jwks {jwks}: {exc}") from None
            self._client = None

    def _key(self, token: str):
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token).key
        kid = self._jwt.get_unverified_header(token).get("kid")
        keys = [k for k in self._keyset.keys if kid is None or k.key_id == kid]
        if not keys:
            raise self._jwt.InvalidKeyError(f"no key {kid!r} in the JWKS")
        return keys[0].key

    def verify(self, token: str) -> AccessToken | None:
        jwt = self._jwt
        if token.count(".") != 2:
            return None  # not a JWT: not ours to judge (a static token may match)
        try:
            claims = jwt.decode(
                token, self._key(token), algorithms=self.ALGORITHMS, audience=self.audience, issuer=self.issuer,
                leeway=self.leeway, options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            self.refusals.add("expired")
            return None
        except (jwt.PyJWTError, ValueError) as exc:
            self.refusals.add("invalid")
            log.info("OIDC token refused: %s", type(exc).__name__)
            return None
        user = next((str(claims[c]) for c in self.user_claims if claims.get(c)), None)
        if user is None:
            self.refusals.add("no user claim")
            return None
        groups = claims.get(self.groups_claim) or []
        if isinstance(groups, str):
            groups = [groups]
        return AccessToken(token=token, client_id=user, scopes=str(claims.get("scope", "")).split(), subject=str(claims.get("sub") or user),
                           expires_at=int(claims["exp"]), claims={"groups": [str(g) for g in groups], "iss": claims.get("iss"), "sre/via": "oidc"})


class Verifier:
    """The `TokenVerifier` the SDK calls: static tokens first, then OIDC."""

    def __init__(self, static: StaticTokens | None, oidc: OidcTokens | None, refusals: Refusals):
        self.static, self.oidc, self.refusals = static, oidc, refusals

    async def verify_token(self, token: str) -> AccessToken | None:
        import anyio.to_thread

        # JWKS fetches and file re-reads block: off the event loop.
        return await anyio.to_thread.run_sync(self._verify, token)

    def _verify(self, token: str) -> AccessToken | None:
        if self.static is not None:
            found = self.static.verify(token)
            if found is not None:
                return found
        if self.oidc is not None and token.count(".") == 2:
            return self.oidc.verify(token)  # counts its own refusals (expired, invalid)
        self.refusals.add("unknown token")
        return None


def build_verifier(config: Any) -> tuple[Verifier | None, Refusals]:
    refusals = Refusals()
    static = StaticTokens(config.auth_tokens, refusals) if config.auth_tokens else None
    oidc = None
    if config.oidc_issuer or config.oidc_jwks or config.oidc_audience:
        oidc = OidcTokens(config.oidc_issuer or "", config.oidc_audience or "", config.oidc_jwks or "",
                          user_claim=config.oidc_user_claim, groups_claim=config.oidc_groups_claim or "groups", refusals=refusals)
    if static is None and oidc is None:
        return None, refusals
    return Verifier(static, oidc, refusals), refusals


def process_user() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in a container
        return f"uid:{os.getuid()}"


