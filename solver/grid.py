"""Free time of every reviewer on the 15-minute grid, as numpy arrays.

Candidate generation and the greedy baselines ask one question millions of times: "may a
consultation of k quarters start at cell c for reviewer j?". Answering it from interval lists
in Python is what made the first version slow; here it is one comparison, ``run[j, c] >= k``,
where ``run[j, c]`` counts the free cells of the same reviewer-local day from ``c`` on
(working, not blocked, the day still under its cap). Questions over many reviewers and starts
at once are slices of one matrix.

Cell ``c`` covers minutes ``[origin + 15 c, origin + 15 c + 15)``; the grid spans the earliest
``earliest_start`` to the latest ``deadline`` of the problem's requests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.problem import GRID_MINUTES, Problem, Request

#: Remaining daily capacity standing for "no cap".
UNCAPPED = 1 << 30
_COUNTDOWN = np.arange(127, 0, -1, dtype=np.int8)


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True, slots=True)
class Pick:
    """A request placed on the grid: request index, reviewer row, start cell."""

    request: int
    row: int
    start: int


@dataclass(frozen=True, slots=True)
class RequestSpan:
    """A request seen on the grid: who may take it and which start cells are allowed.

    ``rows`` are the eligible reviewers' grid rows (excluded reviewers removed), ``tiers`` and
    ``original`` (favoured original reviewer) align with them. Starts run from ``lo`` to
    ``hi`` inclusive; ``hi < lo`` means no start fits before the deadline.
    """

    index: int
    rows: np.ndarray
    tiers: np.ndarray
    original: np.ndarray
    cells: int
    lo: int
    hi: int
    single_tier: bool
    positions: np.ndarray

    @property
    def has_window(self) -> bool:
        return self.hi >= self.lo and len(self.rows) > 0


class Grid:
    """The problem's reviewers on the 15-minute grid.

    ``day[j, c]`` is the compact index of the reviewer-local day cell ``c`` works on (-1 when
    not working), ``free`` and ``run`` as described above, ``remaining[j, d]`` the cap left
    on compact day ``d``. ``copy()`` gives an independent grid that the greedy baselines
    consume as they place requests.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        requests = problem.requests
        if requests:
            self.origin = (min(r.earliest_start for r in requests) // GRID_MINUTES) * GRID_MINUTES
            end = max(r.deadline for r in requests)
            self.cells = max(0, (end - self.origin) // GRID_MINUTES)
        else:
            self.origin, self.cells = 0, 0
        self.buffer_cells = problem.buffer_minutes // GRID_MINUTES
        self.row_of = {reviewer.id: row for row, reviewer in enumerate(problem.reviewers)}
        day_values = sorted({w.day for r in problem.reviewers for w in r.working})
        self.day_index = {value: index for index, value in enumerate(day_values)}
        self.day_values = day_values
        shape = (len(problem.reviewers), self.cells)
        self.day = np.full(shape, -1, dtype=np.int32)
        self.remaining = np.full((len(problem.reviewers), max(1, len(day_values))), UNCAPPED)
        self._fill()
        self.run = run_lengths(self.free, self.day)
        minutes = self.origin + GRID_MINUTES * np.arange(self.cells, dtype=np.int64)
        #: Start cells on the half hour: the regular candidate starts of the CP-SAT model.
        self.half_hour = minutes % 30 == 0
        self.spans = [self._span(index, request) for index, request in enumerate(requests)]
        self.preferred = self._preferred()

    def _fill(self) -> None:
        origin, cells = self.origin, self.cells
        blocked = np.zeros(self.day.shape, dtype=bool)
        for row, reviewer in enumerate(self.problem.reviewers):
            day_row = self.day[row]
            for working in reviewer.working:
                a = max(0, ceil_div(working.start - origin, GRID_MINUTES))
                b = min(cells, (working.end - origin) // GRID_MINUTES)
                if a < b:
                    day_row[a:b] = self.day_index[working.day]
            for interval in reviewer.blocked:
                a = max(0, (interval.start - origin) // GRID_MINUTES)
                b = min(cells, ceil_div(interval.end - origin, GRID_MINUTES))
                if a < b:
                    blocked[row, a:b] = True
            if reviewer.daily_cap is not None:
                for value, index in self.day_index.items():
                    booked = reviewer.booked_per_day.get(value, 0)
                    self.remaining[row, index] = max(0, reviewer.daily_cap - booked)
        self.free = (self.day >= 0) & ~blocked
        if self.cells:
            cap_left = np.take_along_axis(self.remaining, np.maximum(self.day, 0), axis=1)
            self.free &= cap_left > 0

    def _span(self, index: int, request: Request) -> RequestSpan:
        excluded = request.excluded_reviewers
        chosen = request.eligible
        if excluded:
            chosen = tuple(e for e in chosen if e.reviewer_id not in excluded)
        row_of = self.row_of
        pairs = np.array([(row_of[e.reviewer_id], e.tier) for e in chosen], dtype=np.int64)
        pairs = pairs.reshape(len(chosen), 2)
        rows, tiers = pairs[:, 0].copy(), pairs[:, 1].copy()
        original_row = row_of.get(request.original_reviewer or "", -1)
        if request.favour_original and original_row >= 0:
            original = rows == original_row
        else:
            original = np.zeros(len(chosen), dtype=bool)
        cells = request.duration // GRID_MINUTES
        lo = max(0, ceil_div(request.earliest_start - self.origin, GRID_MINUTES))
        last_end = min(self.cells, (request.deadline - self.origin) // GRID_MINUTES)
        single_tier = len(tiers) == 0 or bool(tiers.min() == tiers.max())
        positions = np.arange(len(rows))
        return RequestSpan(
            index, rows, tiers, original, cells, lo, last_end - cells, single_tier, positions
        )

    def minute(self, cell: int) -> int:
        return self.origin + GRID_MINUTES * cell

    def _preferred(self) -> np.ndarray:
        """``[request, cell]``: does a start at the cell lie in a preferred window?

        Built for all requests at once: +1 at each window's first start cell, -1 after its
        last, and a running sum along the row.
        """
        requests = self.problem.requests
        counts = [len(request.preferred) for request in requests]
        total = sum(counts)
        starts = np.fromiter((w.start for r in requests for w in r.preferred), np.int64, total)
        ends = np.fromiter((w.end for r in requests for w in r.preferred), np.int64, total)
        owners = np.repeat(np.arange(len(requests)), counts)
        # First start cell at or after the window's start; first cell at or after its end.
        firsts = np.clip(-((self.origin - starts) // GRID_MINUTES), 0, self.cells)
        lasts = np.clip(-((self.origin - ends) // GRID_MINUTES), 0, self.cells)
        keep = firsts < lasts
        edges = np.zeros((len(requests), self.cells + 1), dtype=np.int32)
        np.add.at(edges, (owners[keep], firsts[keep]), 1)
        np.add.at(edges, (owners[keep], lasts[keep]), -1)
        return np.cumsum(edges[:, :-1], axis=1) > 0

    def preferred_mask(self, request_index: int, lo: int, hi: int) -> np.ndarray:
        """Start cells ``lo..hi`` whose start minute lies in one of the preferred windows."""
        return self.preferred[request_index, lo : hi + 1]

    def valid_starts(self, span: RequestSpan) -> np.ndarray:
        """``[len(rows), hi - lo + 1]``: may the request start there with that reviewer?"""
        if not span.has_window:
            return np.zeros((len(span.rows), 0), dtype=bool)
        return self.run[span.rows, span.lo : span.hi + 1] >= span.cells

    def copy(self) -> Grid:
        """An independent grid sharing the static parts (greedy consumes ``run``)."""
        clone = object.__new__(Grid)
        for name in (
            "preferred",
            "problem",
            "origin",
            "cells",
            "buffer_cells",
            "row_of",
            "day_index",
            "day_values",
            "day",
            "free",
            "half_hour",
            "spans",
        ):
            setattr(clone, name, getattr(self, name))
        clone.run = self.run.copy()
        clone.remaining = self.remaining.copy()
        return clone

    def take(self, row: int, start: int, cells: int) -> None:
        """Occupy ``cells`` from ``start`` for reviewer ``row`` (plus the buffer around it) and
        count it against that day's cap. Only ``run`` and ``remaining`` change (``free`` stays
        the state before the run, which the explanations of unassigned requests need)."""
        run = self.run[row]
        first = max(0, start - self.buffer_cells)
        run[first : start + cells + self.buffer_cells] = 0
        # Runs that reached into the taken cells now end where they begin. Run lengths are
        # capped at 127, so no cell further back can reach them.
        before = run[max(0, first - 127) : first]
        np.minimum(before, _COUNTDOWN[127 - len(before) :], out=before)
        remaining = self.remaining[row]
        day = self.day[row, start]
        remaining[day] -= 1
        if remaining[day] <= 0:
            run[self.day[row] == day] = 0


def run_lengths(free: np.ndarray, day: np.ndarray) -> np.ndarray:
    """For each cell, how many free cells of the same day follow it (itself included).

    Vectorised over the whole matrix: a run ends where the next cell is not free, belongs to
    another day, or the row ends; ``run = next_end - c + 1`` on free cells, 0 elsewhere.
    """
    rows, cells = free.shape
    if cells == 0:
        return np.zeros(free.shape, dtype=np.int8)
    ends = np.ones(free.shape, dtype=bool)
    ends[:, :-1] = ~free[:, 1:] | (day[:, 1:] != day[:, :-1])
    index = np.arange(rows * cells, dtype=np.int64)
    next_end = np.where(ends.ravel(), index, rows * cells)
    next_end = np.minimum.accumulate(next_end[::-1])[::-1]
    run = np.where(free.ravel(), next_end - index + 1, 0)
    # A run never leaves its local day (at most 25 hours = 100 cells), so int8 holds it; the
    # small type keeps the slices the greedy reads per request small. (A request longer than
    # 127 quarters would never fit: not a consultation.)
    return np.minimum(run, 127).reshape(rows, cells).astype(np.int8)
