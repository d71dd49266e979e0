"""The objective, one integer per (request, reviewer, start), shared by every method.

SPEC §6 orders the criteria: number scheduled (urgent and nearest deadline first) ≫ start
inside the requester's preferred windows ≫ better tier ≫ earlier start ≫ original reviewer
where the level of review favours them ≫ balanced load. CP-SAT maximises the sum of these
values; the greedy baselines take, for each request, the free start with the highest value.
Because every method scores with this one function, their objectives compare directly.

A placed request is worth ``base[r] + secondary``:

- ``base[r] = w_count + urgent * w_urgent + nearness * w_deadline``, with ``w_count`` larger
  than the urgent bonuses, deadline bonuses and secondary values of all requests together,
  so no gain below can ever pay for one request fewer (CP-SAT never schedules fewer than a
  greedy whose solution it can represent).
- Urgency and nearness dominate everything below them *for one request* (an urgent request
  beats a standard one competing for the same slot), but not summed over all requests: a
  globally dominant urgent weight made proving optimality on the small benchmark several
  times slower (up to 10 s instead of about 1 s). So, in principle, an urgent request can
  lose its slot to a standard one when that lets many other requests start earlier or inside
  their windows; the number scheduled is never traded.
- ``secondary`` is a mixed-radix number, most significant digit first: preferred (0/1),
  ``T - tier``, earliness (steps before the end of the horizon), original reviewer (0/1),
  load band. One request's better digit outweighs all its lower digits; across requests
  the levels trade off as a sum, since exact lexicographic weights for every level over
  thousands of requests would not fit in 64 bits.

Load is static: the reviewer's booked share of their capacity *before* this run, in
``load_levels`` bands, which keeps the objective linear and the model small. It only breaks
ties between equally early starts, where the no-overlap constraints already spread
consultations across reviewers.
"""

from __future__ import annotations

import numpy as np

from solver.grid import UNCAPPED, Grid, ceil_div
from solver.problem import GRID_MINUTES, Problem


class Scoring:
    """Objective weights derived from one problem and its grid."""

    def __init__(self, problem: Problem, grid: Grid) -> None:
        weights = problem.weights
        self.origin = grid.origin
        span_minutes = max(GRID_MINUTES, grid.cells * GRID_MINUTES)
        self.step = weights.start_step_minutes
        self.horizon_steps = ceil_div(span_minutes, self.step)
        self.tiers = max(
            (e.tier for request in problem.requests for e in request.eligible), default=1
        )
        self.load_levels = weights.load_levels
        self.max_secondary = self.load_levels * 2 * (self.horizon_steps + 1) * self.tiers * 2 - 1
        deadline_steps = ceil_div(span_minutes, weights.deadline_step_minutes)
        self.w_deadline = self.max_secondary + 1
        self.w_urgent = (deadline_steps + 1) * self.w_deadline
        count = len(problem.requests)
        self.w_count = count * 2 * self.w_urgent
        base = []
        for request in problem.requests:
            ahead = max(0, (request.deadline - self.origin) // weights.deadline_step_minutes)
            nearness = deadline_steps - min(deadline_steps, ahead)
            base.append(
                self.w_count + (self.w_urgent if request.urgent else 0) + nearness * self.w_deadline
            )
        if self.w_count * (count + 1) >= 2**62:
            raise ValueError("objective too large for 64 bits: use coarser weight steps")
        self.base = np.array(base, dtype=np.int64)
        self.load = _load_bands(problem, grid, self.load_levels)
        #: Per request, per eligible reviewer: the original-reviewer and load digits, which
        #: break ties between equally early starts.
        self.tie_rank = [
            span.original.astype(np.int64) * self.load_levels + self.load[span.rows]
            for span in grid.spans
        ]

    def secondary(
        self,
        preferred: np.ndarray,
        tiers: np.ndarray,
        start_cells: np.ndarray,
        original: np.ndarray,
        rows: np.ndarray,
    ) -> np.ndarray:
        """The secondary value of starts (vectorised; all arguments align)."""
        minutes = self.origin + GRID_MINUTES * start_cells.astype(np.int64)
        early = self.horizon_steps - (minutes - self.origin) // self.step
        digits = preferred.astype(np.int64) * self.tiers + (self.tiers - tiers)
        digits = digits * (self.horizon_steps + 1) + early
        digits = digits * 2 + original.astype(np.int64)
        return digits * self.load_levels + self.load[rows]

    def value(self, request_index: int, secondary: np.ndarray | int) -> np.ndarray | int:
        return self.base[request_index] + secondary


def _load_bands(problem: Problem, grid: Grid, levels: int) -> np.ndarray:
    """Per reviewer: ``levels - 1`` for an idle reviewer down to 0 for a fully booked one."""
    bands = np.zeros(len(problem.reviewers), dtype=np.int64)
    if not grid.cells:
        return bands + (levels - 1)
    for row, reviewer in enumerate(problem.reviewers):
        days = np.unique(grid.day[row][grid.day[row] >= 0])
        if not len(days):
            bands[row] = levels - 1
            continue
        booked = sum(reviewer.booked_per_day.get(grid.day_values[d], 0) for d in days)
        if reviewer.daily_cap is not None and reviewer.daily_cap < UNCAPPED:
            capacity = reviewer.daily_cap * len(days)
        else:
            capacity = int(np.count_nonzero(grid.day[row] >= 0))
        share = booked / capacity if capacity else 1.0
        bands[row] = levels - 1 - min(levels - 1, int(share * levels))
    return bands
