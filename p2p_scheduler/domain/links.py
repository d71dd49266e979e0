"""Signed links: a booking's invite and manage links, a reviewer's calendar feed (SPEC §5, §7).

A link carries a token instead of an API key, so it can sit in an email or a calendar
subscription. Each token is signed with ``P2P_SECRET_KEY`` (itsdangerous, HMAC-SHA256),
names its purpose (an invite token never opens a feed), is bound to one booking or
reviewer and to that object's current link version, and expires. Revoking means bumping
the version: every token issued before stops working at once. The token holds only
identifiers: no PHI ever goes into a URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import cast

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes


class Purpose(StrEnum):
    INVITE = "invite"
    MANAGE = "manage"
    FEED = "feed"


#: How long a token stays good after it was issued. Booking links outlive the consultation
#: comfortably; a feed is a standing subscription, revoked by rotating it.
LIFETIMES = {
    Purpose.INVITE: timedelta(days=90),
    Purpose.MANAGE: timedelta(days=90),
    Purpose.FEED: timedelta(days=365),
}


class InvalidToken(Exception):
    """Tampered, expired, for another object or purpose, or revoked."""


@dataclass(frozen=True, slots=True)
class Signer:
    secret: str

    def _serializer(self, purpose: Purpose) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=f"p2p-scheduler/{purpose.value}")

    def issue(self, purpose: Purpose, subject: str, version: int, now: datetime) -> str:
        """A token for ``subject`` (a booking or reviewer id) at its current link version."""
        serializer = self._serializer(purpose)
        signer = serializer.make_signer(serializer.salt)
        assert isinstance(signer, TimestampSigner)
        # itsdangerous stamps tokens with its own clock; stamp them with the service's, so
        # that expiry follows the same clock as everything else (and tests can move it).
        value = (
            serializer.dump_payload([subject, version])
            + signer.sep
            + base64_encode(int_to_bytes(int(now.timestamp())))
        )
        return (value + signer.sep + signer.get_signature(value)).decode()

    def read(self, purpose: Purpose, token: str, *, now: datetime) -> tuple[str, int]:
        """The subject and link version of a token of ours for ``purpose``, unexpired.

        Needs no database: a caller can refuse a forged or expired token before looking
        anything up, so that the refusal costs the same whether or not the subject exists."""
        serializer = self._serializer(purpose)
        try:
            payload, issued = serializer.loads(token, return_timestamp=True)
        except BadSignature:
            raise InvalidToken("bad signature") from None
        if not isinstance(payload, list) or len(payload) != 2:
            raise InvalidToken("malformed")
        subject, version = cast(list[object], payload)
        if not isinstance(subject, str) or not isinstance(version, int):
            raise InvalidToken("malformed")
        if now - issued > LIFETIMES[purpose] or issued - now > timedelta(minutes=5):
            raise InvalidToken("expired")
        return subject, version

    def verify(
        self, purpose: Purpose, token: str, *, subject: str, version: int, now: datetime
    ) -> None:
        """Raise ``InvalidToken`` unless the token is ours, unexpired, for ``subject`` at
        ``version``."""
        token_subject, token_version = self.read(purpose, token, now=now)
        if token_subject != subject:
            raise InvalidToken("for another object")
        if token_version != version:
            raise InvalidToken("revoked")
