"""What a run answers: one contract for CP-SAT and both greedy baselines (SPEC §6, §7).

A run never raises for an infeasible or timed-out search: the status says what happened and
``method`` says whose assignments these are (the greedy answer stands in when CP-SAT has
nothing better in time).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    TIMED_OUT_WITHOUT_SOLUTION = "timed_out_without_solution"


class Method(StrEnum):
    """Which algorithm produced the assignments."""

    CP_SAT = "cp_sat"
    GREEDY_EDF = "greedy_edf"
    GREEDY_FCFS = "greedy_fcfs"
    #: EDF improved by ``solver.repair`` (the CP-SAT hint, and its fallback).
    REPAIRED_EDF = "repaired_edf"


class UnassignedReason(StrEnum):
    """Why a request was not placed, in the terms an operator acts on.

    ``no_qualified_reviewer``: nobody eligible (skill, licence, exclusion). ``no_free_time
    _before_deadline``: qualified reviewers exist but none has a free slot between the earliest
    start and the deadline, even ignoring the other pending requests. ``lost_to_higher
    _priority``: free slots existed, but the other requests of this run took them.
    """

    NO_QUALIFIED_REVIEWER = "no_qualified_reviewer"
    NO_FREE_TIME_BEFORE_DEADLINE = "no_free_time_before_deadline"
    LOST_TO_HIGHER_PRIORITY = "lost_to_higher_priority"


@dataclass(frozen=True, slots=True)
class Assignment:
    """``request_id`` with ``reviewer_id`` over ``[start, end)`` (minutes since the epoch)."""

    request_id: str
    reviewer_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Unassigned:
    request_id: str
    reason: UnassignedReason


@dataclass(frozen=True, slots=True)
class Timings:
    """Wall-clock seconds: building (grid, candidates, model) and searching."""

    build_seconds: float
    solve_seconds: float


@dataclass(frozen=True, slots=True)
class Result:
    """The answer of one run.

    ``objective`` is the weighted objective of ``assignments`` (same scale for every method, so
    greedy and CP-SAT compare directly); ``best_bound`` and ``gap_pct`` come from CP-SAT only
    (``None`` for greedy). ``candidates`` is the number of (request, reviewer, start)
    variables of the model; ``first_solution_seconds`` is when CP-SAT reported its first
    solution, counted from the start of the search.
    """

    status: SolveStatus
    method: Method
    assignments: tuple[Assignment, ...]
    unassigned: tuple[Unassigned, ...]
    objective: int
    best_bound: int | None
    gap_pct: float | None
    timings: Timings
    candidates: int = 0
    first_solution_seconds: float | None = None

    @property
    def scheduled(self) -> int:
        return len(self.assignments)

    def assignment_for(self, request_id: str) -> Assignment | None:
        for assignment in self.assignments:
            if assignment.request_id == request_id:
                return assignment
        return None
