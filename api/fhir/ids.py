"""Reviewer ids as FHIR resource ids, and back.

``/v1`` admits ``_`` in a reviewer id (``rev_007``); a FHIR id may hold only letters, digits,
``-`` and ``.``, at most 64 of them. So ``.`` is the escape: ``.`` → ``.2e``, ``_`` → ``.5f``
(every ``.`` of an id this writes starts an escape, so reading it back is exact), and an id of
letters, digits and ``-`` (``rev-001``) is itself. The ``urn:p2p-scheduler:reviewer``
identifier always carries the reviewer id as ``/v1`` writes it.
"""

from __future__ import annotations

import hashlib
import re

_ESCAPE = {".": ".2e", "_": ".5f"}
_ESCAPED = re.compile(r"\.(2e|5f)", re.IGNORECASE)
_MAX = 64


def fhir_id(reviewer_id: str) -> str:
    """The FHIR id of a reviewer (and of their Schedule and PractitionerRole)."""
    escaped = "".join(_ESCAPE.get(char, char) for char in reviewer_id)
    if len(escaped) <= _MAX:
        return escaped
    # longer than FHIR allows once escaped: a stable stand-in (found by its identifier)
    return "x-" + hashlib.sha256(reviewer_id.encode()).hexdigest()[:40]


def reviewer_id_of(fhir_id_: str) -> str:
    """The reviewer id a FHIR id (or a reference's id part) stands for."""
    return _ESCAPED.sub(lambda m: "." if m.group(1).lower() == "2e" else "_", fhir_id_)


def slot_id(reviewer_id: str, stamp: str) -> str:
    """A Slot's id: the reviewer's FHIR id and the start (``20261208T1400``), within 64."""
    whole = f"{fhir_id(reviewer_id)}-{stamp}"
    if len(whole) <= _MAX:
        return whole
    return f"x-{hashlib.sha256(reviewer_id.encode()).hexdigest()[:40]}-{stamp}"
