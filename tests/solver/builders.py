"""Small builders for hand-written instances: minutes since the epoch, one day = 1440."""

from __future__ import annotations

from solver.problem import Eligible, Interval, Problem, Request, Reviewer, WorkingInterval

DAY = 24 * 60


def hours(hh: float) -> int:
    """Minutes of an hour of day 0 (``hours(9.5)`` = 09:30 = 570)."""
    return round(hh * 60)


def reviewer(
    reviewer_id: str,
    *working: tuple[int, int] | tuple[int, int, int],
    blocked: tuple[tuple[int, int], ...] = (),
    cap: int | None = None,
    booked: dict[int, int] | None = None,
) -> Reviewer:
    """Working intervals as ``(start, end)`` on day 0 or ``(start, end, day)``."""
    intervals = tuple(
        WorkingInterval(w[0], w[1], w[2] if len(w) == 3 else 0)  # type: ignore[misc]
        for w in working
    )
    return Reviewer(
        id=reviewer_id,
        working=intervals,
        blocked=tuple(Interval(a, b) for a, b in blocked),
        daily_cap=cap,
        booked_per_day=booked or {},
    )


def request(
    request_id: str,
    eligible: dict[str, int],
    *,
    arrival: int = 0,
    duration: int = 30,
    earliest: int = 0,
    deadline: int = DAY,
    urgent: bool = False,
    preferred: tuple[tuple[int, int], ...] = (),
    original: str | None = None,
    favour_original: bool = False,
    excluded: frozenset[str] = frozenset(),
) -> Request:
    return Request(
        id=request_id,
        arrival=arrival,
        duration=duration,
        earliest_start=earliest,
        deadline=deadline,
        eligible=tuple(Eligible(r, tier) for r, tier in eligible.items()),
        urgent=urgent,
        preferred=tuple(Interval(a, b) for a, b in preferred),
        original_reviewer=original,
        favour_original=favour_original,
        excluded_reviewers=excluded,
    )


def problem(reviewers: list[Reviewer], requests: list[Request], **kwargs: object) -> Problem:
    return Problem(reviewers=tuple(reviewers), requests=tuple(requests), **kwargs)  # type: ignore[arg-type]


def placed(result) -> dict[str, tuple[str, int]]:
    """``{request_id: (reviewer_id, start)}`` of a result."""
    return {a.request_id: (a.reviewer_id, a.start) for a in result.assignments}
