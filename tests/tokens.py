"""A real token issuer for the tests: RSA and EC keys, its discovery document and JWKS
served over HTTP by a thread, and access tokens signed the way an OpenID Connect provider
signs them (SPEC §10). The service fetches the keys over the network as in production.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from api.app import create_app
from p2p_scheduler.config import Settings, load_settings
from p2p_scheduler.db.engine import Engine
from p2p_scheduler.domain.clock import fixed_clock
from tests.support import NOW, TEST_API_KEYS

AUDIENCE = "p2p-scheduler-tests"
ORG_A = "practice-a"
ORG_B = "practice-b"


class TestIssuer:
    """Keys by ``kid``; ``published`` are the ones its JWKS shows (``publish`` adds one, as
    a key rotation does). ``fetches`` counts the JWKS downloads the service made."""

    __test__ = False  # not a test class

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {
            "rsa-1": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "ec-1": ec.generate_private_key(ec.SECP256R1()),
            "rsa-2": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        }
        self.published = {"rsa-1", "ec-1"}
        self.fetches = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def publish(self, kid: str) -> None:
        self.published.add(kid)

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid in sorted(self.published):
            key = self.keys[kid]
            if isinstance(key, rsa.RSAPrivateKey):
                public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            else:
                public = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append({**public, "kid": kid, "use": "sig"})
        return {"keys": keys}

    def mint(
        self,
        claims: dict[str, Any],
        *,
        kid: str = "rsa-1",
        algorithm: str | None = None,
        lifetime: float = 300,
        issued_at: float | None = None,
        omit: tuple[str, ...] = (),
    ) -> str:
        """A token with ``claims`` over the standard ones (``omit`` leaves some out)."""
        now = time.time() if issued_at is None else issued_at
        key = self.keys[kid]
        algorithm = algorithm or ("RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256")
        payload = {
            "iss": self.url,
            "aud": AUDIENCE,
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now + lifetime),
            "jti": str(uuid.uuid4()),
            **claims,
        }
        for name in omit:
            payload.pop(name, None)
        return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks"}
                elif self.path == "/jwks":
                    issuer.fetches += 1
                    body = issuer.jwks()
                else:
                    self.send_error(404)
                    return
                raw = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def provider(org: str = ORG_A, sub: str | None = None, **extra: Any) -> dict[str, Any]:
    """Claims of a provider organisation's person."""
    return {
        "sub": sub or f"frontdesk@{org}.example.org",
        "p2p_role": "provider",
        "provider_org": org,
        **extra,
    }


def reviewer(reviewer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "sub": f"{reviewer_id}@plan.example.org",
        "p2p_role": "reviewer",
        "reviewer_id": reviewer_id,
        **extra,
    }


def role(name: str, **extra: Any) -> dict[str, Any]:
    """Claims of an admin, portal or ops person."""
    return {"sub": f"{name}-person@plan.example.org", "p2p_role": name, **extra}


@pytest.fixture(scope="session")
def issuer() -> Iterator[TestIssuer]:
    """One issuer for the session: tests that rotate its keys make their own."""
    found = TestIssuer()
    yield found
    found.close()


@pytest.fixture
def token_settings(database_url: str, issuer: TestIssuer) -> Settings:
    """The tests' settings plus the issuer (keys discovered from its discovery document)."""
    return load_settings(
        Settings,
        database_url=database_url,
        api_keys=TEST_API_KEYS,
        secret_key="test-secret-key-0123456789",
        base_url="http://testserver",
        oidc_issuer=issuer.url,
        oidc_audience=AUDIENCE,
    )


@pytest.fixture
async def token_client(
    token_settings: Settings, engine: Engine
) -> AsyncIterator[httpx.AsyncClient]:
    """httpx against the real app that also accepts the issuer's tokens."""
    app = create_app(token_settings, engine=engine, clock=fixed_clock(NOW))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
