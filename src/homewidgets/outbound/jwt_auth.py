"""End-user authentication with JWTs (PyJWT): signature, expiry, audience, optional issuer.

Keys come from a JWKS file or URL. Verifying an RS256 signature costs tens of
microseconds, more than the whole read path, so verified tokens are remembered (bounded,
and never past their own `exp`): a page that reads its home repeatedly pays once.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
from moka_py import Moka

from homewidgets.domain.errors import Unauthorized

DEFAULT_ALGORITHMS = ("RS256", "ES256", "EdDSA")
_LEEWAY_SECONDS = 30


class JwtAuthenticator:
    """UserAuthenticator on PyJWT; lives as long as the app."""

    def __init__(
        self,
        jwks: str,
        *,
        audience: str,
        issuer: str | None = None,
        algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS,
        cache_size: int = 100_000,
    ) -> None:
        self._audience = audience
        self._issuer = issuer
        self._algorithms = list(algorithms)
        self._remembered: Moka[str, tuple[str, float]] = Moka(cache_size)
        if jwks.startswith(("http://", "https://")):
            self._url_client: jwt.PyJWKClient | None = jwt.PyJWKClient(jwks, cache_keys=True)
            self._keys: jwt.PyJWKSet | None = None
        else:
            self._url_client = None
            self._keys = jwt.PyJWKSet.from_dict(json.loads(Path(jwks).read_text("utf-8")))

    def subject(self, authorization: str | None) -> str:
        if not authorization:
            raise Unauthorized("this service needs Authorization: Bearer <JWT>")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Authorization must be 'Bearer <JWT>'")
        known = self._remembered.get(token)
        if known is not None and known[1] > time.time():
            return known[0]
        claims = self._verify(token)
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise Unauthorized("the token has no subject")
        exp = claims["exp"]
        expires = float(exp) if isinstance(exp, int | float) else 0.0
        remaining = expires - time.time()
        if remaining > 0:  # a token inside the expiry leeway is accepted, not remembered
            self._remembered.set(token, (sub, expires), ttl=remaining)
        return sub

    def _verify(self, token: str) -> dict[str, object]:
        try:
            key = self._signing_key(token)
            claims: dict[str, object] = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "sub", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired") from None
        except (jwt.PyJWTError, KeyError, ValueError) as exc:
            raise Unauthorized(f"invalid token: {exc}") from None
        return claims

    def _signing_key(self, token: str) -> Any:
        if self._url_client is not None:
            return self._url_client.get_signing_key_from_jwt(token).key
        assert self._keys is not None
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self._keys.keys:
            if kid is None or key.key_id == kid:
                return key.key
        raise Unauthorized("no key matches the token's kid")
