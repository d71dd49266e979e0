"""The optimisation problem as plain, frozen data in integer minutes (SPEC §6).

All instants are integer minutes since an epoch the caller chooses (``Problem.epoch``, only
for reporting). The epoch must fall on a quarter hour so that "on the 15-minute grid" means
``minute % 15 == 0``. Time zones do not exist here: the caller (the bridge) resolves
working hours, time off and the requester's preferred days and hours into intervals, and tags
every working interval with the reviewer-local day it belongs to, because daily caps count
consultations per reviewer-local day.

Intervals are half-open ``[start, end)``. Inputs off the grid are accepted and used
conservatively: a working interval contributes only its whole quarters, a blocked interval
blocks every quarter it touches, starts are rounded up from ``earliest_start`` and ends down
to ``deadline``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

#: Length of one grid cell in minutes: consultations start on the quarter hours.
GRID_MINUTES = 15


@dataclass(frozen=True, slots=True)
class Interval:
    """``[start, end)`` in minutes since the epoch."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"interval ends before it starts: {self.start}..{self.end}")


@dataclass(frozen=True, slots=True)
class WorkingInterval:
    """A stretch of working time on the reviewer-local day ``day`` (any integer index).

    Touching intervals of the same ``day`` form one stretch: a consultation may run across
    the seam. Intervals of different days never join, so a consultation counts against one
    day's cap only.
    """

    start: int
    end: int
    day: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"working interval ends before it starts: {self.start}..{self.end}")


@dataclass(frozen=True, slots=True)
class Reviewer:
    """A reviewer's time as the optimizer sees it.

    ``blocked`` holds existing bookings (widened by any buffer, as availability does), live
    holds and time off. ``booked_per_day`` counts consultations already booked per
    reviewer-local day, which the daily cap includes; ``daily_cap`` ``None`` means no cap.
    """

    id: str
    working: tuple[WorkingInterval, ...]
    blocked: tuple[Interval, ...] = ()
    daily_cap: int | None = None
    booked_per_day: Mapping[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ordered = sorted(self.working, key=lambda interval: interval.start)
        for before, after in itertools.pairwise(ordered):
            if after.start < before.end:
                raise ValueError(f"reviewer {self.id}: working intervals overlap")
        if self.daily_cap is not None and self.daily_cap < 0:
            raise ValueError(f"reviewer {self.id}: daily_cap must be ≥ 0")


@dataclass(frozen=True, slots=True)
class Eligible:
    """A reviewer qualified for a request, with their skill tier (1 = best)."""

    reviewer_id: str
    tier: int

    def __post_init__(self) -> None:
        if self.tier < 1:
            raise ValueError("tier must be ≥ 1")


@dataclass(frozen=True, slots=True)
class Request:
    """One pending P2P request (one or more cases of one requesting provider).

    ``arrival`` orders first-come-first-served. ``deadline`` is the latest *end* (valid-until,
    capped by the horizon); ``earliest_start`` is now + minimum notice. A start inside one of
    ``preferred`` counts as preferred. ``favour_original`` says whether the level of review
    prefers ``original_reviewer`` (pre-decision, reconsideration). ``excluded_reviewers``
    (an appeal's determining reviewer) are already absent from ``eligible``; they are
    repeated here so that the model and ``validate`` can double-check.
    """

    id: str
    arrival: int
    duration: int
    earliest_start: int
    deadline: int
    eligible: tuple[Eligible, ...]
    urgent: bool = False
    preferred: tuple[Interval, ...] = ()
    original_reviewer: str | None = None
    favour_original: bool = False
    excluded_reviewers: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.duration <= 0 or self.duration % GRID_MINUTES:
            raise ValueError(f"request {self.id}: duration must be a positive multiple of 15")
        ids = [eligible.reviewer_id for eligible in self.eligible]
        if len(ids) != len(set(ids)):
            raise ValueError(f"request {self.id}: a reviewer is listed twice as eligible")


@dataclass(frozen=True, slots=True)
class Weights:
    """Resolution of the soft criteria; their *order* is fixed by SPEC §6.

    The objective is one weighted sum whose weights are derived from the problem (see
    ``solver.scoring``) so that the number scheduled dominates everything below it across
    all requests. Below that, each level dominates the levels under it for any one request
    (urgent ≫ nearest deadline ≫ preferred window ≫ tier ≫ earlier start ≫ original reviewer
    ≫ load).

    ``start_step_minutes``: earliness is counted in these steps (60 lets the original reviewer
    win over a start 15 minutes earlier). ``deadline_step_minutes``: how finely "nearest
    deadline first" distinguishes deadlines. ``load_levels``: how many bands of current
    utilisation "balanced load" distinguishes.
    """

    start_step_minutes: int = GRID_MINUTES
    deadline_step_minutes: int = 24 * 60
    load_levels: int = 4

    def __post_init__(self) -> None:
        if self.start_step_minutes <= 0 or self.deadline_step_minutes <= 0:
            raise ValueError("steps must be positive")
        if self.load_levels < 1:
            raise ValueError("load_levels must be ≥ 1")


@dataclass(frozen=True, slots=True)
class Problem:
    """Everything one optimizer run needs; ``buffer_minutes`` is kept free after each new
    consultation before the reviewer's next new one (existing bookings come already widened
    in ``Reviewer.blocked``)."""

    reviewers: tuple[Reviewer, ...]
    requests: tuple[Request, ...]
    epoch: datetime | None = None
    buffer_minutes: int = 0
    weights: Weights = field(default_factory=Weights)

    def __post_init__(self) -> None:
        if self.buffer_minutes < 0 or self.buffer_minutes % GRID_MINUTES:
            raise ValueError("buffer_minutes must be a non-negative multiple of 15")
        reviewer_ids = [reviewer.id for reviewer in self.reviewers]
        if len(reviewer_ids) != len(set(reviewer_ids)):
            raise ValueError("reviewer ids must be unique")
        request_ids = [request.id for request in self.requests]
        if len(request_ids) != len(set(request_ids)):
            raise ValueError("request ids must be unique")
        known = set(reviewer_ids)
        for request in self.requests:
            for eligible in request.eligible:
                if eligible.reviewer_id not in known:
                    raise ValueError(
                        f"request {request.id}: unknown reviewer {eligible.reviewer_id}"
                    )

    def reviewer(self, reviewer_id: str) -> Reviewer:
        """The reviewer with this id (linear; for tests and reports, not hot paths)."""
        for reviewer in self.reviewers:
            if reviewer.id == reviewer_id:
                return reviewer
        raise KeyError(reviewer_id)

    def request(self, request_id: str) -> Request:
        """The request with this id (linear; for tests and reports, not hot paths)."""
        for request in self.requests:
            if request.id == request_id:
                return request
        raise KeyError(request_id)
