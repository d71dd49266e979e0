"""Turn picks on the grid into a ``Result``: assignments in minutes, the objective, and why
each request left out could not be placed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from solver.grid import Grid, Pick
from solver.problem import Problem
from solver.result import (
    Assignment,
    Method,
    Result,
    SolveStatus,
    Timings,
    Unassigned,
    UnassignedReason,
)
from solver.scoring import Scoring


def pick_value(grid: Grid, scoring: Scoring, request: int, row: int, start: int) -> int:
    """The objective contribution of placing ``request`` with reviewer ``row`` at ``start``."""
    span = grid.spans[request]
    position = int(np.flatnonzero(span.rows == row)[0])
    preferred = grid.preferred[request, start : start + 1]
    secondary = scoring.secondary(
        preferred,
        span.tiers[position : position + 1],
        np.array([start]),
        span.original[position : position + 1],
        np.array([row]),
    )
    return int(scoring.base[request] + secondary[0])


def objective_of(grid: Grid, scoring: Scoring, picks: Iterable[Pick]) -> int:
    return sum(pick_value(grid, scoring, p.request, p.row, p.start) for p in picks)


def reason(grid: Grid, request: int) -> UnassignedReason:
    """Why ``request`` is unplaced, judged on the grid before this run's placements."""
    span = grid.spans[request]
    if not len(span.rows):
        return UnassignedReason.NO_QUALIFIED_REVIEWER
    if span.has_window and grid.valid_starts(span).any():
        return UnassignedReason.LOST_TO_HIGHER_PRIORITY
    return UnassignedReason.NO_FREE_TIME_BEFORE_DEADLINE


def build_result(
    problem: Problem,
    grid: Grid,
    scoring: Scoring,
    picks: Sequence[Pick],
    *,
    status: SolveStatus,
    method: Method,
    best_bound: int | None,
    timings: Timings,
    candidates: int = 0,
    first_solution_seconds: float | None = None,
) -> Result:
    """``grid`` must be the untouched grid of ``problem`` (reasons are judged on it)."""
    reviewers = problem.reviewers
    requests = problem.requests
    assignments = sorted(
        (
            Assignment(
                request_id=requests[p.request].id,
                reviewer_id=reviewers[p.row].id,
                start=grid.minute(p.start),
                end=grid.minute(p.start) + requests[p.request].duration,
            )
            for p in picks
        ),
        key=lambda a: (a.start, a.reviewer_id, a.request_id),
    )
    placed = {p.request for p in picks}
    unassigned = tuple(
        Unassigned(request.id, reason(grid, index))
        for index, request in enumerate(requests)
        if index not in placed
    )
    objective = objective_of(grid, scoring, picks)
    gap = None
    if best_bound is not None:
        best_bound = max(best_bound, objective)
        gap = 100.0 * (best_bound - objective) / max(1, abs(objective))
    return Result(
        status=status,
        method=method,
        assignments=tuple(assignments),
        unassigned=unassigned,
        objective=objective,
        best_bound=best_bound,
        gap_pct=gap,
        timings=timings,
        candidates=candidates,
        first_solution_seconds=first_solution_seconds,
    )
