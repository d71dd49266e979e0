"""A real token issuer for the tests (``p2p_scheduler.tools.local_issuer``: keys, discovery
and JWKS over HTTP), with the claims of SPEC §10's callers. The service fetches the keys over
the network as in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from p2p_scheduler.config import Settings, load_settings
from p2p_scheduler.db.engine import Engine
from p2p_scheduler.domain.clock import fixed_clock
from p2p_scheduler.tools.local_issuer import LocalIssuer, ec_key, rsa_key
from tests.support import NOW, TEST_API_KEYS

AUDIENCE = "p2p-scheduler-tests"
ORG_A = "practice-a"
ORG_B = "practice-b"


class TestIssuer(LocalIssuer):
    """RSA keys ``rsa-1`` and ``rsa-2`` (unpublished until ``publish("rsa-2")``, as a key
    rotation does) and EC ``ec-1``; tokens are signed with ``rsa-1`` unless told."""

    __test__ = False  # not a test class

    def __init__(self) -> None:
        super().__init__(
            {"rsa-1": rsa_key(), "ec-1": ec_key(), "rsa-2": rsa_key()},
            audience=AUDIENCE,
            published={"rsa-1", "ec-1"},
        )

    def mint(self, claims: dict[str, Any], *, kid: str = "rsa-1", **options: Any) -> str:
        return super().mint(claims, kid=kid, **options)


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


def issuer_settings(database_url: str, issuer_url: str) -> Settings:
    """The tests' settings plus an issuer (keys discovered from its discovery document)."""
    return load_settings(
        Settings,
        database_url=database_url,
        api_keys=TEST_API_KEYS,
        secret_key="test-secret-key-0123456789",
        base_url="http://testserver",
        oidc_issuer=issuer_url,
        oidc_audience=AUDIENCE,
        auth_failures_per_minute=1_000_000,  # as tests/conftest.py's settings, and why
    )


@pytest.fixture
def token_settings(database_url: str, issuer: TestIssuer) -> Settings:
    return issuer_settings(database_url, issuer.url)


@pytest.fixture
async def token_client(
    token_settings: Settings, engine: Engine
) -> AsyncIterator[httpx.AsyncClient]:
    """httpx against the real app that also accepts the issuer's tokens."""
    app = create_app(token_settings, engine=engine, clock=fixed_clock(NOW))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
