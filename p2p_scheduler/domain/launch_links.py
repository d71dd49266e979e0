"""Launch links (SPEC §14): an EHR or portal back end hands a person a URL that opens the
provider pages with cases already looked up, as the seeds' tool opens "with case information
from the prior look-up".

The link's id is the only secret. It is 256 random bits, sent in the URL's fragment (which a
browser never sends to a server, a log or a ``Referer``) and never stored: the database holds
its SHA-256 (so a read of the table yields no usable link) and the cases sealed with AES-GCM
under a key derived from the id (so a read of the table yields no date of birth either). Only
whoever holds the link can open its cases, once, within ``LIFETIME``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

#: how long a link opens (SPEC §14: 15 minutes)
LIFETIME = timedelta(minutes=15)
#: how long a used or expired link is remembered (without its cases), so that it can say it
#: was used or expired instead of "unknown"
REMEMBERED = timedelta(days=7)
#: ``secrets.token_urlsafe(32)``: 43 characters of base64url
ID_BYTES = 32
ID_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_SEAL_CONTEXT = b"p2p-scheduler launch link cases v1"
_NONCE_BYTES = 12


@dataclass(frozen=True, slots=True)
class LaunchCase:
    case_number: str
    member_dob: date


@dataclass(frozen=True, slots=True)
class LaunchContent:
    """What the link opens: the cases to look up and the zone to show times in."""

    cases: tuple[LaunchCase, ...]
    time_zone: str | None = None


@dataclass(frozen=True, slots=True)
class StoredLaunchLink:
    """A link as stored: its id's digest, its sealed content (None once used or expired),
    whose it is and when it stops working."""

    digest: str
    sealed: bytes | None
    provider_org: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


def well_formed(link_id: str) -> bool:
    """Whether ``link_id`` has the shape of an id this service hands out."""
    return bool(ID_SHAPE.match(link_id))


def digest_of(link_id: str) -> str:
    """The id's SHA-256 (hex): what the database keys the link by."""
    return hashlib.sha256(link_id.encode()).hexdigest()


def _key(link_id: str) -> bytes:
    return hmac.new(link_id.encode(), _SEAL_CONTEXT, hashlib.sha256).digest()


def seal(link_id: str, content: LaunchContent) -> bytes:
    """``content`` encrypted and authenticated under a key only ``link_id`` gives."""
    plain = json.dumps(
        {
            "cases": [[c.case_number, c.member_dob.isoformat()] for c in content.cases],
            "time_zone": content.time_zone,
        },
        separators=(",", ":"),
    ).encode()
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(_key(link_id)).encrypt(nonce, plain, _SEAL_CONTEXT)


def unseal(link_id: str, sealed: bytes) -> LaunchContent | None:
    """The content ``seal`` sealed for ``link_id``; None when it was not sealed for it."""
    nonce, box = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    try:
        plain = AESGCM(_key(link_id)).decrypt(nonce, box, _SEAL_CONTEXT)
    except InvalidTag:
        return None
    found = json.loads(plain)
    return LaunchContent(
        cases=tuple(LaunchCase(n, date.fromisoformat(d)) for n, d in found["cases"]),
        time_zone=found["time_zone"],
    )
