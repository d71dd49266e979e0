"""Pure optimisation over plain data (OR-Tools CP-SAT): assign pending P2P requests.

This package may import neither ``p2p_scheduler`` nor ``api`` (checked by import-linter):
the bridge in ``p2p_scheduler`` turns stored requests and reviewers into a ``Problem`` (integer
minutes, time zones already resolved) and turns the ``Result`` back into bookings.

Entry points::

    result = solve(problem, SolverSettings(time_limit_seconds=10, num_workers=2))
    check(problem, result)          # raises InvalidResult on any broken hard constraint
    fcfs(problem), edf(problem)     # the greedy baselines, same Result contract
    generate("M", seed=1)           # a seeded synthetic instance
    benchmark.run("M", seed=1)      # CP-SAT against the baselines, as a JSON-ready dict
"""

from solver.generate import generate
from solver.greedy import edf, fcfs
from solver.model import SolverSettings, solve
from solver.problem import (
    GRID_MINUTES,
    Eligible,
    Interval,
    Problem,
    Request,
    Reviewer,
    Weights,
    WorkingInterval,
)
from solver.result import (
    Assignment,
    Method,
    Result,
    SolveStatus,
    Timings,
    Unassigned,
    UnassignedReason,
)
from solver.validate import InvalidResult, Violation, ViolationKind, check, violations

__all__ = [
    "GRID_MINUTES",
    "Assignment",
    "Eligible",
    "Interval",
    "InvalidResult",
    "Method",
    "Problem",
    "Request",
    "Result",
    "Reviewer",
    "SolveStatus",
    "SolverSettings",
    "Timings",
    "Unassigned",
    "UnassignedReason",
    "Violation",
    "ViolationKind",
    "Weights",
    "WorkingInterval",
    "check",
    "edf",
    "fcfs",
    "generate",
    "solve",
    "violations",
]
