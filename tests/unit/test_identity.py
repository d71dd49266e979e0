"""The token key cache (SPEC §10): which published keys are trusted, how often the JWKS is
fetched again, and what a failed fetch leaves behind."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from p2p_scheduler.identity import REFETCH_SECONDS, InvalidToken, KeySet, identity_of
from tests.tokens import TestIssuer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def jwks() -> dict[str, Any]:
    issuer = TestIssuer()
    try:
        return issuer.jwks()
    finally:
        issuer.close()


def test_only_signing_keys_of_asymmetric_types_are_trusted(jwks: dict[str, Any]) -> None:
    published = {
        "keys": [
            *jwks["keys"],
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"},
            {**jwks["keys"][0], "kid": "for-encryption", "use": "enc"},
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        ]
    }
    keys = KeySet.fixed("https://issuer.example.org", published)
    assert set(keys.keys) == {"rsa-1", "ec-1"}


def test_discovery_then_at_most_one_fetch_a_minute(jwks: dict[str, Any]) -> None:
    fetched: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        if url.endswith("/.well-known/openid-configuration"):
            return {"jwks_uri": "https://issuer.example.org/keys"}
        return jwks

    clock = Clock()
    keys = KeySet(issuer="https://issuer.example.org/", fetch=fetch, clock=clock)
    assert keys.due() and keys.get("rsa-1") is None
    keys.refresh()
    assert fetched == [
        "https://issuer.example.org/.well-known/openid-configuration",
        "https://issuer.example.org/keys",
    ]
    assert keys.get("rsa-1") is not None
    for _ in range(5):  # unknown kids within the minute: no fetch
        keys.refresh()
    clock.now += REFETCH_SECONDS - 1
    keys.refresh()
    assert len(fetched) == 2
    clock.now += 1
    assert keys.due()
    keys.refresh()
    assert fetched[-1] == "https://issuer.example.org/keys" and len(fetched) == 3


def test_a_failed_fetch_keeps_the_keys_and_waits_a_minute(jwks: dict[str, Any]) -> None:
    calls = 0

    def fetch(url: str) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise httpx.ConnectError("issuer down")
        return jwks

    clock = Clock()
    keys = KeySet(
        issuer="https://issuer.example.org", jwks_url="https://x/keys", fetch=fetch, clock=clock
    )
    keys.refresh()
    clock.now += REFETCH_SECONDS
    keys.refresh()  # fails: the keys we had stay
    assert calls == 2 and keys.get("ec-1") is not None
    assert not keys.due()  # and the failure counts as a fetch: a down issuer is not hammered


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"sub": "a", "p2p_role": "superuser"}, "'p2p_role' claim must be one of"),
        ({"sub": "a", "p2p_role": "provider"}, "no 'provider_org' claim"),
        ({"sub": "a", "p2p_role": "reviewer"}, "no 'reviewer_id' claim"),
        (
            {"sub": "a", "p2p_role": "provider", "provider_org": "a b"},
            "'provider_org' claim must be",
        ),
        ({"sub": "", "p2p_role": "ops"}, "'sub' claim must name the person"),
        ({"sub": "x" * 256, "p2p_role": "ops"}, "'sub' claim must name the person"),
    ],
)
def test_claims_a_role_needs(claims: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidToken, match=message):
        identity_of(claims)


def test_a_providers_identity() -> None:
    found = identity_of(
        {"sub": "f@x.org", "p2p_role": "provider", "provider_org": "tin-12-3456789", "name": "F"}
    )
    assert (found.role, found.provider_org, found.reviewer_id, found.name) == (
        "provider",
        "tin-12-3456789",
        None,
        "F",
    )
