"""A real OpenID Connect provider for the browser tests: ``oidc-provider-mock`` (authlib's
authorization server in a Flask app), with its sign-in form that lists predefined people.

Its access tokens are opaque by default; an EHR or a real issuer (Keycloak, Entra ID, Okta)
hands our pages a JWT, so the app here is built with an access-token generator that signs
one with the provider's own key (the one its JWKS publishes): ``iss`` is the provider's URL,
``aud`` the service's audience, and the person's claims (``p2p_role``, ``provider_org``,
``name``, ``email``) ride along, as an issuer's claim mappers would put them.

The browser calls it from the pages' origin (discovery, token endpoint), so it answers with
CORS headers for loopback origins, as a real issuer does for its registered "web origins".
The pages are a public client (PKCE, no secret): they authenticate at the token endpoint
with the method "none", which authlib's grants admit only when listed, as a real issuer
admits it for a client registered as public. (The mock does not check the PKCE verifier;
the test checks that the pages send an S256 challenge.)
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask
import jwt
import oidc_provider_mock
import werkzeug.serving
from oidc_provider_mock import _app as provider_app

#: the pages' origins this provider lets call it (any loopback port: the service's is free)
LOOPBACK_ORIGIN = re.compile(r"^http://(127\.0\.0\.1|localhost):\d+$")
TOKEN_SECONDS = 600


@dataclass(frozen=True)
class Person:
    sub: str
    claims: dict[str, Any]


@dataclass
class MockIssuer:
    url: str
    audience: str
    #: how many access tokens it signed, by subject
    issued: dict[str, int]


def _app(audience: str, people: list[Person], issued: dict[str, int]) -> flask.Flask:
    # the package's templates are found from its own folder, as its own app() finds them
    app = flask.Flask("oidc_issuer", root_path=str(Path(oidc_provider_mock.__file__).parent))
    app.secret_key = secrets.token_bytes(16)

    def access_token(client: Any, grant_type: str, user: Any, scope: str) -> str:
        """A JWT access token signed with the provider's key (authlib calls this for every
        token it issues: the code exchange and each refresh)."""
        key = flask.g.oidc_provider_mock_storage.jwk
        now = int(time.time())
        claims = {
            "iss": flask.request.host_url.rstrip("/"),
            "aud": audience,
            "sub": user.sub,
            "iat": now,
            "exp": now + TOKEN_SECONDS,
            "scope": scope,
            "client_id": client.get_client_id(),
            **user.claims,
        }
        issued[user.sub] = issued.get(user.sub, 0) + 1
        return jwt.encode(
            claims,
            key.as_pem(is_private=True),
            algorithm="RS256",
            headers={"kid": key.as_dict()["kid"]},
        )

    # read by authlib when init_app registers the authorization server: set it before
    app.config["OAUTH2_ACCESS_TOKEN_GENERATOR"] = access_token
    oidc_provider_mock.init_app(
        app,
        user_claims=[oidc_provider_mock.User(sub=p.sub, claims=p.claims) for p in people],
        access_token_max_age=timedelta(seconds=TOKEN_SECONDS),
    )

    @app.after_request
    def cors(response: flask.Response) -> flask.Response:
        origin = flask.request.headers.get("Origin", "")
        if LOOPBACK_ORIGIN.match(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST"
            response.headers["Vary"] = "Origin"
        return response

    return app


@contextmanager
def mock_issuer(audience: str, people: list[Person]) -> Iterator[MockIssuer]:
    """The provider on a free loopback port, served by werkzeug in a thread. Its issuer is
    ``http://127.0.0.1:PORT``: the browser and the service both reach it by that name, so the
    ``iss`` of its tokens (the Host a request named) is always that string."""
    # authlib refuses OAuth over plain http unless told this is a test
    previous = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    grants = (provider_app.AuthorizationCodeGrant, provider_app.RefreshTokenGrant)
    methods = {grant: grant.TOKEN_ENDPOINT_AUTH_METHODS for grant in grants}
    for grant in grants:  # a public client: no secret at the token endpoint
        grant.TOKEN_ENDPOINT_AUTH_METHODS = [*methods[grant], "none"]
    issued: dict[str, int] = {}
    server = werkzeug.serving.make_server(
        "127.0.0.1", 0, _app(audience, people, issued), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield MockIssuer(f"http://127.0.0.1:{server.server_port}", audience, issued)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        for grant, listed in methods.items():
            grant.TOKEN_ENDPOINT_AUTH_METHODS = listed
        if previous is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = previous
