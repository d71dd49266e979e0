"""Round trips through ``p2p_scheduler.services.records`` on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from p2p_scheduler.db.engine import make_engine
from p2p_scheduler.db.tables import ReviewerHoursRow, ReviewerLicenseRow, ReviewerSkillRow
from p2p_scheduler.domain.errors import NotFound
from p2p_scheduler.domain.model import CaseStatus, LineOfBusiness, Urgency, Weekday, WorkingHours
from p2p_scheduler.services import records
from tests.db.factories import INSTANT_FIELDS, POLICY_ZONE, make_case, make_reviewer
from tests.support import NOW


def assert_utc(value: datetime | None) -> None:
    assert value is not None
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)
    assert value.tzinfo == UTC


# ---- cases -------------------------------------------------------------------------------------


def test_case_round_trip_keeps_instants_and_dates(engine: Engine) -> None:
    case = make_case()
    stored, created = records.put_case(
        actor="admin-1", now=NOW, engine=engine, policy_zone=POLICY_ZONE, case=case
    )
    assert created is True
    fetched = records.get_case(engine=engine, case_number=case.case_number)
    for result in (stored, fetched):
        assert result == case
        for name in INSTANT_FIELDS:
            original, back = getattr(case, name), getattr(result, name)
            assert back == original, name  # the same instant ...
            assert_utc(back)  # ... expressed in UTC
            assert back.astimezone(original.tzinfo) == original
            assert back.astimezone(original.tzinfo).isoformat() == original.isoformat()
        assert result.received_at == datetime(2026, 11, 17, 2, 30, 15, 123456, tzinfo=UTC)
        assert result.determination_at is not None
        assert result.determination_at.microsecond == 1
        assert type(result.member.dob) is date
        assert result.member.dob == date(1961, 2, 28)
        assert type(result.date_of_service) is date
        assert result.date_of_service == date(2027, 1, 15)
        assert result.status is CaseStatus.DENIED
        assert result.line_of_business is LineOfBusiness.COMMERCIAL
        assert result.urgency is Urgency.URGENT
        assert (result.post_decision_delegated, result.retrospective) == (False, True)


def test_instants_are_stored_as_utc(engine: Engine) -> None:
    """What is in the database is the UTC wall time, whatever offset came in."""
    records.put_case(
        actor="admin-1", now=NOW, engine=engine, policy_zone=POLICY_ZONE, case=make_case()
    )
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            sql = "SELECT received_at AT TIME ZONE 'UTC' FROM cases"
        else:
            sql = "SELECT received_at FROM cases"
        raw = connection.execute(text(sql)).scalar_one()
    if isinstance(raw, str):
        raw = datetime.fromisoformat(raw)
    assert raw == datetime(2026, 11, 17, 2, 30, 15, 123456)


def test_postgresql_session_time_zone_does_not_leak(database_url: str, engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL has a session TimeZone")
    records.put_case(
        actor="admin-1", now=NOW, engine=engine, policy_zone=POLICY_ZONE, case=make_case()
    )
    other = make_engine(database_url, connect_args={"options": "-c TimeZone=Asia/Kolkata"})
    try:
        with other.connect() as connection:
            assert connection.execute(text("SHOW TimeZone")).scalar_one() == "Asia/Kolkata"
        fetched = records.get_case(engine=other, case_number="A123456789")
        assert fetched == make_case()
        for name in INSTANT_FIELDS:
            assert_utc(getattr(fetched, name))
        # and writing through that session stores the same instant
        records.put_case(
            actor="admin-1",
            now=NOW,
            engine=other,
            policy_zone=POLICY_ZONE,
            case=make_case("B1", received_at=datetime(2026, 3, 8, 6, 59, 59, tzinfo=UTC)),
        )
        back = records.get_case(engine=engine, case_number="B1").received_at
        assert back == datetime(2026, 3, 8, 6, 59, 59, tzinfo=UTC)
        assert_utc(back)
    finally:
        other.dispose()


def test_case_nulls_round_trip(engine: Engine) -> None:
    case = make_case(
        status=CaseStatus.IN_REVIEW,
        urgency=Urgency.STANDARD,
        hold_due_at=None,
        additional_info_received_at=None,
        determination_at=None,
        determined_by=None,
        date_of_service=None,
        appeal_filed_at=None,
    )
    stored, _ = records.put_case(
        actor="admin-1", now=NOW, engine=engine, policy_zone=POLICY_ZONE, case=case
    )
    assert stored == case
    assert stored.hold_due_at is None and stored.date_of_service is None


def test_put_case_replaces_the_snapshot(engine: Engine) -> None:
    first = make_case()
    _, created = records.put_case(
        actor="admin-1", now=NOW, engine=engine, policy_zone=POLICY_ZONE, case=first
    )
    assert created is True
    second = make_case(
        status=CaseStatus.APPROVED,
        urgency=Urgency.STANDARD,
        appeal_filed_at=None,
        date_of_service=date(2027, 2, 1),
        member=replace(first.member, state="TX", dob=date(1970, 1, 1)),
        line_of_business=LineOfBusiness.MEDICARE,
    )
    stored, created = records.put_case(
        actor="admin-1", now=NOW, engine=engine, policy_zone=POLICY_ZONE, case=second
    )
    assert created is False
    assert stored == second
    assert records.get_case(engine=engine, case_number=first.case_number) == second
    assert stored.appeal_filed_at is None


def test_unknown_case_is_not_found(engine: Engine) -> None:
    records.put_case(
        actor="admin-1", now=NOW, engine=engine, policy_zone=POLICY_ZONE, case=make_case()
    )
    with pytest.raises(NotFound) as raised:
        records.get_case(engine=engine, case_number="NOPE-1")
    assert "NOPE-1" in raised.value.detail


# ---- reviewers ---------------------------------------------------------------------------------


def _child_counts(engine: Engine, reviewer_id: str) -> tuple[int, int, int]:
    with Session(engine) as session:
        return tuple(  # type: ignore[return-value]
            session.execute(
                select(func.count()).select_from(table).where(table.reviewer_id == reviewer_id)  # type: ignore[attr-defined]
            ).scalar_one()
            for table in (ReviewerSkillRow, ReviewerLicenseRow, ReviewerHoursRow)
        )


def test_reviewer_round_trip(engine: Engine) -> None:
    profile = make_reviewer()
    stored, created = records.put_reviewer(actor="admin-1", now=NOW, engine=engine, profile=profile)
    assert created is True
    fetched = records.get_reviewer(engine=engine, reviewer_id=profile.reviewer_id)
    for result in (stored, fetched):
        assert result == profile
        assert result.skills == {"msk_spine": 1, "pain_management": 2, "neurology": 3}
        assert result.licensed_states == frozenset({"PA", "NJ", "NY"})
        assert result.working_hours == profile.working_hours  # order kept
    assert _child_counts(engine, profile.reviewer_id) == (3, 3, 3)


def test_put_reviewer_replaces_skills_licences_and_hours(engine: Engine) -> None:
    records.put_reviewer(actor="admin-1", now=NOW, engine=engine, profile=make_reviewer())
    records.put_reviewer(
        actor="admin-1",
        now=NOW,
        engine=engine,
        profile=make_reviewer("dr-wilson", name="James Wilson"),
    )
    replacement = make_reviewer(
        name="Gregory House Jr.",
        credentials="DO",
        email="house2@example.org",
        time_zone="America/Los_Angeles",
        skills={"cardiology": 1},
        licensed_states=frozenset({"CA"}),
        working_hours=(
            WorkingHours(Weekday.FRI, "10:00", "11:00"),
            WorkingHours(Weekday.TUE, "08:00", "09:00"),
        ),
        max_consults_per_day=1,
        active=False,
    )
    stored, created = records.put_reviewer(
        actor="admin-1", now=NOW, engine=engine, profile=replacement
    )
    assert created is False
    assert stored == replacement
    assert records.get_reviewer(engine=engine, reviewer_id="dr-house") == replacement
    assert _child_counts(engine, "dr-house") == (1, 1, 2)
    # the other reviewer is untouched
    assert records.get_reviewer(engine=engine, reviewer_id="dr-wilson") == make_reviewer(
        "dr-wilson", name="James Wilson"
    )
    assert _child_counts(engine, "dr-wilson") == (3, 3, 3)

    emptied = replace(replacement, skills={}, licensed_states=frozenset(), working_hours=())
    assert (
        records.put_reviewer(actor="admin-1", now=NOW, engine=engine, profile=emptied)[0] == emptied
    )
    assert _child_counts(engine, "dr-house") == (0, 0, 0)


def test_unknown_reviewer_is_not_found(engine: Engine) -> None:
    records.put_reviewer(actor="admin-1", now=NOW, engine=engine, profile=make_reviewer())
    with pytest.raises(NotFound) as raised:
        records.get_reviewer(engine=engine, reviewer_id="dr-nobody")
    assert "dr-nobody" in raised.value.detail
