"""OpenID Connect access tokens: who a browser or an EHR app acts for (SPEC §10).

A token is a JWT from one issuer, checked with PyJWT against the keys the issuer publishes
(its JWKS). Keys are cached; a token naming a key we have not seen makes us fetch the JWKS
again, at most once a minute, so a flood of made-up ``kid``s cannot turn this service into
a load generator against the issuer. Fetching blocks, so callers on an event loop run
``refresh`` in a thread (``api.auth``); verifying a token with a cached key is CPU work only.

Only asymmetric algorithms are accepted: with an HMAC algorithm the "key" would be the
issuer's *public* key, which anyone can read (the classic algorithm-confusion forgery).

``DemoIssuer`` signs tokens for ``serve --demo`` with a key made for the process; its public
half is trusted (and published) only when the demo runs.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from p2p_scheduler.config import Settings

#: SPEC §10: asymmetric algorithms only
ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
#: which algorithms a key of each JWK type may verify
_BY_KEY_TYPE = {"RSA": ("RS256", "PS256"), "EC": ("ES256",), "OKP": ("EdDSA",)}
LEEWAY_SECONDS = 60
REFETCH_SECONDS = 60.0
#: roles a token may carry; ``provider`` exists only for tokens (a key has no organisation)
TOKEN_ROLES = frozenset({"admin", "portal", "reviewer", "provider", "ops"})
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
#: a JWT in compact form: three base64url parts
_COMPACT = re.compile(r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*$")


class InvalidToken(Exception):
    """The token cannot be trusted; the message says why in words a caller can act on."""


class UnknownSigningKey(InvalidToken):
    """The token names a key its issuer's set does not hold (yet: a key rotation may have
    published it since the keys were fetched)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """The person a valid token acts for."""

    role: str
    subject: str
    reviewer_id: str | None = None
    provider_org: str | None = None
    name: str | None = None
    email: str | None = None


def looks_like_token(credential: str) -> bool:
    """Whether a bearer credential has a JWT's shape (an API key is matched first anyway)."""
    return len(credential) < 16_384 and _COMPACT.match(credential) is not None


