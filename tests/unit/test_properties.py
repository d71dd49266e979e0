"""Properties of eligibility and day counting, checked with hypothesis.

Expected bounds are computed with ``zoneinfo`` and the ``holidays`` package directly, not
with the helpers under test.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from p2p_scheduler.domain.eligibility import evaluate_case, evaluate_request
from p2p_scheduler.domain.model import CaseStatus, LevelOfReview, LineOfBusiness, Urgency
from p2p_scheduler.domain.policy.days import add_business_days

NY = ZoneInfo("America/New_York")
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)

STATES = ["PA", "CA", "TX", "IL", "LA", "MS", "NY", "MO"]

nows = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


def end_of_local_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=NY)


def offset(draw, low_days: int, high_days: int) -> timedelta:
    return timedelta(minutes=draw(st.integers(low_days * 24 * 60, high_days * 24 * 60)))


@st.composite
def any_case_and_now(draw, case_number: str = "C-1001"):
    """Factory arguments for any status, line of business, state and mix of dates, and a
    random ``now`` they are placed around."""
    now = draw(nows)

    def maybe_instant(low_days: int, high_days: int) -> datetime | None:
        if draw(st.booleans()):
            return now + offset(draw, low_days, high_days)
        return None

    date_of_service = None
    if draw(st.booleans()):
        date_of_service = now.date() + timedelta(days=draw(st.integers(-20, 60)))
    fields = dict(
        case_number=case_number,
        status=draw(st.sampled_from(CaseStatus)),
        lob=draw(st.sampled_from(LineOfBusiness)),
        state=draw(st.sampled_from(STATES)),
        urgency=draw(st.sampled_from(Urgency)),
        received_at=maybe_instant(-60, 0),
        hold_due_at=maybe_instant(-5, 50),
        additional_info_received_at=maybe_instant(-10, 5),
        determination_at=maybe_instant(-40, 0),
        determined_by=draw(st.sampled_from([None, "dr-lee", "dr-okafor"])),
        date_of_service=date_of_service,
        appeal_filed_at=maybe_instant(-35, 0),
        post_decision_delegated=draw(st.booleans()),
        appeals_delegated=draw(st.booleans()),
        retrospective=draw(st.booleans()),
        p2p_completed=draw(st.booleans()),
    )
    return fields, now


@st.composite
def open_reconsiderations(draw):
    """Factory arguments for a denial inside its reconsideration window (service today or
    later), and ``now``."""
    determination_at = draw(nows)
    now = determination_at + offset(draw, 0, 13)
    local_today = now.astimezone(NY).date()
    fields = dict(
        status=draw(st.sampled_from([CaseStatus.DENIED, CaseStatus.PARTIALLY_APPROVED])),
        lob=draw(st.sampled_from([LineOfBusiness.COMMERCIAL, LineOfBusiness.MEDICAID])),
        state=draw(st.sampled_from(STATES)),
        determination_at=determination_at,
        date_of_service=local_today + timedelta(days=draw(st.integers(0, 40))),
    )
    return fields, now


@PROPERTY_SETTINGS
@given(fields_and_now=open_reconsiderations())
def test_reconsideration_never_ends_after_the_date_of_service(
    fields_and_now, make_case, policy
) -> None:
    fields, now = fields_and_now
    case = make_case(**fields)

    result = evaluate_case(case.case_number, case.member.dob, case, policy=policy, now=now)

    assert result.level_of_review is LevelOfReview.RECONSIDERATION
    assert result.valid_until is not None
    assert now < result.valid_until <= end_of_local_day(case.date_of_service)
    determined_local = case.determination_at.astimezone(NY).date()
    assert result.valid_until <= end_of_local_day(determined_local + timedelta(days=14))


@PROPERTY_SETTINGS
@given(fields_and_now=any_case_and_now())
def test_eligible_means_valid_until_after_now(fields_and_now, make_case, policy) -> None:
    fields, now = fields_and_now
    case = make_case(**fields)

    result = evaluate_case(case.case_number, case.member.dob, case, policy=policy, now=now)

    assert result.found is True
    assert len(result.messages) == 1
    if result.eligible:
        assert result.valid_until is not None
        assert result.valid_until > now
        assert result.level_of_review is not None
        assert result.level_of_review in policy.status_levels[case.status]
    else:
        assert result.valid_until is None
        assert result.level_of_review is None
    if result.level_of_review is LevelOfReview.RECONSIDERATION and case.date_of_service:
        assert result.valid_until <= end_of_local_day(case.date_of_service)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_request_valid_until_is_the_earliest_case_deadline(data, make_case, policy) -> None:
    count = data.draw(st.integers(min_value=1, max_value=5))
    now = data.draw(nows)
    results = []
    for n in range(count):
        fields, _ = data.draw(any_case_and_now(case_number=f"C-{n}"))
        case = make_case(**fields)
        results.append(
            evaluate_case(case.case_number, case.member.dob, case, policy=policy, now=now)
        )

    request = evaluate_request(results, policy=policy)

    assert request.duration_minutes == 15 * count
    assert request.eligible is all(r.eligible for r in results)
    if request.eligible:
        assert request.valid_until == min(r.valid_until for r in results)
        assert request.blocking_cases == ()
    else:
        assert request.valid_until is None
        blocking = tuple(r.case_number for r in results if not r.eligible)
        assert request.blocking_cases == blocking
        assert len(request.messages) == len(blocking)
        for number, message in zip(blocking, request.messages, strict=True):
            assert message.startswith(f"Case {number} cannot be scheduled: ")


@PROPERTY_SETTINGS
@given(fields_and_now=any_case_and_now(), dob=st.dates(date(1900, 1, 1), date(2026, 12, 31)))
def test_wrong_dob_answer_never_differs_from_unknown_case(
    fields_and_now, dob, make_case, policy
) -> None:
    fields, now = fields_and_now
    case = make_case(**fields)
    if dob == case.member.dob:
        dob += timedelta(days=1)

    wrong = evaluate_case(case.case_number, dob, case, policy=policy, now=now)
    unknown = evaluate_case(case.case_number, dob, None, policy=policy, now=now)

    assert wrong == unknown
    assert wrong.found is False


# ---- business days -------------------------------------------------------------------------------

start_days = st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31))


def federal_holidays(day: date) -> holidays.HolidayBase:
    return _federal_holidays_around(day.year)


@functools.cache
def _federal_holidays_around(year: int) -> holidays.HolidayBase:
    """Built once per year, not once per day looked up: the same calendar, far cheaper."""
    return holidays.country_holidays("US", years=range(year - 1, year + 2), observed=True)


@PROPERTY_SETTINGS
@given(start_days, st.integers(min_value=0, max_value=40))
def test_add_business_days_never_lands_on_a_weekend_or_holiday(start, count) -> None:
    result = add_business_days(start, count)

    assert result.isoweekday() <= 5
    assert result not in federal_holidays(result)
    assert result >= start
    # Never more than count + a few weekends and holidays away.
    assert result - start <= timedelta(days=count * 2 + 6)


@PROPERTY_SETTINGS
@given(start_days, st.integers(min_value=0, max_value=40))
def test_add_business_days_is_monotone_in_the_count(start, count) -> None:
    assert add_business_days(start, count) < add_business_days(start, count + 1)


@PROPERTY_SETTINGS
@given(start_days, st.integers(min_value=0, max_value=25))
def test_add_business_days_counts_every_business_day_in_between(start, count) -> None:
    result = add_business_days(start, count)
    between = [
        start + timedelta(days=n)
        for n in range(1, (result - start).days + 1)
        if (start + timedelta(days=n)).isoweekday() <= 5
        and (start + timedelta(days=n)) not in federal_holidays(start + timedelta(days=n))
    ]
    start_is_business = start.isoweekday() <= 5 and start not in federal_holidays(start)

    # A business-day start is day 0; otherwise the first business day after it is.
    assert len(between) == (count if start_is_business else count + 1)
