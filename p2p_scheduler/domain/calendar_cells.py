"""A reviewer's working hours cut into 15-minute cells, each with what holds it.

The FHIR interface (SPEC §13) shows a reviewer's time as Slots; they are these cells. A cell
is blocked by exactly what blocks it for availability and booking (``reviewer_calendars``):
a scheduled consultation widened by the buffer on both sides, a live hold (widened the same
way), time off. What it is blocked by is kept apart here, because a Slot says it (``busy``
for a booking, ``busy-tentative`` for a hold).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from p2p_scheduler.domain.availability import GRID_SECONDS, Interval, working_stretches
from p2p_scheduler.domain.model import ReviewerProfile

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CellState(StrEnum):
    """What a cell of a reviewer's hours is taken by; the first that applies wins."""

    BOOKED = "booked"
    HELD = "held"
    TIME_OFF = "time_off"
    FREE = "free"


@dataclass(frozen=True, slots=True)
class Cell:
    start: datetime
    end: datetime
    state: CellState


def _seconds(instant: datetime) -> int:
    return int((instant - _EPOCH).total_seconds())


def _overlaps(spans: Sequence[tuple[int, int]], lo: int, hi: int) -> bool:
    return any(start < hi and end > lo for start, end in spans)


def cells_of(
    profile: ReviewerProfile,
    window: Interval,
    *,
    booked: Sequence[tuple[int, int]],
    held: Sequence[tuple[int, int]],
    time_off: Sequence[Interval],
) -> list[Cell]:
    """The cells of the reviewer's working hours starting inside ``window``, earliest first.

    ``booked`` and ``held`` are (start, end) UTC epoch seconds already widened by the buffer;
    ``time_off`` intervals as stored."""
    away = [(_seconds(span.start), _seconds(span.end)) for span in time_off]
    grid = timedelta(seconds=GRID_SECONDS)
    # a cell starting just before the window's end reaches past it: read one cell further
    stretches = working_stretches(profile, window.start, window.end + grid)
    last_start = _seconds(window.end)
    cells: list[Cell] = []
    for _day, lo, hi in stretches:
        start = -(-lo // GRID_SECONDS) * GRID_SECONDS
        while start + GRID_SECONDS <= hi and start < last_start:
            end = start + GRID_SECONDS
            if _overlaps(booked, start, end):
                state = CellState.BOOKED
            elif _overlaps(held, start, end):
                state = CellState.HELD
            elif _overlaps(away, start, end):
                state = CellState.TIME_OFF
            else:
                state = CellState.FREE
            cells.append(
                Cell(_EPOCH + timedelta(seconds=start), _EPOCH + timedelta(seconds=end), state)
            )
            start = end
    cells.sort(key=lambda cell: cell.start)
    return cells
