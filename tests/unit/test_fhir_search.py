"""FHIR date search prefixes (SPEC §13): the period each asks for, hand-computed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.fhir.search import Period, period_of, reference_id
from p2p_scheduler.domain.errors import InvalidInput


def utc(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("values", "period"),
    [
        (["ge2026-12-08"], Period(utc(8), None)),
        (["gt2026-12-08"], Period(utc(9), None)),  # after the whole UTC day
        (["lt2026-12-08"], Period(None, utc(8))),
        (["le2026-12-08"], Period(None, utc(9))),  # up to the day's last moment
        (["2026-12-08"], Period(utc(8), utc(9))),  # no prefix: eq
        (["eq2026-12-08"], Period(utc(8), utc(9))),
        (["ge2026-12-08", "lt2026-12-10"], Period(utc(8), utc(10))),
        (["ge2026-12-08,ge2026-12-09"], Period(utc(9), None)),  # both must hold
        (["ge2026-12-08T09:30:00-05:00"], Period(utc(8, 14, 30), None)),
        (["gt2026-12-08T14:30:00Z"], Period(utc(8, 14, 30, 1), None)),
        (["le2026-12-08T14:30:00Z"], Period(None, utc(8, 14, 30, 1))),
        (["eq2026-12-08T14:30:00.250Z"], Period(utc(8, 14, 30), utc(8, 14, 30, 1))),
    ],
)
def test_prefixes(values: list[str], period: Period) -> None:
    assert period_of(values, "date") == period


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("ne2026-12-08", "date: use the prefix ge, gt, le, lt or eq (got 'ne')."),
        ("ge2026-13-08", "date: enter a date like ge2026-12-08"),
        ("ge2026-12-08T09:00:00", "date: give the time with its UTC offset"),
        ("", "date: enter a date like ge2026-12-08"),
    ],
)
def test_refusals(value: str, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        period_of([value], "date")
    assert refused.value.detail.startswith(words)
    assert refused.value.extra == {"field": "date"}


def test_references() -> None:
    assert reference_id("Practitioner/rev-001", "Practitioner", "actor") == "rev-001"
    assert reference_id("rev-001", "Practitioner", "actor") == "rev-001"
    assert (
        reference_id("https://x.example/fhir/r4/Practitioner/rev-001", "Practitioner", "actor")
        == "rev-001"
    )
    with pytest.raises(InvalidInput):
        reference_id("Patient/123", "Practitioner", "actor")
