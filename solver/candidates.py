"""Which (request, reviewer, start) triples become CP-SAT variables.

Pruning decides the speed of the whole optimizer: every start of every qualified reviewer
over two weeks is millions of variables at the large size, and CP-SAT then spends its time
limit in presolve and may end with nothing. What is kept, per request:

- regular starts on the half hour, plus the first free start of every free stretch (after a
  booking, at the start of working time, at the earliest start) and of every stretch inside a
  preferred window, so off-half-hour openings are not lost;
- at most ``per_reviewer_day`` of them per reviewer and local day (the best: preferred, then
  earliest), so the candidates spread over reviewers and days instead of piling onto the first
  morning, where the requests compete;
- the ``per_request`` best of those by objective value;
- always the greedy baselines' own choices, so their solutions stay representable: the EDF
  solution is a valid hint, and CP-SAT's optimum is never below either greedy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from solver.grid import Grid, Pick, RequestSpan
from solver.scoring import Scoring


@dataclass(frozen=True, slots=True)
class Candidates:
    """Parallel arrays, one entry per candidate, grouped by request."""

    request: np.ndarray
    row: np.ndarray
    start: np.ndarray
    cells: np.ndarray
    day: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.request)


def generate(
    grid: Grid,
    scoring: Scoring,
    *,
    per_request: int,
    per_reviewer_day: int,
    keep: Iterable[Pick] = (),
) -> Candidates:
    kept: dict[int, list[Pick]] = {}
    for pick in keep:
        kept.setdefault(pick.request, []).append(pick)
    parts: list[tuple[np.ndarray, ...]] = []
    for span in grid.spans:
        if not span.has_window:
            continue
        valid = grid.valid_starts(span)
        preferred = grid.preferred_mask(span.index, span.lo, span.hi)
        shortlist = _shortlist(grid, scoring, span, valid, preferred, per_request)
        if shortlist is None:
            continue
        valid = valid[shortlist]
        mask = (valid & grid.half_hour[span.lo : span.hi + 1]) | _firsts(valid)
        if grid.problem.requests[span.index].preferred:
            mask |= _firsts(valid & preferred)
        positions, columns = np.nonzero(mask)
        positions = shortlist[positions]
        rows = span.rows[positions]
        starts = span.lo + columns
        days = grid.day[rows, starts]
        is_preferred = preferred[columns]
        chosen = _best_per_group(
            positions * len(grid.day_values) + days, is_preferred, per_reviewer_day
        )
        positions, rows, starts, days = (
            positions[chosen],
            rows[chosen],
            starts[chosen],
            days[chosen],
        )
        secondary = scoring.secondary(
            is_preferred[chosen], span.tiers[positions], starts, span.original[positions], rows
        )
        if len(secondary) > per_request:
            best = np.argsort(-secondary, kind="stable")[:per_request]
            best.sort()
            rows, starts, days, secondary = rows[best], starts[best], days[best], secondary[best]
            positions = positions[best]
        extra = []
        for p in kept.get(span.index, ()):
            if p not in extra and not np.any((rows == p.row) & (starts == p.start)):
                extra.append(p)
        if extra:
            extra_rows = np.array([p.row for p in extra], dtype=np.int64)
            extra_starts = np.array([p.start for p in extra], dtype=np.int64)
            extra_positions = np.array(
                [int(np.flatnonzero(span.rows == p.row)[0]) for p in extra], dtype=np.int64
            )
            extra_preferred = np.array(
                [grid.preferred[span.index, p.start] for p in extra], dtype=bool
            )
            rows = np.concatenate([rows, extra_rows])
            starts = np.concatenate([starts, extra_starts])
            days = np.concatenate([days, grid.day[extra_rows, extra_starts]])
            secondary = np.concatenate(
                [
                    secondary,
                    scoring.secondary(
                        extra_preferred,
                        span.tiers[extra_positions],
                        extra_starts,
                        span.original[extra_positions],
                        extra_rows,
                    ),
                ]
            )
        count = len(rows)
        parts.append(
            (
                np.full(count, span.index, dtype=np.int64),
                rows,
                starts,
                np.full(count, span.cells, dtype=np.int64),
                days.astype(np.int64),
                secondary + scoring.base[span.index],
            )
        )
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty, empty, empty, empty, empty)
    columns = [np.concatenate(column) for column in zip(*parts, strict=True)]
    return Candidates(*columns)


def _shortlist(
    grid: Grid,
    scoring: Scoring,
    span: RequestSpan,
    valid: np.ndarray,
    preferred: np.ndarray,
    count: int,
) -> np.ndarray | None:
    """The (at most ``count``) reviewers whose best start is among the ``count`` best.

    Only they can contribute to the request's ``count`` best candidates: a reviewer whose
    best start is beaten by ``count`` other reviewers' best starts has every start beaten
    that often. Expanding only them keeps the work per request small when many reviewers
    qualify (about 86 at the large size).
    """
    good = valid & preferred
    first_good = good.argmax(axis=1)
    has_good = good[span.positions, first_good]
    first_valid = valid.argmax(axis=1)
    has_valid = valid[span.positions, first_valid]
    if not has_valid.any():
        return None
    first = np.where(has_good, first_good, first_valid)
    if len(first) <= count:
        return np.flatnonzero(has_valid)
    best = scoring.secondary(has_good, span.tiers, span.lo + first, span.original, span.rows)
    best = np.where(has_valid, best, -1)
    top = np.argpartition(-best, count - 1)[:count]
    return np.sort(top[best[top] >= 0])


def _firsts(valid: np.ndarray) -> np.ndarray:
    """The first cell of every run of ``True`` along each row."""
    first = valid.copy()
    first[:, 1:] &= ~valid[:, :-1]
    return first


def _best_per_group(keys: np.ndarray, preferred: np.ndarray, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` entries per run of equal ``keys``: preferred entries
    first, then the others, each in their given (time) order."""
    count = len(keys)
    if not count:
        return np.zeros(0, dtype=np.int64)
    position = np.arange(count)
    new_group = np.empty(count, dtype=bool)
    new_group[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new_group[1:])
    group_start = np.maximum.accumulate(np.where(new_group, position, 0))
    preferred_seen = np.cumsum(preferred)  # preferred entries up to and including this one
    preferred_before = preferred_seen - preferred - (preferred_seen - preferred)[group_start]
    others_before = position - group_start - preferred_before
    # Preferred entries of the whole group: counted at its last entry.
    group_end = np.empty(count, dtype=np.int64)
    group_end[-1] = count - 1
    group_end[:-1] = np.where(new_group[1:], position[:-1], count)
    group_end = np.minimum.accumulate(group_end[::-1])[::-1]
    preferred_total = preferred_seen[group_end] - (preferred_seen - preferred)[group_start]
    keep = np.where(
        preferred,
        preferred_before < limit,
        others_before < limit - np.minimum(limit, preferred_total),
    )
    return np.flatnonzero(keep)
