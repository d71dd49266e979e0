"""The demo's four months of past P2Ps (issue 19): closed, qualified, apart from the demo's own
cases and week, and with every kind of figure the reports page shows."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from p2p_scheduler.domain.enums import BookingStatus, CancelReason, Outcome, Party
from p2p_scheduler.domain.model import LevelOfReview, LineOfBusiness, Weekday
from p2p_scheduler.tools.demo import DEMO_PRACTICE, demo_cases, demo_reviewers
from p2p_scheduler.tools.demo_history import (
    HISTORY_DAYS,
    MINUTES_PER_CASE,
    QUIET_DAYS,
    DemoHistory,
    demo_history,
)

# a Saturday evening, a Monday morning after the autumn DST change, a leap-day
NOWS = [
    datetime(2026, 12, 5, 21, 33, 17, tzinfo=UTC),
    datetime(2026, 11, 2, 13, 0, tzinfo=UTC),
    datetime(2028, 2, 29, 4, 59, 59, tzinfo=UTC),
]
REVIEWERS = {r.reviewer_id: r for r in demo_reviewers()}


@pytest.fixture(params=NOWS, ids=lambda now: now.isoformat())
def now(request: pytest.FixtureRequest) -> datetime:
    return request.param


@pytest.fixture
def history(now: datetime) -> DemoHistory:
    return demo_history(now, list(REVIEWERS.values()))


def test_every_past_p2p_is_closed_and_lies_in_its_months(
    now: datetime, history: DemoHistory
) -> None:
    assert 120 <= len(history.p2ps) <= 220
    for p2p in history.p2ps:
        booking = p2p.booking
        assert booking.status in {
            BookingStatus.COMPLETED,
            BookingStatus.NO_SHOW,
            BookingStatus.CANCELLED,
        }
        assert booking.start_at is not None and booking.end_at is not None
        assert now - timedelta(days=HISTORY_DAYS + 1) < booking.start_at
        assert booking.end_at <= now - timedelta(days=QUIET_DAYS - 1), "the last week is quiet"
        assert booking.end_at - booking.start_at == timedelta(
            minutes=MINUTES_PER_CASE * len(p2p.cases)
        )
        assert booking.duration_minutes == MINUTES_PER_CASE * len(p2p.cases)
        moments = [step.at for step in p2p.steps]
        assert moments == sorted(moments), [(s.event, s.at) for s in p2p.steps]
        assert booking.created_at == p2p.steps[0].at < p2p.steps[1].booking.start_at  # type: ignore[operator]
        assert all(step.booking.id == booking.id for step in p2p.steps)
        # a reschedule happens before the call it moves
        for before, after in zip(p2p.steps, p2p.steps[1:], strict=False):
            if after.event == "rescheduled":
                assert after.at < before.booking.start_at  # type: ignore[operator]
        # the sequence counts the moves and the cancel (SPEC §9)
        moves = sum(step.event == "rescheduled" for step in p2p.steps)
        cancelled = booking.status is BookingStatus.CANCELLED
        assert booking.sequence == moves + cancelled
        assert booking.provider_org != DEMO_PRACTICE, "the demo practice's list starts empty"


def test_reviewers_are_qualified_and_never_double_booked(history: DemoHistory) -> None:
    cases = {case.case_number: case for case in history.cases}
    taken: list[tuple[str, datetime, datetime]] = []
    for p2p in history.p2ps:
        booking = p2p.booking
        reviewer = REVIEWERS[booking.reviewer_id]  # type: ignore[index]
        case = cases[p2p.cases[0].case_number]
        assert reviewer.active
        assert case.member.state in reviewer.licensed_states
        assert case.skill in reviewer.skills
        if case.member.state == "TX":
            assert reviewer.skills[case.skill] == 1, "Texas: tier 1 only"
        # inside the reviewer's working hours, on the grid, in their zone
        local = booking.start_at.astimezone(ZoneInfo(reviewer.time_zone))  # type: ignore[union-attr]
        weekday = list(Weekday)[local.weekday()]
        assert local.minute % 15 == 0 and local.second == 0
        assert any(
            block.weekday == weekday
            and block.start <= f"{local:%H:%M}"
            and f"{(local + timedelta(minutes=booking.duration_minutes)):%H:%M}" <= block.end
            for block in reviewer.working_hours
        ), (reviewer.reviewer_id, local)
        for other, start, end in taken:
            if other == reviewer.reviewer_id:
                assert booking.end_at <= start or end <= booking.start_at  # type: ignore[operator]
        taken.append((reviewer.reviewer_id, booking.start_at, booking.end_at))  # type: ignore[arg-type]


def test_the_history_has_every_figure_of_the_report(history: DemoHistory) -> None:
    finals = [p2p.booking for p2p in history.p2ps]
    assert set(Counter(b.outcome for b in finals if b.outcome)) == set(Outcome)
    assert set(Counter(b.no_show_party for b in finals if b.no_show_party)) == set(Party)
    reasons = {b.cancel_reason_code for b in finals if b.cancel_reason_code}
    assert reasons == set(CancelReason)
    assert all(b.cancel_reason_text for b in finals if b.cancel_reason_code == "other")
    assert {b.sequence - (b.status is BookingStatus.CANCELLED) for b in finals} >= {0, 1, 2}
    requested = [p2p for p2p in history.p2ps if p2p.booking.preferred_days is not None]
    assert len(requested) >= 25
    assert all(p2p.steps[0].event == "submitted" for p2p in requested)
    assert all(p2p.steps[1].actor == "optimizer" for p2p in requested)
    inside = 0
    for p2p in requested:
        b = p2p.booking
        local = b.start_at.astimezone(ZoneInfo(b.time_zone))  # type: ignore[union-attr]
        inside += list(Weekday)[local.weekday()] in b.preferred_days and local.hour in (  # type: ignore[operator]
            b.preferred_hours or ()
        )
    assert 0 < inside < len(requested), "most inside the preferred window, not all"
    cases = {case.case_number: case for case in history.cases}
    firsts = [cases[p2p.cases[0].case_number] for p2p in history.p2ps]
    assert {c.line_of_business for c in firsts} == set(LineOfBusiness)
    assert {p2p.cases[0].level_of_review for p2p in history.p2ps} == {
        level.value for level in LevelOfReview
    }
    assert len({c.member.state for c in firsts}) >= 10
    assert any(len(p2p.cases) == 2 for p2p in history.p2ps), "a multi-case request"
    tiers = Counter(
        REVIEWERS[p2p.booking.reviewer_id].skills[cases[p2p.cases[0].case_number].skill]  # type: ignore[index]
        for p2p in history.p2ps
    )
    assert tiers[1] > tiers[2] + tiers[3] > 0, tiers


def test_history_cases_are_its_own_and_closed_long_ago(now: datetime, history: DemoHistory) -> None:
    numbers = [case.case_number for case in history.cases]
    assert len(numbers) == len(set(numbers)) == sum(len(p2p.cases) for p2p in history.p2ps)
    assert all(number.startswith("H2") for number in numbers)
    assert not set(numbers) & {case.case_number for case in demo_cases(now)}
    for case in history.cases:
        assert case.determination_at is not None and case.received_at is not None
        assert case.received_at < case.determination_at < now - timedelta(days=QUIET_DAYS - 2)


def test_the_same_start_gives_the_same_history(now: datetime) -> None:
    once = demo_history(now, list(REVIEWERS.values()))
    again = demo_history(now, list(REVIEWERS.values()))
    assert once == again
    with pytest.raises(ValueError, match="aware"):
        demo_history(now.replace(tzinfo=None), list(REVIEWERS.values()))
