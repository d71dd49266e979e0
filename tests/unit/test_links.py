"""Signed link tokens: bound to one object, one purpose and one link version; expiring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from p2p_scheduler.domain.links import LIFETIMES, InvalidToken, Purpose, Signer

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SIGNER = Signer("unit-test-secret-0123456789")
BOOKING = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
OTHER = "0f8fad5b-d9cb-469f-a165-70867728950e"


def token(purpose: Purpose = Purpose.INVITE, subject: str = BOOKING, version: int = 0) -> str:
    return SIGNER.issue(purpose, subject, version, NOW)


def test_a_fresh_token_verifies_until_its_lifetime_ends() -> None:
    for purpose in Purpose:
        issued = token(purpose)
        SIGNER.verify(purpose, issued, subject=BOOKING, version=0, now=NOW)
        SIGNER.verify(purpose, issued, subject=BOOKING, version=0, now=NOW + LIFETIMES[purpose])
        with pytest.raises(InvalidToken, match="expired"):
            SIGNER.verify(
                purpose,
                issued,
                subject=BOOKING,
                version=0,
                now=NOW + LIFETIMES[purpose] + timedelta(seconds=1),
            )


@pytest.mark.parametrize(
    ("purpose", "subject", "version", "why"),
    [
        (Purpose.INVITE, OTHER, 0, "another booking's"),
        (Purpose.INVITE, BOOKING, 1, "revoked (the version moved on)"),
        (Purpose.MANAGE, BOOKING, 0, "an invite token used as a manage token"),
        (Purpose.FEED, BOOKING, 0, "an invite token used as a feed token"),
    ],
)
def test_crossed_or_revoked_tokens_are_refused(
    purpose: Purpose, subject: str, version: int, why: str
) -> None:
    with pytest.raises(InvalidToken):
        SIGNER.verify(purpose, token(), subject=subject, version=version, now=NOW)


def test_tampering_and_foreign_secrets_are_refused() -> None:
    good = token()
    payload, stamp, signature = good.split(".")
    forged_payload = SIGNER.issue(Purpose.INVITE, OTHER, 0, NOW).split(".")[0]
    for bad in (
        f"{forged_payload}.{stamp}.{signature}",  # another booking's id under this signature
        f"{payload}.{stamp}.{signature[:-2]}xx",
        f"{payload}.{stamp}",
        "",
        "not-a-token",
    ):
        with pytest.raises(InvalidToken):
            SIGNER.verify(Purpose.INVITE, bad, subject=BOOKING, version=0, now=NOW)
    with pytest.raises(InvalidToken):
        Signer("another-secret-0123456789").verify(
            Purpose.INVITE, good, subject=BOOKING, version=0, now=NOW
        )


def test_tokens_carry_identifiers_only() -> None:
    """The token is base64 of [subject, version]: nothing about the member can be in it."""
    import base64
    import json

    payload = token().split(".")[0]
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert decoded == [BOOKING, 0]


def test_a_token_from_the_future_is_refused() -> None:
    future = SIGNER.issue(Purpose.INVITE, BOOKING, 0, NOW + timedelta(hours=1))
    with pytest.raises(InvalidToken):
        SIGNER.verify(Purpose.INVITE, future, subject=BOOKING, version=0, now=NOW)
