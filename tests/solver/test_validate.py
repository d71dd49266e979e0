"""``validate`` catches every kind of broken result, and only broken ones."""

from __future__ import annotations

from dataclasses import replace

import pytest

from solver.result import (
    Assignment,
    Method,
    Result,
    SolveStatus,
    Timings,
    Unassigned,
    UnassignedReason,
)
from solver.validate import InvalidResult, ViolationKind, check, violations
from tests.solver.builders import DAY, hours, problem, request, reviewer

INSTANCE = problem(
    [
        reviewer(
            "A",
            (hours(9), hours(12), 0),
            (DAY + hours(9), DAY + hours(12), 1),
            blocked=((hours(11), hours(11.5)),),
            cap=2,
            booked={0: 1},
        ),
        reviewer("B", (hours(9), hours(12))),
        reviewer("DET", (hours(9), hours(12))),
    ],
    [
        request("R1", {"A": 1, "B": 2}, earliest=hours(9), deadline=2 * DAY),
        request("R2", {"A": 1}, earliest=hours(9), deadline=2 * DAY),
        request("R3", {"B": 1}, earliest=hours(10), deadline=hours(11)),
        request("APPEAL", {"B": 1}, original="DET", excluded=frozenset({"DET"})),
    ],
    buffer_minutes=15,
)

VALID = (
    Assignment("R1", "B", hours(9), hours(9.5)),
    Assignment("R2", "A", hours(9), hours(9.5)),
    Assignment("R3", "B", hours(10), hours(10.5)),
)


def result(*assignments: Assignment, unassigned: tuple[str, ...] | None = None) -> Result:
    placed = {a.request_id for a in assignments}
    if unassigned is None:
        unassigned = tuple(r.id for r in INSTANCE.requests if r.id not in placed)
    return Result(
        status=SolveStatus.FEASIBLE,
        method=Method.CP_SAT,
        assignments=assignments,
        unassigned=tuple(
            Unassigned(r, UnassignedReason.LOST_TO_HIGHER_PRIORITY) for r in unassigned
        ),
        objective=0,
        best_bound=None,
        gap_pct=None,
        timings=Timings(0.0, 0.0),
    )


def kinds(broken: Result) -> list[ViolationKind]:
    return sorted({v.kind for v in violations(INSTANCE, broken)})


def test_a_valid_result_passes() -> None:
    assert violations(INSTANCE, result(*VALID)) == []
    check(INSTANCE, result(*VALID))


def test_nothing_assigned_is_valid() -> None:
    assert violations(INSTANCE, result()) == []


@pytest.mark.parametrize(
    ("assignments", "expected"),
    [
        ((Assignment("R9", "A", hours(9), hours(9.5)),), [ViolationKind.UNKNOWN_REQUEST]),
        (
            (VALID[0], Assignment("R1", "B", hours(10), hours(10.5))),
            [ViolationKind.DUPLICATE_REQUEST],
        ),
        ((Assignment("R1", "Z", hours(9), hours(9.5)),), [ViolationKind.UNKNOWN_REVIEWER]),
        ((Assignment("R3", "A", hours(10), hours(10.5)),), [ViolationKind.NOT_ELIGIBLE]),
        (
            (Assignment("APPEAL", "DET", hours(9), hours(9.5)),),
            [ViolationKind.EXCLUDED_REVIEWER, ViolationKind.NOT_ELIGIBLE],
        ),
        ((Assignment("R1", "B", hours(9) + 5, hours(9.5) + 5),), [ViolationKind.OFF_GRID]),
        ((Assignment("R1", "B", hours(9), hours(9.75)),), [ViolationKind.WRONG_DURATION]),
        (
            (Assignment("R3", "B", hours(9.5), hours(10)),),
            [ViolationKind.BEFORE_EARLIEST_START],
        ),
        ((Assignment("R3", "B", hours(10.75), hours(11.25)),), [ViolationKind.AFTER_DEADLINE]),
        (
            (Assignment("R1", "B", hours(11.75), hours(12.25)),),
            [ViolationKind.OUTSIDE_WORKING_HOURS],
        ),
        ((Assignment("R2", "A", hours(11.25), hours(11.75)),), [ViolationKind.BLOCKED]),
        (
            (
                Assignment("R1", "B", hours(9), hours(9.5)),
                Assignment("APPEAL", "B", hours(9.25), hours(9.75)),
            ),
            [ViolationKind.OVERLAP],
        ),
        (
            # Back to back: the 15-minute buffer is missing.
            (
                Assignment("R1", "B", hours(10), hours(10.5)),
                Assignment("R3", "B", hours(10.5), hours(11)),
            ),
            [ViolationKind.OVERLAP],
        ),
        (
            # A's day 0 has room for one more (cap 2, one booked).
            (
                Assignment("R1", "A", hours(9), hours(9.5)),
                Assignment("R2", "A", hours(10), hours(10.5)),
            ),
            [ViolationKind.DAILY_CAP],
        ),
    ],
)
def test_each_kind_of_violation_is_caught(
    assignments: tuple[Assignment, ...], expected: list[ViolationKind]
) -> None:
    broken = result(*assignments)
    assert kinds(broken) == expected
    with pytest.raises(InvalidResult) as raised:
        check(INSTANCE, broken)
    assert sorted({v.kind for v in raised.value.violations}) == expected


def test_same_minutes_on_the_next_day_are_within_the_cap() -> None:
    ok = result(
        Assignment("R1", "A", hours(9), hours(9.5)),
        Assignment("R2", "A", DAY + hours(9), DAY + hours(9.5)),
    )
    assert violations(INSTANCE, ok) == []


def test_a_request_must_be_assigned_or_reported_unassigned_exactly_once() -> None:
    missing = result(VALID[0], unassigned=("R2", "R3"))
    assert kinds(missing) == [ViolationKind.NOT_ACCOUNTED]
    both = result(VALID[0], unassigned=("R1", "R2", "R3", "APPEAL"))
    assert kinds(both) == [ViolationKind.NOT_ACCOUNTED]


def test_violations_name_the_request() -> None:
    found = violations(INSTANCE, result(Assignment("R3", "B", hours(9.5), hours(10))))
    assert [(v.kind, v.request_id) for v in found] == [(ViolationKind.BEFORE_EARLIEST_START, "R3")]


def test_working_interval_end_is_inclusive_of_a_slot_ending_there() -> None:
    exact = replace(INSTANCE, buffer_minutes=0)
    assert violations(exact, result(Assignment("R1", "B", hours(11.5), hours(12)))) == []
