"""CP-SAT against the greedy baselines on a generated instance, as one JSON-ready dict.

``run("M", seed=1)`` generates the instance (not timed), runs the full pipeline once
(grid, both greedy baselines, the repaired hint, candidates, model, search) and validates
every answer with ``solver.validate``. Times are wall-clock seconds on this machine:

- ``build_seconds``: grid, greedy baselines, repair, candidates and model, before the search;
- ``solve_seconds``: the search (CP-SAT stops at the time limit, when optimal or once within
  the gap limit; 0 when the heuristic answer was already within it and no search ran);
- ``greedy_seconds``: earliest-deadline-first alone (placing every request);
- ``time_to_first_solution`` / ``time_to_gap_1pct``: from the start of the build to CP-SAT's
  first solution / to the first moment its best solution was within 1 % of the best bound
  (``None`` when never); ``time_to_hint``: until the repaired EDF answer (valid, at least as
  good as either greedy) existed, which is what a run cut short would answer;
- ``peak_rss_mb``: the process's peak resident memory (``getrusage``), generation included.

``objective.bound`` is the best proven bound: CP-SAT's, or every request at its best candidate
when that is lower. ``scheduled.bound`` is the most requests any solution could place
according to it.
"""

from __future__ import annotations

import os
import platform
import resource
from typing import Any

from solver.generate import SIZES, generate
from solver.model import Run, SolverSettings
from solver.model import run as run_model
from solver.result import Result
from solver.validate import violations

#: Default CP-SAT time limits per size (seconds): the targets' horizons.
TIME_LIMITS = {"S": 10.0, "M": 10.0, "L": 30.0}


def run(
    size: str | tuple[int, int],
    seed: int,
    workers: int = 2,
    time_limit: float | None = None,
    settings: SolverSettings | None = None,
) -> dict[str, Any]:
    """Benchmark one instance; ``settings`` overrides everything but workers and time limit."""
    label = size if isinstance(size, str) else f"{size[0]}x{size[1]}"
    limit = time_limit if time_limit is not None else TIME_LIMITS.get(label, 10.0)
    base = settings or SolverSettings()
    settings = SolverSettings(
        **{
            **{name: getattr(base, name) for name in base.__slots__},
            "time_limit_seconds": limit,
            "num_workers": workers,
        }
    )
    problem = generate(size, seed)
    outcome = run_model(problem, settings)
    result = outcome.result
    validated = all(
        not violations(problem, answer)
        for answer in (result, outcome.edf, outcome.fcfs, outcome.repaired)
    )
    build = result.timings.build_seconds
    first = result.first_solution_seconds
    return {
        "size": label,
        "seed": seed,
        "requests": len(problem.requests),
        "reviewers": len(problem.reviewers),
        "candidates": result.candidates,
        "workers": workers,
        "time_limit_seconds": limit,
        "build_seconds": round(build, 3),
        "solve_seconds": round(result.timings.solve_seconds, 3),
        "greedy_seconds": round(outcome.greedy_seconds, 4),
        "repair_seconds": round(outcome.repair_seconds, 4),
        "time_to_hint": round(outcome.hint_seconds, 3),
        "time_to_first_solution": None if first is None else round(build + first, 3),
        "time_to_gap_1pct": _time_to_gap(outcome, 1.0),
        "status": result.status.value,
        "method": result.method.value,
        "scheduled": {
            "cp_sat": result.scheduled,
            "greedy_edf": outcome.edf.scheduled,
            "greedy_fcfs": outcome.fcfs.scheduled,
            "repaired_edf": outcome.repaired.scheduled,
            "bound": None
            if result.best_bound is None or not outcome.w_count
            else result.best_bound // outcome.w_count,
        },
        "objective": {
            "cp_sat": result.objective,
            "greedy_edf": outcome.edf.objective,
            "greedy_fcfs": outcome.fcfs.objective,
            "repaired_edf": outcome.repaired.objective,
            "bound": result.best_bound,
        },
        "gap_pct": None if result.gap_pct is None else round(result.gap_pct, 4),
        "unassigned": _reasons(result),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "validated": validated,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
    }


def _time_to_gap(outcome: Run, percent: float) -> float | None:
    """Seconds from the start of the build until solution and bound were within ``percent``.

    The per-request bound is known before the search, so it counts from the first solution;
    a run that needed no search was there when its build ended.
    """
    result = outcome.result
    if not outcome.progress and result.gap_pct is not None and result.gap_pct <= percent:
        return round(result.timings.build_seconds, 3)
    best: float | None = None
    bound = float(outcome.per_request_bound)
    for event in outcome.progress:
        if event.objective is not None:
            best = event.objective if best is None else max(best, event.objective)
        bound = min(bound, event.bound)
        if best is not None and bound - best <= percent / 100 * abs(best):
            return round(outcome.result.timings.build_seconds + event.seconds, 3)
    return None


def _reasons(result: Result) -> dict[str, int]:
    counts: dict[str, int] = {}
    for unassigned in result.unassigned:
        counts[unassigned.reason.value] = counts.get(unassigned.reason.value, 0) + 1
    return counts


__all__ = ["SIZES", "TIME_LIMITS", "run"]
