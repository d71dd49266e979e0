"""Access tokens the service must refuse (SPEC §10), through the real app on both databases.

Every bad token gets a 401 problem with a ``detail`` saying what is wrong (each test names
the words a person would look for) and a ``WWW-Authenticate: Bearer`` challenge; never a
500. A good token of the same kind is accepted first, so each refusal is about the one thing
the test changed. The issuer is real (``tests.tokens``): its keys are fetched over HTTP, and
the tests that rotate keys, stall or stop the issuer make their own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import FastAPI
from sqlalchemy import Engine

from api.app import create_app
from p2p_scheduler.domain.clock import fixed_clock
from p2p_scheduler.identity import LEEWAY_SECONDS, REFETCH_SECONDS
from tests.api.helpers import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, booking_body, push_case
from tests.api.helpers import push_reviewer as push_reviewer_as_admin
from tests.support import NOW, PORTAL_KEY, auth
from tests.tokens import AUDIENCE, TestIssuer, issuer_settings, provider, reviewer, role

pytestmark = pytest.mark.anyio

#: a portal route with nothing to set up: a good portal or provider token gets 200
PROBE = "/v1/bookings"
#: how long a stalled issuer may hold a request before the test calls it a hang: far above
#: the service's own fetch timeout (5 s), so this is a guard, not a measurement
HANG_GUARD_SECONDS = 60


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(issuer: TestIssuer, claims: dict[str, Any] | None = None, **changes: Any) -> dict:
    """A portal person's claims as ``issuer`` mints them, now; ``changes`` override the
    standard claims, and a change to ``None`` leaves the claim out."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": issuer.url,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        **(claims if claims is not None else role("portal")),
    }
    payload.update(changes)
    return {name: value for name, value in payload.items() if value is not None}


def signed(issuer: TestIssuer, payload: dict, *, key: str = "rsa-1", kid: str | None = None) -> str:
    """``payload`` signed by the issuer's ``key``, its header naming ``kid`` (default: the key)."""
    private = issuer.keys[key]
    algorithm = "RS256" if key.startswith("rsa") else "ES256"
    return jwt.encode(payload, private, algorithm=algorithm, headers={"kid": kid or key})


