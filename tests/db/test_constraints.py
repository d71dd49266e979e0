"""The database itself enforces the schema's rules, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, SQLModel

from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import (
    CaseRow,
    ReviewerHoursRow,
    ReviewerLicenseRow,
    ReviewerRow,
    ReviewerSkillRow,
)
from p2p_scheduler.db.types import UTCDateTime
from p2p_scheduler.services import records
from tests.db.factories import POLICY_ZONE, make_case, make_reviewer

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def case_row(case_number: str = "C-1", **changes: object) -> CaseRow:
    values: dict[str, object] = {
        "case_number": case_number,
        "member_name": "Jane Q. Member",
        "member_dob": date(1961, 2, 28),
        "member_state": "PA",
        "member_id": "M-1",
        "health_plan": "Keystone Health",
        "line_of_business": "commercial",
        "case_type": "MSK Spine Surgery",
        "skill": "msk_spine",
        "status": "denied",
        "urgency": "standard",
        "determination_at": NOW,
    }
    values.update(changes)
    return CaseRow(**values)


def reviewer_row(reviewer_id: str = "dr-a", **changes: object) -> ReviewerRow:
    values: dict[str, object] = {
        "reviewer_id": reviewer_id,
        "name": "Dr A",
        "email": "a@example.org",
        "time_zone": "America/New_York",
    }
    values.update(changes)
    return ReviewerRow(**values)


def count(engine: Engine, table: type[SQLModel]) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def test_valid_rows_are_accepted(engine: Engine) -> None:
    """The baseline the rejections below differ from in exactly one field."""
    with transaction(engine) as session:
        session.add(case_row())
        session.add(reviewer_row())
        session.flush()
        session.add(ReviewerSkillRow(reviewer_id="dr-a", skill="msk_spine", priority=1))
        session.add(ReviewerLicenseRow(reviewer_id="dr-a", state="PA"))
        session.add(
            ReviewerHoursRow(
                reviewer_id="dr-a", weekday="mon", start_time="09:00", end_time="17:00"
            )
        )
    assert count(engine, CaseRow) == 1
    assert count(engine, ReviewerSkillRow) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "bogus"),
        ("line_of_business", "medigap"),
        ("urgency", "asap"),
        ("member_name", None),
        ("status", None),
    ],
)
def test_case_check_and_not_null_violations(engine: Engine, field: str, value: object) -> None:
    with pytest.raises(IntegrityError), transaction(engine) as session:
        session.add(case_row("C-good"))  # valid, but in the same unit of work
        session.flush()
        session.add(case_row("C-bad", **{field: value}))
        session.flush()
    assert count(engine, CaseRow) == 0, "a failed transaction left rows behind"


def test_duplicate_case_number_is_refused(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add(case_row("C-1"))
    with pytest.raises(IntegrityError), Session(engine) as session:
        session.add(case_row("C-1", status="approved"))
        session.commit()
    with Session(engine) as session:
        assert session.get(CaseRow, "C-1").status == "denied"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("row", "table"),
    [
        (
            lambda: ReviewerSkillRow(reviewer_id="dr-a", skill="msk_spine", priority=0),
            ReviewerSkillRow,
        ),
        (
            lambda: ReviewerSkillRow(reviewer_id="dr-a", skill="msk_spine", priority=-3),
            ReviewerSkillRow,
        ),
        (
            lambda: ReviewerSkillRow(reviewer_id="dr-ghost", skill="msk_spine", priority=1),
            ReviewerSkillRow,
        ),
        (lambda: ReviewerLicenseRow(reviewer_id="dr-ghost", state="PA"), ReviewerLicenseRow),
        (
            lambda: ReviewerHoursRow(
                reviewer_id="dr-a", weekday="xyz", start_time="09:00", end_time="17:00"
            ),
            ReviewerHoursRow,
        ),
        (
            lambda: ReviewerHoursRow(
                reviewer_id="dr-a", weekday="tue", start_time="17:00", end_time="09:00"
            ),
            ReviewerHoursRow,
        ),
        (
            lambda: ReviewerHoursRow(
                reviewer_id="dr-a", weekday="tue", start_time="09:00", end_time="09:00"
            ),
            ReviewerHoursRow,
        ),
        (
            lambda: ReviewerHoursRow(
                reviewer_id="dr-ghost", weekday="tue", start_time="09:00", end_time="10:00"
            ),
            ReviewerHoursRow,
        ),
    ],
    ids=[
        "priority-0",
        "priority-negative",
        "skill-unknown-reviewer",
        "licence-unknown-reviewer",
        "hours-bad-weekday",
        "hours-end-before-start",
        "hours-empty",
        "hours-unknown-reviewer",
    ],
)
def test_reviewer_child_violations(engine: Engine, row: object, table: type[SQLModel]) -> None:
    with transaction(engine) as session:
        session.add(reviewer_row())
    with pytest.raises(IntegrityError), transaction(engine) as session:
        session.add(ReviewerSkillRow(reviewer_id="dr-a", skill="neurology", priority=2))
        session.flush()
        session.add(row())  # type: ignore[operator]
        session.flush()
    assert count(engine, table) == 0
    assert count(engine, ReviewerSkillRow) == 0, "the valid row of the failed transaction stayed"
    assert count(engine, ReviewerRow) == 1


def test_reviewer_daily_cap_must_be_positive(engine: Engine) -> None:
    with pytest.raises(IntegrityError), transaction(engine) as session:
        session.add(reviewer_row(max_consults_per_day=0))
    assert count(engine, ReviewerRow) == 0


def test_deleting_a_reviewer_cascades_in_the_database(engine: Engine) -> None:
    records.put_reviewer(actor="admin-1", now=NOW, engine=engine, profile=make_reviewer("dr-house"))
    records.put_reviewer(
        actor="admin-1", now=NOW, engine=engine, profile=make_reviewer("dr-wilson")
    )
    assert (count(engine, ReviewerSkillRow), count(engine, ReviewerLicenseRow)) == (6, 6)
    # a plain DELETE statement: no ORM relationship is involved, so only ON DELETE CASCADE acts
    with engine.begin() as connection:
        connection.execute(delete(ReviewerRow).where(ReviewerRow.reviewer_id == "dr-house"))
    assert count(engine, ReviewerRow) == 1
    for table in (ReviewerSkillRow, ReviewerLicenseRow, ReviewerHoursRow):
        with Session(engine) as session:
            owners = set(session.execute(select(table.reviewer_id)).scalars())  # type: ignore[attr-defined]
        assert owners == {"dr-wilson"}, table.__tablename__


# ---- naive datetimes -----------------------------------------------------------------------------


def test_utc_datetime_refuses_naive_values() -> None:
    column_type = UTCDateTime()
    for dialect_name in ("sqlite", "postgresql"):
        dialect = type("D", (), {"name": dialect_name})()
        with pytest.raises(ValueError, match="naive"):
            column_type.process_bind_param(datetime(2026, 11, 23, 10, 0), dialect)  # type: ignore[arg-type]
        assert column_type.process_bind_param(None, dialect) is None  # type: ignore[arg-type]


def test_storing_a_naive_datetime_is_refused(engine: Engine) -> None:
    naive = datetime(2026, 11, 23, 10, 0)
    with pytest.raises(StatementError) as raised, transaction(engine) as session:
        session.add(case_row(determination_at=naive))
        session.flush()
    assert isinstance(raised.value.orig, ValueError)
    assert "naive" in str(raised.value.orig)
    assert count(engine, CaseRow) == 0


def test_put_case_with_a_naive_datetime_stores_nothing(engine: Engine) -> None:
    original = make_case()
    records.put_case(
        actor="admin-1", now=NOW, engine=engine, policy_zone=POLICY_ZONE, case=original
    )
    with pytest.raises(StatementError) as raised:
        records.put_case(
            actor="admin-1",
            now=NOW,
            engine=engine,
            policy_zone=POLICY_ZONE,
            case=replace(original, received_at=datetime(2026, 11, 1, 9, 0)),
        )
    assert isinstance(raised.value.orig, ValueError)
    assert records.get_case(engine=engine, case_number=original.case_number) == original
    with pytest.raises(StatementError):
        records.put_case(
            actor="admin-1",
            now=NOW,
            engine=engine,
            policy_zone=POLICY_ZONE,
            case=make_case("NEW-1", hold_due_at=datetime(2026, 12, 1)),
        )
    assert count(engine, CaseRow) == 1