def _claim(claims: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise InvalidToken(f"The token has no '{name}' claim.")
        return None
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise InvalidToken(
            f"The token's '{name}' claim must be 1-64 letters, digits, '_', '.' or '-'."
        )
    return value


def identity_of(claims: dict[str, Any]) -> Identity:
    """The identity the verified ``claims`` describe (SPEC §10 "Claims")."""
    role = claims.get("p2p_role")
    if not isinstance(role, str) or role not in TOKEN_ROLES:  # a list or object is unhashable
        raise InvalidToken(
            "The token's 'p2p_role' claim must be one of " + ", ".join(sorted(TOKEN_ROLES)) + "."
        )
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise InvalidToken("The token's 'sub' claim must name the person (1-255 characters).")
    name, email = claims.get("name"), claims.get("email")
    return Identity(
        role=role,
        subject=subject,
        reviewer_id=_claim(claims, "reviewer_id", required=role == "reviewer"),
        provider_org=_claim(claims, "provider_org", required=role == "provider"),
        name=name if isinstance(name, str) else None,
        email=email if isinstance(email, str) else None,
    )


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a token with nothing checked yet, in one parse of it."""
    try:
        found = jwt.decode_complete(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidToken("The token is not a well-formed JWT.") from None
    return found["header"], found["payload"]


def _fetch_json(url: str) -> dict[str, Any]:
    response = httpx.get(url, timeout=5.0, follow_redirects=False)
    response.raise_for_status()
    found = response.json()
    if not isinstance(found, dict):
        raise ValueError(f"{url} did not answer a JSON object")
    return found


@dataclass
class KeySet:
    """The issuer's signing keys by ``kid``, fetched from its JWKS and kept until a token
    names one we do not have (then fetched again, at most once per ``REFETCH_SECONDS``)."""

    issuer: str
    jwks_url: str | None = None
    fetch: Callable[[str], dict[str, Any]] = _fetch_json
    clock: Callable[[], float] = time.monotonic
    keys: dict[str | None, jwt.PyJWK] = field(default_factory=dict)
    #: the last fetch failed (the issuer is down or answered nonsense)
    unreachable: bool = False
    _fetched_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def fixed(cls, issuer: str, jwks: dict[str, Any]) -> KeySet:
        """Keys known up front and never fetched (the demo issuer's)."""
        found = cls(issuer=issuer, fetch=lambda url: jwks)
        found._load(jwks)
        found._fetched_at = float("inf")
        return found

    def get(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None and len(self.keys) == 1:
            return next(iter(self.keys.values()))
        return self.keys.get(kid)

    def due(self) -> bool:
        """Whether a fetch is allowed now (never yet, or not in the last minute)."""
        fetched = self._fetched_at
        return fetched is None or self.clock() - fetched >= REFETCH_SECONDS

    def refresh(self) -> None:
        """Fetch the JWKS if ``due`` (blocking: call it off the event loop). A failed fetch
        keeps the keys we had and counts as a fetch, so a down issuer is not hammered."""
        with self._lock:
            if not self.due():
                return
            self._fetched_at = self.clock()
            try:
                url = self.jwks_url or self._discover()
                self._load(self.fetch(url))
            except (httpx.HTTPError, ValueError, KeyError, TypeError, jwt.PyJWTError):
                self.unreachable = True
                return
            self.unreachable = False

    def _discover(self) -> str:
        config = self.fetch(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
        url = config["jwks_uri"]
        if not isinstance(url, str):
            raise ValueError("jwks_uri is not a URL")
        self.jwks_url = url
        return url

    def _load(self, jwks: dict[str, Any]) -> None:
        keys: dict[str | None, jwt.PyJWK] = {}
        for data in jwks.get("keys", []):
            if not isinstance(data, dict) or data.get("use", "sig") != "sig":
                continue
            if data.get("kty") not in _BY_KEY_TYPE:
                continue  # symmetric ("oct") keys are never trusted
            try:
                keys[data.get("kid")] = jwt.PyJWK(data)
            except (jwt.PyJWTError, ValueError, TypeError):
                continue  # one malformed key does not cost us the issuer's others
        self.keys = keys


@dataclass
class TokenVerifier:
    """Checks tokens of the configured issuer (and, in the demo, of the demo issuer)."""

    audience: str
    key_sets: dict[str, KeySet]

    def unknown_key(self, token: str) -> KeySet | None:
        """After ``verify`` raised ``UnknownSigningKey``: the key set to refresh before it
        can succeed, if a fetch is allowed now; else None."""
        try:
            header, unverified = _unverified(token)
        except InvalidToken:
            return None
        issuer = unverified.get("iss")
        keys = self.key_sets.get(issuer) if isinstance(issuer, str) else None
        if keys is None or keys.get(header.get("kid")) is not None or not keys.due():
            return None
        return keys

    def verify(self, token: str) -> Identity:
        """The token's identity, or ``InvalidToken`` saying what is wrong
        (``UnknownSigningKey``: see ``unknown_key``). The token is parsed once to find its
        issuer's key, then decoded with that key: its signature and claims checked."""
        header, unverified = _unverified(token)
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            shown = repr(algorithm) if isinstance(algorithm, str) and len(algorithm) <= 10 else "it"
            raise InvalidToken(
                f"Tokens signed with {shown} are not accepted; use one of "
                + ", ".join(ALGORITHMS)
                + "."
            )
        issuer = unverified.get("iss")
        keys = self.key_sets.get(issuer) if isinstance(issuer, str) else None
        if keys is None:
            raise InvalidToken("The token was not issued by the issuer this service trusts.")
        key = keys.get(header.get("kid"))
        if key is None and keys.unreachable:
            raise InvalidToken(
                "The issuer's signing keys could not be fetched; try again in a minute."
            )
        if key is None:
            raise UnknownSigningKey("The token was signed with a key the issuer does not publish.")
        allowed = _BY_KEY_TYPE.get(key.key_type, ())
        if algorithm not in allowed:
            raise InvalidToken("The token's algorithm does not match its key.")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("The token has expired; sign in again.") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("The token is not valid yet (check the clocks).") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("The token is meant for another service (audience).") from None
        except jwt.MissingRequiredClaimError as error:
            raise InvalidToken(f"The token has no '{error.claim}' claim.") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("The token's signature does not verify.") from None
        except jwt.PyJWTError as error:  # PyJWT's words name the claim (no token content)
            raise InvalidToken(f"The token is not valid: {error}") from None
        return identity_of(claims)


@dataclass
class DemoIssuer:
    """Mints short-lived tokens for ``serve --demo``: an EC P-256 key made for the process
    (``P2P_DEMO_TOKEN_KEY`` carries it to every worker), trusted only while the demo runs."""

    issuer: str
    audience: str
    private_pem: str
    kid: str = "demo-1"

    @classmethod
    def generate_key(cls) -> str:
        key = ec.generate_private_key(ec.SECP256R1())
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def jwks(self) -> dict[str, Any]:
        """The public half, as the demo publishes it."""
        private = serialization.load_pem_private_key(self.private_pem.encode(), password=None)
        public = jwt.algorithms.ECAlgorithm.to_jwk(private.public_key(), as_dict=True)  # type: ignore[arg-type]
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "ES256"}]}

    def mint(self, claims: dict[str, Any], *, now: datetime, lifetime: timedelta) -> str:
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + lifetime).timestamp()),
            "jti": str(uuid.uuid4()),
            **claims,
        }
        return jwt.encode(payload, self.private_pem, algorithm="ES256", headers={"kid": self.kid})


def demo_issuer(settings: Settings) -> DemoIssuer | None:
    """The demo's token issuer, when ``serve --demo`` made one."""
    if settings.demo_token_key is None:
        return None
    return DemoIssuer(
        issuer=settings.demo_issuer_url,
        audience=settings.token_audience,
        private_pem=settings.demo_token_key.get_secret_value(),
    )


def verifier_for(settings: Settings) -> TokenVerifier | None:
    """The verifier of the configured issuer's (and the demo's) tokens; None: keys only."""
    key_sets: dict[str, KeySet] = {}
    if settings.oidc_issuer:
        key_sets[settings.oidc_issuer] = KeySet(
            issuer=settings.oidc_issuer,
            jwks_url=str(settings.oidc_jwks_url) if settings.oidc_jwks_url else None,
        )
    demo = demo_issuer(settings)
    if demo is not None:
        key_sets[demo.issuer] = KeySet.fixed(demo.issuer, demo.jwks())
    if not key_sets:
        return None
    return TokenVerifier(audience=settings.token_audience, key_sets=key_sets)
