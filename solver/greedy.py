"""Two baselines with the CP-SAT contract: what a booking screen produces, and a smarter rule.

- **First-come-first-served** (``fcfs``): requests in arrival order, each booking the best
  slot still free, as providers picking from a booking screen one after another do.
- **Earliest-deadline-first** (``edf``): urgent requests first, then by deadline. Its
  answer, improved by ``solver.repair``, seeds CP-SAT (hint) and stands in when CP-SAT finds
  nothing in time.

"Best slot" is the free start with the highest secondary value of ``scoring`` (preferred ≫
tier ≫ earlier ≫ original reviewer ≫ load), found lexicographically on boolean matrices
rather than by scoring every start: that keeps a request at a few tens of microseconds. Ties
go to the earliest start, then the reviewer listed first in the problem.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from solver.explain import build_result
from solver.grid import Grid, Pick, RequestSpan, ceil_div
from solver.problem import GRID_MINUTES, Problem
from solver.result import Method, Result, SolveStatus, Timings
from solver.scoring import Scoring


def fcfs_order(problem: Problem) -> list[int]:
    requests = problem.requests
    return sorted(range(len(requests)), key=lambda i: (requests[i].arrival, requests[i].id))


def edf_order(problem: Problem) -> list[int]:
    requests = problem.requests
    return sorted(
        range(len(requests)),
        key=lambda i: (
            not requests[i].urgent,
            requests[i].deadline,
            requests[i].arrival,
            requests[i].id,
        ),
    )


def place(
    grid: Grid, scoring: Scoring, order: Sequence[int], work: Grid | None = None
) -> list[Pick]:
    """Place requests one by one in ``order`` on ``work`` (default: a copy of ``grid``)."""
    work = work or grid.copy()
    picks = []
    for index in order:
        span = work.spans[index]
        best = best_start(work, scoring, span)
        if best is None:
            continue
        row, start = best
        work.take(row, start, span.cells)
        picks.append(Pick(index, row, start))
    return picks


def best_start(grid: Grid, scoring: Scoring, span: RequestSpan) -> tuple[int, int] | None:
    """The best free start for ``span`` as (reviewer row, start cell), or ``None``.

    Written for few numpy calls (their overhead, not the data, dominates): the first valid
    (preferred if any) start per reviewer, then per-reviewer vectors only.
    """
    if not span.has_window:
        return None
    valid = grid.run[span.rows, span.lo : span.hi + 1] >= span.cells
    preferred = valid & grid.preferred[span.index, span.lo : span.hi + 1]
    firsts = preferred.argmax(axis=1)
    usable = preferred[span.positions, firsts]
    if usable.any():
        valid = preferred
    else:
        firsts = valid.argmax(axis=1)
        usable = valid[span.positions, firsts]
        if not usable.any():
            return None
    if not span.single_tier:
        usable &= span.tiers == span.tiers[usable].min()
    firsts = np.where(usable, firsts, grid.cells)
    first = int(firsts.min())
    tie_rank = scoring.tie_rank[span.index]
    # Starts in the same earliness step tie on earliness: original reviewer, then load decide.
    step_end = ceil_div(
        ((GRID_MINUTES * (span.lo + first)) // scoring.step + 1) * scoring.step, GRID_MINUTES
    )
    if step_end - span.lo - first == 1:
        best = int(np.where(firsts == first, tie_rank, -1).argmax())
        return int(span.rows[best]), span.lo + first
    block = valid[:, first : step_end - span.lo] & usable[:, None]
    cols, positions = np.nonzero(block.T)
    best = int(tie_rank[positions].argmax())
    return int(span.rows[positions[best]]), span.lo + first + int(cols[best])


def run(problem: Problem, method: Method, grid: Grid | None = None) -> tuple[Result, list[Pick]]:
    """One greedy baseline as a full ``Result``, with its picks on the grid (for CP-SAT)."""
    started = time.perf_counter()
    grid = grid or Grid(problem)
    scoring = Scoring(problem, grid)
    built = time.perf_counter()
    order = fcfs_order(problem) if method is Method.GREEDY_FCFS else edf_order(problem)
    picks = place(grid, scoring, order)
    solved = time.perf_counter()
    result = build_result(
        problem,
        grid,
        scoring,
        picks,
        status=SolveStatus.FEASIBLE if problem.requests else SolveStatus.OPTIMAL,
        method=method,
        best_bound=None,
        timings=Timings(build_seconds=built - started, solve_seconds=solved - built),
    )
    return result, picks


def fcfs(problem: Problem) -> Result:
    """First-come-first-served in arrival order."""
    return run(problem, Method.GREEDY_FCFS)[0]


def edf(problem: Problem) -> Result:
    """Earliest-deadline-first, urgent requests before the others."""
    return run(problem, Method.GREEDY_EDF)[0]
