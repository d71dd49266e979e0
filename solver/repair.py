"""Place more requests than the greedy did by moving one placed request out of the way.

CP-SAT's neighbourhood search finds such moves slowly on the larger instances: one more
request in usually means a chain "r takes b's slot, b moves elsewhere", which a random
neighbourhood rarely frees at once. This pass tries exactly those moves, in the greedy's
priority order, for every request the greedy left out: for each of the request's free-or-
blocked starts (best first), if a single placed request ``b`` blocks it, ``b`` is lifted, the
request placed, and ``b`` re-placed at its best remaining start; otherwise everything is
put back. The result is a better hint for CP-SAT (and a better fallback), never a worse one:
the number placed only grows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from solver.grid import Grid, Pick, RequestSpan, run_lengths
from solver.scoring import Scoring

#: How many starts per left-out request are tried (best first).
OPTIONS_PER_REQUEST = 200

BestStart = Callable[[Grid, Scoring, RequestSpan], "tuple[int, int] | None"]


class _State:
    """The greedy's working grid plus who occupies which cells, so placements can be undone."""

    def __init__(self, static: Grid, work: Grid, picks: Sequence[Pick]) -> None:
        self.static = static
        self.work = work
        self.owner = np.full(static.day.shape, -1, dtype=np.int32)
        self.placed: dict[int, Pick] = {}
        for pick in picks:
            self.owner[pick.row, pick.start : pick.start + static.spans[pick.request].cells] = (
                pick.request
            )
            self.placed[pick.request] = pick

    def place(self, pick: Pick) -> None:
        cells = self.static.spans[pick.request].cells
        self.work.take(pick.row, pick.start, cells)
        self.owner[pick.row, pick.start : pick.start + cells] = pick.request
        self.placed[pick.request] = pick

    def lift(self, request: int) -> Pick:
        pick = self.placed.pop(request)
        cells = self.static.spans[request].cells
        self.owner[pick.row, pick.start : pick.start + cells] = -1
        day = int(self.work.day[pick.row, pick.start])
        self.work.remaining[pick.row, day] += 1
        self._refresh(pick.row, day)
        return pick

    def _refresh(self, row: int, day: int) -> None:
        """Recompute the runs of one reviewer-day from the static grid and the occupants."""
        columns = np.flatnonzero(self.work.day[row] == day)
        lo, hi = int(columns[0]), int(columns[-1]) + 1
        if self.work.remaining[row, day] <= 0:
            self.work.run[row, lo:hi] = 0
            return
        buffer = self.static.buffer_cells
        a, b = max(0, lo - buffer), min(self.static.cells, hi + buffer)
        occupied = self.owner[row, a:b] >= 0
        blocked = occupied.copy()
        for shift in range(1, buffer + 1):  # the buffer keeps cells around each one unusable
            blocked[shift:] |= occupied[:-shift]
            blocked[:-shift] |= occupied[shift:]
        free = self.static.free[row, lo:hi] & ~blocked[lo - a : lo - a + hi - lo]
        self.work.run[row, lo:hi] = run_lengths(free[None, :], self.work.day[row, lo:hi][None, :])[
            0
        ]

    def on_day(self, row: int, day: int) -> list[int]:
        return [
            request
            for request, pick in self.placed.items()
            if pick.row == row and self.work.day[row, pick.start] == day
        ]

    def blockers(self, row: int, start: int, cells: int) -> np.ndarray:
        buffer = self.static.buffer_cells
        seen = self.owner[row, max(0, start - buffer) : start + cells + buffer]
        return np.unique(seen[seen >= 0])


def improve(
    static: Grid,
    work: Grid,
    scoring: Scoring,
    picks: Sequence[Pick],
    order: Sequence[int],
    budget_seconds: float,
    best_start: BestStart,
) -> list[Pick]:
    """Better picks than ``picks`` (placed on ``work``, a copy of ``static``) within the budget.

    ``best_start(grid, scoring, span)`` is the greedy's slot choice, used to re-place a lifted
    request. Passes repeat while they place more and time remains.
    """
    deadline = time.perf_counter() + budget_seconds
    state = _State(static, work, picks)
    while True:
        before = len(state.placed)
        for request in order:
            if time.perf_counter() > deadline:
                break
            if request not in state.placed:
                _insert(state, scoring, request, best_start)
        if len(state.placed) == before or time.perf_counter() > deadline:
            break
    return sorted(state.placed.values(), key=lambda pick: pick.request)


def _insert(state: _State, scoring: Scoring, request: int, best_start: BestStart) -> bool:
    static, work = state.static, state.work
    span = static.spans[request]
    if not span.has_window:
        return False
    positions, columns = np.nonzero(static.valid_starts(span))
    if not len(positions):
        return False
    starts = span.lo + columns
    rows = span.rows[positions]
    secondary = scoring.secondary(
        static.preferred[request, starts],
        span.tiers[positions],
        starts,
        span.original[positions],
        rows,
    )
    for option in np.argsort(-secondary, kind="stable")[:OPTIONS_PER_REQUEST].tolist():
        row, start = int(rows[option]), int(starts[option])
        day = int(work.day[row, start])
        blockers = state.blockers(row, start, span.cells).tolist()
        if len(blockers) > 1:
            continue
        if not blockers:
            if work.remaining[row, day] > 0:
                if work.run[row, start] >= span.cells:
                    state.place(Pick(request, row, start))
                    return True
                continue
            # The day is at its cap: one of that day's consultations must move.
            blockers = state.on_day(row, day)
        for other in blockers:
            if _swap(state, scoring, request, Pick(request, row, start), other, best_start):
                return True
    return False


def _swap(
    state: _State, scoring: Scoring, request: int, pick: Pick, other: int, best_start: BestStart
) -> bool:
    """Lift ``other``, place ``pick``, re-place ``other``; undo everything if that fails."""
    work = state.work
    lifted = state.lift(other)
    day = int(work.day[pick.row, pick.start])
    cells = state.static.spans[request].cells
    if work.remaining[pick.row, day] > 0 and work.run[pick.row, pick.start] >= cells:
        state.place(pick)
        moved = best_start(work, scoring, state.static.spans[other])
        if moved is not None:
            state.place(Pick(other, moved[0], moved[1]))
            return True
        state.lift(request)
    state.place(lifted)
    return False
