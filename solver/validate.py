"""An independent check that a result respects every hard constraint of its problem.

Used by the tests on every CP-SAT and greedy answer and after every production run. It
shares no code with the model: it works on the problem's intervals in minutes, with plain
Python and no grid, so a mistake in the grid arithmetic cannot hide itself.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from solver.problem import GRID_MINUTES, Problem, Reviewer
from solver.result import Assignment, Result


class ViolationKind(StrEnum):
    UNKNOWN_REQUEST = "unknown_request"
    DUPLICATE_REQUEST = "duplicate_request"
    UNKNOWN_REVIEWER = "unknown_reviewer"
    NOT_ELIGIBLE = "not_eligible"
    EXCLUDED_REVIEWER = "excluded_reviewer"
    OFF_GRID = "off_grid"
    WRONG_DURATION = "wrong_duration"
    BEFORE_EARLIEST_START = "before_earliest_start"
    AFTER_DEADLINE = "after_deadline"
    OUTSIDE_WORKING_HOURS = "outside_working_hours"
    BLOCKED = "blocked"
    OVERLAP = "overlap"
    DAILY_CAP = "daily_cap"
    NOT_ACCOUNTED = "not_accounted"


@dataclass(frozen=True, slots=True)
class Violation:
    kind: ViolationKind
    request_id: str | None
    detail: str


class InvalidResult(ValueError):
    """A result breaks hard constraints; ``violations`` says which."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        lines = "; ".join(f"{v.kind}: {v.detail}" for v in violations[:10])
        super().__init__(f"{len(violations)} violation(s): {lines}")


def violations(problem: Problem, result: Result) -> list[Violation]:
    """Every broken hard constraint of ``result`` (empty when it is valid)."""
    found: list[Violation] = []
    requests = {request.id: request for request in problem.requests}
    reviewers = {reviewer.id: reviewer for reviewer in problem.reviewers}
    seen: set[str] = set()
    per_reviewer: dict[str, list[Assignment]] = defaultdict(list)
    per_day: dict[tuple[str, int], int] = defaultdict(int)

    def add(kind: ViolationKind, assignment: Assignment | None, detail: str) -> None:
        found.append(Violation(kind, assignment.request_id if assignment else None, detail))

    for a in result.assignments:
        request = requests.get(a.request_id)
        if request is None:
            add(ViolationKind.UNKNOWN_REQUEST, a, f"{a.request_id} is not in the problem")
            continue
        if a.request_id in seen:
            add(ViolationKind.DUPLICATE_REQUEST, a, f"{a.request_id} is assigned twice")
        seen.add(a.request_id)
        reviewer = reviewers.get(a.reviewer_id)
        if reviewer is None:
            add(ViolationKind.UNKNOWN_REVIEWER, a, f"{a.reviewer_id} is not in the problem")
            continue
        if a.reviewer_id in request.excluded_reviewers:
            add(ViolationKind.EXCLUDED_REVIEWER, a, f"{a.reviewer_id} is excluded")
        if a.reviewer_id not in {e.reviewer_id for e in request.eligible}:
            add(ViolationKind.NOT_ELIGIBLE, a, f"{a.reviewer_id} does not qualify")
        if a.start % GRID_MINUTES or a.end % GRID_MINUTES:
            add(ViolationKind.OFF_GRID, a, f"{a.start}..{a.end} is off the 15-minute grid")
        if a.end - a.start != request.duration:
            add(ViolationKind.WRONG_DURATION, a, f"lasts {a.end - a.start}, not {request.duration}")
        if a.start < request.earliest_start:
            add(ViolationKind.BEFORE_EARLIEST_START, a, f"starts {a.start}")
        if a.end > request.deadline:
            add(ViolationKind.AFTER_DEADLINE, a, f"ends {a.end} after {request.deadline}")
        day = _working_day(reviewer, a.start, a.end)
        if day is None:
            add(ViolationKind.OUTSIDE_WORKING_HOURS, a, f"{a.start}..{a.end} not in one stretch")
        else:
            per_day[(reviewer.id, day)] += 1
        for blocked in reviewer.blocked:
            if blocked.start < a.end and a.start < blocked.end:
                add(ViolationKind.BLOCKED, a, f"meets blocked {blocked.start}..{blocked.end}")
        per_reviewer[reviewer.id].append(a)

    buffer = problem.buffer_minutes
    for reviewer_id, assigned in per_reviewer.items():
        assigned.sort(key=lambda a: a.start)
        latest: Assignment | None = None
        for a in assigned:
            if latest is not None and a.start < latest.end + buffer:
                add(ViolationKind.OVERLAP, a, f"{reviewer_id} also has {latest.request_id}")
            if latest is None or a.end > latest.end:
                latest = a

    for (reviewer_id, day), count in per_day.items():
        reviewer = reviewers[reviewer_id]
        if reviewer.daily_cap is None:
            continue
        total = count + reviewer.booked_per_day.get(day, 0)
        if total > reviewer.daily_cap:
            add(
                ViolationKind.DAILY_CAP,
                None,
                f"{reviewer_id} has {total} on day {day}, cap {reviewer.daily_cap}",
            )

    unassigned = [u.request_id for u in result.unassigned]
    for request_id in sorted(set(requests) - seen - set(unassigned)):
        add(ViolationKind.NOT_ACCOUNTED, None, f"{request_id} is neither assigned nor unassigned")
    for request_id in sorted(seen.intersection(unassigned)):
        add(ViolationKind.NOT_ACCOUNTED, None, f"{request_id} is both assigned and unassigned")
    if len(unassigned) != len(set(unassigned)):
        add(ViolationKind.NOT_ACCOUNTED, None, "a request is listed twice as unassigned")
    return found


def check(problem: Problem, result: Result) -> None:
    """Raise ``InvalidResult`` unless ``result`` respects every hard constraint."""
    found = violations(problem, result)
    if found:
        raise InvalidResult(found)


def _working_day(reviewer: Reviewer, start: int, end: int) -> int | None:
    """The local day of the working stretch holding ``[start, end)``, if one does.

    Touching intervals of the same day form one stretch (as the problem defines).
    """
    stretches: list[list[int]] = []
    for w in sorted(reviewer.working, key=lambda w: w.start):
        if stretches and stretches[-1][2] == w.day and stretches[-1][1] == w.start:
            stretches[-1][1] = w.end
        else:
            stretches.append([w.start, w.end, w.day])
    for lo, hi, day in stretches:
        if lo <= start and end <= hi:
            return day
    return None
