"""An OpenID Connect issuer on a local port: signing keys, its discovery document and JWKS
served over HTTP by a thread, and access tokens signed as a real provider signs them.

The benchmark of token verification and the tests use it, so that the service fetches and
checks keys over the network exactly as it does against Keycloak, Okta or Entra ID.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

#: a private key the issuer signs with (RSA: RS256/PS256; EC P-256: ES256)
SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


class LocalIssuer:
    """Keys by ``kid``; the JWKS shows the ``published`` ones (``publish`` adds one, as a key
    rotation does). ``fetches`` counts the JWKS downloads. ``close`` stops the server."""

    def __init__(
        self,
        keys: dict[str, SigningKey],
        *,
        audience: str,
        published: set[str] | None = None,
    ) -> None:
        self.keys = keys
        self.audience = audience
        self.published = set(keys) if published is None else set(published)
        self.fetches = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalIssuer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def publish(self, kid: str) -> None:
        self.published.add(kid)

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid in sorted(self.published):
            key = self.keys[kid]
            algorithm = (
                jwt.algorithms.RSAAlgorithm
                if isinstance(key, rsa.RSAPrivateKey)
                else jwt.algorithms.ECAlgorithm
            )
            public = algorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append({**public, "kid": kid, "use": "sig"})
        return {"keys": keys}

    def mint(
        self,
        claims: dict[str, Any],
        *,
        kid: str,
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
            "aud": self.audience,
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
                body: dict[str, Any]
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