def by_hand(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A compact JWT assembled without PyJWT (which refuses to make the forgeries below)."""
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    return signing_input + "." + b64url(signature)


def hmac_with_public_key(issuer: TestIssuer, payload: dict[str, Any]) -> str:
    """The algorithm-confusion forgery: HS256 keyed with the issuer's *public* key, which
    anyone can download, under the kid of that RSA key."""
    pem = (
        issuer.keys["rsa-1"]
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


def with_payload_of(token: str, payload: dict[str, Any]) -> str:
    """``token``'s header and signature around another payload (an edited token)."""
    header, _, signature = token.split(".")
    return f"{header}.{b64url(json.dumps(payload).encode())}.{signature}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_refused(response: httpx.Response, *words: str) -> dict[str, Any]:
    """A 401 problem with a challenge, whose detail carries each of ``words``."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["www-authenticate"].startswith("Bearer"), response.headers
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "unauthorized", body
    assert body["status"] == 401
    detail = body["detail"]
    assert detail.strip() and detail.endswith("."), body
    for word in words:
        assert word.lower() in detail.lower(), (word, detail)
    return body


@pytest.fixture(scope="module")
def stranger() -> Iterator[TestIssuer]:
    """An issuer the service does not trust."""
    found = TestIssuer()
    yield found
    found.close()


# ---- the baseline: good tokens pass ---------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "algorithm"), [("rsa-1", "RS256"), ("rsa-1", "PS256"), ("ec-1", "ES256")]
)
async def test_a_good_token_is_accepted(
    token_client: httpx.AsyncClient, issuer: TestIssuer, key: str, algorithm: str
) -> None:
    token = issuer.mint(provider(), kid=key, algorithm=algorithm)
    response = await token_client.get(PROBE, headers=bearer(token))
    assert response.status_code == 200, response.text


# ---- bad tokens ------------------------------------------------------------------------------
# (id, how to make the token from the trusted issuer and a stranger, words of the detail)

Forge = Callable[[TestIssuer, TestIssuer], str]
BAD_TOKENS: list[Any] = [
    pytest.param(
        lambda i, s: signed(i, claims(i), key="rsa-2", kid="rsa-1"),
        ("signature",),
        id="signed-by-an-unpublished-key-under-a-published-kid",
    ),
    pytest.param(
        lambda i, s: with_payload_of(signed(i, claims(i)), claims(i, role("admin"))),
        ("signature",),
        id="payload-edited-after-signing",
    ),
    pytest.param(
        lambda i, s: signed(s, claims(s)),
        ("issuer",),
        id="another-issuer",
    ),
    pytest.param(
        lambda i, s: signed(i, claims(i, iss="https://login.example.org")),
        ("issuer",),
        id="iss-of-another-issuer-signed-with-a-trusted-key",
    ),
    pytest.param(
        lambda i, s: signed(i, claims(i, aud="another-service")),
        ("audience",),
        id="another-audience",
    ),
    pytest.param(
        lambda i, s: signed(i, claims(i, aud=["another-service", "a-third"])),
        ("audience",),
        id="audiences-without-ours",
    ),
    pytest.param(
        lambda i, s: signed(
            i, claims(i, iat=int(time.time()) - 900, nbf=None, exp=int(time.time()) - 90)
        ),
        ("expired", "sign in again"),
        id="expired-beyond-the-leeway",
    ),
    pytest.param(
        lambda i, s: signed(i, claims(i, nbf=int(time.time()) + 180)),
        ("not valid yet", "clock"),
        id="not-yet-valid-beyond-the-leeway",
    ),
    pytest.param(
        lambda i, s: signed(i, claims(i, iat=int(time.time()) + 180, nbf=None)),
        ("not valid yet",),
        id="issued-in-the-future-beyond-the-leeway",
    ),
    pytest.param(
        lambda i, s: signed(i, claims(i), key="rsa-2"),
        ("key", "does not publish"),
        id="unknown-kid",
    ),
    pytest.param(
        lambda i, s: by_hand({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, claims(i)),
        ("'none'", "RS256"),
        id="alg-none",
    ),
    pytest.param(
        lambda i, s: by_hand({"alg": "none", "typ": "JWT"}, claims(i), b"forged"),
        ("'none'",),
        id="alg-none-with-a-signature",
    ),
    pytest.param(
        lambda i, s: hmac_with_public_key(i, claims(i)),
        ("'HS256'", "RS256"),
        id="hs256-keyed-with-the-public-key-pem",
    ),
    pytest.param(
        lambda i, s: signed(i, claims(i), key="ec-1", kid="rsa-1"),
        ("algorithm",),
        id="es256-under-an-rsa-kid",
    ),
    *(
        pytest.param(
            lambda i, s, name=name: signed(i, claims(i, **{name: None})),
            (words,),
            id=f"missing-{name}",
        )
        for name, words in (
            ("exp", "'exp'"),
            ("sub", "'sub'"),
            ("aud", "'aud'"),
            ("iss", "issuer"),
            ("p2p_role", "p2p_role"),
        )
    ),
    pytest.param(
        lambda i, s: signed(i, claims(i, reviewer("rev-a"), reviewer_id=None)),
        ("'reviewer_id'",),
        id="reviewer-without-reviewer_id",
    ),
    pytest.param(
        lambda i, s: signed(i, claims(i, provider(), provider_org=None)),
        ("'provider_org'",),
        id="provider-without-provider_org",
    ),
    pytest.param(
        lambda i, s: signed(i, claims(i, role("superuser"))),
        ("p2p_role", "portal"),
        id="a-role-that-does-not-exist",
    ),
    pytest.param(
        lambda i, s: signed(i, claims(i, p2p_role=["admin"])),
        ("p2p_role",),
        id="a-role-that-is-a-list",
    ),
    pytest.param(
        lambda i, s: signed(i, claims(i, p2p_role={"admin": True})),
        ("p2p_role",),
        id="a-role-that-is-an-object",
    ),
    pytest.param(
        lambda i, s: by_hand({"alg": "RS256", "kid": ["rsa-1"]}, claims(i), b"x"),
        ("well-formed",),
        id="a-kid-that-is-a-list",
    ),
    pytest.param(
        lambda i, s: by_hand({"alg": ["RS256"], "kid": "rsa-1"}, claims(i), b"x"),
        (),
        id="an-alg-that-is-a-list",
    ),
    pytest.param(
        lambda i, s: by_hand({"kid": "rsa-1"}, claims(i), b"x"),
        (),
        id="no-alg",
    ),
    pytest.param(
        lambda i, s: signed(i, claims(i, provider(), provider_org="../practice-a")),
        ("provider_org",),
        id="a-provider_org-that-is-not-an-identifier",
    ),
    pytest.param(
        lambda i, s: signed(i, claims(i, sub="")),
        ("'sub'",),
        id="empty-sub",
    ),
]


@pytest.mark.parametrize(("forge", "words"), BAD_TOKENS)
async def test_a_bad_token_is_refused(
    token_client: httpx.AsyncClient,
    issuer: TestIssuer,
    stranger: TestIssuer,
    forge: Forge,
    words: tuple[str, ...],
) -> None:
    assert_refused(await token_client.get(PROBE, headers=bearer(forge(issuer, stranger))), *words)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"exp": -(LEEWAY_SECONDS // 2)}, id="expired-30-s-ago"),
        pytest.param({"nbf": LEEWAY_SECONDS // 2}, id="valid-from-30-s-on"),
        pytest.param({"iat": LEEWAY_SECONDS // 2}, id="issued-30-s-from-now"),
    ],
)
async def test_clocks_a_little_apart_are_forgiven(
    token_client: httpx.AsyncClient, issuer: TestIssuer, changes: dict[str, int]
) -> None:
    """SPEC §10: 60 s leeway on exp, nbf and iat."""
    now = int(time.time())
    payload = claims(issuer, iat=now - 600, nbf=None, exp=now + 300)
    payload.update({name: now + offset for name, offset in changes.items()})
    response = await token_client.get(PROBE, headers=bearer(signed(issuer, payload)))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer", id="bearer-without-a-credential"),
        pytest.param("Bearer    ", id="bearer-and-spaces"),
        pytest.param("Bearer not-a-key-nor-a-token", id="unknown-key"),
        pytest.param("Bearer a.b.c", id="three-parts-of-nothing"),
        pytest.param("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0", id="two-parts"),
        pytest.param("Bearer eyJhbGciOiJSUzI1NiJ9.!!!.xyz", id="not-base64url"),
        pytest.param("Bearer " + "A" * 40_000, id="forty-kilobytes"),
        pytest.param("Bearer ....", id="dots"),
        pytest.param("Basic cG9ydGFsOnNlY3JldA==", id="basic-auth"),
        pytest.param("Token " + PORTAL_KEY, id="a-good-key-under-another-scheme"),
        pytest.param(PORTAL_KEY, id="a-good-key-without-a-scheme"),
        pytest.param("Bearer " + PORTAL_KEY + " extra", id="a-good-key-and-more"),
    ],
)
async def test_garbage_in_the_authorization_header_is_refused(
    token_client: httpx.AsyncClient, authorization: str
) -> None:
    assert_refused(await token_client.get(PROBE, headers={"Authorization": authorization}))


async def test_a_token_built_from_garbage_segments_is_refused(
    token_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    """Well-formed base64url that is not JSON, JSON that is not an object, a numeric exp
    that is not a number: the token's shape, never a 500."""
    good = claims(issuer)
    for token in (
        f"{b64url(b'not json')}.{b64url(json.dumps(good).encode())}.{b64url(b'x')}",
        by_hand({"alg": "RS256", "kid": "rsa-1"}, ["not", "an", "object"]),  # type: ignore[arg-type]
        signed(issuer, claims(issuer, exp="tomorrow")),
        signed(issuer, claims(issuer, aud=42)),
    ):
        assert_refused(await token_client.get(PROBE, headers=bearer(token)))


async def test_a_token_is_refused_when_the_service_trusts_no_issuer(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    """Without P2P_OIDC_ISSUER only API keys pass (``client``'s app has no issuer)."""
    token = issuer.mint(role("admin"))
    assert_refused(await client.get(PROBE, headers=bearer(token)), "key")


# ---- key rotation: an unknown kid makes the service fetch the keys again, once a minute ------


class Monotonic:
    """A monotonic clock the test moves (the key set's refetch clock)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@asynccontextmanager
async def serving(
    database_url: str, engine: Engine, issuer_url: str
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(
        issuer_settings(database_url, issuer_url), engine=engine, clock=fixed_clock(NOW)
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield app, http


@pytest.fixture
def rotating() -> Iterator[TestIssuer]:
    """An issuer of this test's own, whose keys the test rotates."""
    found = TestIssuer()
    yield found
    found.close()


async def test_a_new_key_is_trusted_once_published_and_unknown_kids_cost_one_fetch_a_minute(
    database_url: str, engine: Engine, rotating: TestIssuer
) -> None:
    async with serving(database_url, engine, rotating.url) as (app, http):
        clock = Monotonic()
        app.state.token_verifier.key_sets[rotating.url].clock = clock

        async def answer(token: str) -> httpx.Response:
            return await http.get(PROBE, headers=bearer(token))

        assert (await answer(rotating.mint(provider()))).status_code == 200
        assert rotating.fetches == 1  # the first token fetched the keys
        assert (await answer(rotating.mint(provider()))).status_code == 200
        assert rotating.fetches == 1  # cached

        # rsa-2 signs before the issuer publishes it (an issuer rotating too early)
        early = rotating.mint(provider(), kid="rsa-2")
        assert_refused(await answer(early), "key")
        assert rotating.fetches == 1  # the last fetch was less than a minute ago

        # a minute on, a burst of 20 tokens naming kids nobody publishes, all at once
        clock.advance(REFETCH_SECONDS + 1)
        burst = [
            signed(rotating, claims(rotating, provider()), key="rsa-2", kid=f"ghost-{n}")
            for n in range(20)
        ]
        answers: list[httpx.Response] = []

        async def one(token: str) -> None:
            answers.append(await answer(token))

        async with anyio.create_task_group() as group:
            for token in burst:
                group.start_soon(one, token)
        assert len(answers) == 20
        for response in answers:
            assert_refused(response, "key")
        assert rotating.fetches == 2  # one fetch for the twenty

        # the issuer publishes rsa-2; the burst's fetch was just now, so not yet …
        rotating.publish("rsa-2")
        assert_refused(await answer(early), "key")
        assert rotating.fetches == 2
        # … but a minute later the same token is good, after one more fetch
        clock.advance(REFETCH_SECONDS)
        assert (await answer(early)).status_code == 200
        assert rotating.fetches == 3
        assert (await answer(rotating.mint(provider(), kid="rsa-2"))).status_code == 200
        assert (await answer(rotating.mint(provider(), kid="rsa-1"))).status_code == 200
        assert rotating.fetches == 3


# ---- an issuer that is down ------------------------------------------------------------------


class SilentIssuer:
    """A TCP server that accepts connections and never answers (an issuer that hangs);
    ``connections`` counts them."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.connections = 0
        self._held: list[socket.socket] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.connections += 1
            self._held.append(connection)

    def close(self) -> None:
        self._closed.set()
        self._socket.close()
        for connection in self._held:
            connection.close()


@pytest.fixture
def silent() -> Iterator[SilentIssuer]:
    found = SilentIssuer()
    yield found
    found.close()


async def test_a_stopped_issuer_means_401_not_500(database_url: str, engine: Engine) -> None:
    """The issuer's server is gone (connection refused): the token cannot be checked."""
    stopped = TestIssuer()
    token = stopped.mint(role("portal"))
    stopped.close()
    async with serving(database_url, engine, stopped.url) as (_app, http):
        assert_refused(await http.get(PROBE, headers=bearer(token)))
        assert_refused(await http.get(PROBE, headers=bearer(token)))
        assert (await http.get(PROBE, headers=auth(PORTAL_KEY))).status_code == 200


async def test_an_issuer_that_hangs_costs_a_bounded_wait_once_and_blocks_nobody_else(
    database_url: str, engine: Engine, silent: SilentIssuer, rotating: TestIssuer
) -> None:
    """The keys' fetch has a timeout: the token's request ends in a 401 by itself; while it
    waits, other requests are answered (the fetch runs off the event loop); and the next
    token does not knock again within the minute (a down issuer is not hammered)."""
    payload = claims(rotating, iss=silent.url)  # signed by a key the silent issuer would hold
    token = signed(rotating, payload)
    async with serving(database_url, engine, silent.url) as (_app, http):
        waited: list[httpx.Response] = []

        async def wait_for_the_token() -> None:
            waited.append(await http.get(PROBE, headers=bearer(token)))

        with anyio.fail_after(HANG_GUARD_SECONDS):
            async with anyio.create_task_group() as group:
                group.start_soon(wait_for_the_token)
                while silent.connections == 0:  # the fetch is under way
                    await anyio.sleep(0.01)
                assert not waited
                meanwhile = await http.get(PROBE, headers=auth(PORTAL_KEY))
                assert meanwhile.status_code == 200, meanwhile.text
                assert not waited  # still waiting for the issuer
            assert_refused(waited[0])
            assert_refused(await http.get(PROBE, headers=bearer(token)))
        assert silent.connections == 1


# ---- a valid token at the edge ---------------------------------------------------------------


async def test_a_token_with_the_longest_subject_may_book(
    token_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    """``sub`` may be 255 characters (OpenID Connect Core); the actor the service stores is
    ``<role>:<sub>``, so the actor columns hold 300 (migration 0010), enforced on PostgreSQL."""
    await push_reviewer_as_admin(token_client, "rev-a")
    await push_case(token_client, "LONG-1")
    token = issuer.mint(provider(sub="s" * 255))
    body = booking_body("LONG-1", "rev-a", "2026-11-24T10:00:00-05:00")
    response = await token_client.post("/v1/bookings", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
