"""CP-SAT over the pruned candidates: variables, constraints, objective, extraction (SPEC §6).

One boolean ``x[request,reviewer,start]`` per candidate (see ``candidates``). Constraints:

- each request at most once (``AtMostOne`` per request);
- no overlap per reviewer: one ``AtMostOne`` per maximal set of candidates that share a
  15-minute cell of the reviewer (a consultation occupies its cells plus the buffer). Existing
  bookings need no constraint: candidates never touch them. Cell cliques solved faster and
  with half the memory of optional intervals + ``NoOverlap`` in the probe of issue 6;
- daily caps: one sum per reviewer-local day, only where more requests have candidates that
  day than the cap has room for.

The objective maximises ``scoring``'s values. The pipeline of ``run``: grid, earliest-
deadline-first and first-come-first-served greedy, the repair of EDF (``solver.repair``),
candidates (always including all three heuristic answers' picks, so each is a solution of the
model and the bound holds for it), model with the repaired answer as a complete hint,
search. The best heuristic answer stands in when CP-SAT has no solution in time or a worse
one, so a run never places fewer requests than either baseline.

Stopping early. The search ends once its answer is within ``relative_gap_limit`` (0.1 %) of
the best bound: CP-SAT's ``relative_gap_limit`` against its own bound, and before the model is
even built when the best heuristic answer is already that close to the per-request bound
(every request at its best candidate), which CP-SAT's LP only reaches after solving the whole
relaxation (at the large size, long after the time limit); handing CP-SAT that bound as an
objective domain instead slowed its search on the small and medium sizes. The gap is relative
to the objective, whose count term dominates: one request is worth more than every lower
criterion of all requests together, so 0.1 % means within about one request in a thousand of
the most that could be placed. The objective is integral and CP-SAT only negates it (scaling
factor -1, no offset), so its relative gap is this module's ``gap_pct`` / 100 and no absolute
limit is needed: CP-SAT's default one (1e-4) still means "proved optimal".

Determinism: with ``deterministic`` (default) the workers interleave in fixed batches
(``interleave_search``), so a fixed seed and worker count give the same assignment whenever
the search ends on its own (optimal or within the gap limit) or on ``max_deterministic_time``;
a wall-clock time limit that cuts the search short can end it at a different point on a busier
machine.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from solver import greedy, repair
from solver.candidates import Candidates, generate
from solver.explain import build_result
from solver.grid import Grid, Pick
from solver.problem import Problem
from solver.result import Method, Result, SolveStatus, Timings
from solver.scoring import Scoring


@dataclass(frozen=True, slots=True)
class SolverSettings:
    """How hard and how reproducibly to search.

    ``candidates_per_request`` and ``candidates_per_reviewer_day`` bound the model (see
    ``candidates``). ``presolve`` is ``"full"``, ``"light"`` (one iteration, no probing, no
    symmetry) or ``"off"``; ``None`` chooses by model size: CP-SAT only uses the hint after
    presolve, and a full presolve took 2.5 s on the medium model, a light one 2 s on the
    large model, where without it the hint is a solution within 0.2 s. ``max_deterministic_time`` (seconds of CP-SAT's
    deterministic clock) limits the search reproducibly, unlike ``time_limit_seconds``.
    ``repair_seconds`` bounds the hint's repair pass (``solver.repair``).
    ``relative_gap_limit`` ends the search once the answer is within that fraction of the best
    bound (0.001 = 0.1 %; 0 searches until optimal or out of time).
    """

    time_limit_seconds: float = 10.0
    num_workers: int = 2
    random_seed: int = 0
    deterministic: bool = True
    max_deterministic_time: float | None = None
    candidates_per_request: int = 12
    candidates_per_reviewer_day: int = 2
    presolve: str | None = None
    repair_seconds: float = 1.0
    relative_gap_limit: float = 0.001
    log_search_progress: bool = False


#: Presolve chosen by model size (candidates) when ``SolverSettings.presolve`` is None.
LIGHT_PRESOLVE_ABOVE = 5_000
NO_PRESOLVE_ABOVE = 40_000


@dataclass(frozen=True, slots=True)
class Progress:
    """A solution (or a better bound) reported during the search."""

    seconds: float
    objective: float | None
    bound: float


@dataclass(frozen=True, slots=True)
class Run:
    """A CP-SAT run with everything the benchmark compares it to."""

    result: Result
    edf: Result
    fcfs: Result
    repaired: Result
    greedy_seconds: float
    repair_seconds: float
    progress: tuple[Progress, ...] = field(default_factory=tuple)
    hint_seconds: float = 0.0
    w_count: int = 0
    per_request_bound: int = 0


@dataclass(slots=True)
class Model:
    """The built CP-SAT model; variable ``i`` is candidate ``i``."""

    cp: cp_model.CpModel
    candidates: Candidates


def build(grid: Grid, scoring: Scoring, candidates: Candidates, hint: Sequence[Pick] = ()) -> Model:
    """The CP-SAT model of ``candidates`` (named variables, constraints, objective, hint).

    Written straight into the model's protocol buffer: variable ``i`` is candidate ``i``, so
    constraints are lists of candidate indices. At the large size the Python wrappers (one
    object per variable, one call per hint) took longer than the rest of the build together.
    """
    problem = grid.problem
    cp = cp_model.CpModel()
    proto = cp.proto
    request_ids = [request.id for request in problem.requests]
    reviewer_ids = [reviewer.id for reviewer in problem.reviewers]
    starts_minutes = (grid.origin + 15 * candidates.start).tolist()
    variables = proto.variables
    for r, j, minute in zip(
        candidates.request.tolist(), candidates.row.tolist(), starts_minutes, strict=True
    ):
        variable = variables.add()
        variable.name = f"x[{request_ids[r]},{reviewer_ids[j]},{minute}]"
        variable.domain.extend((0, 1))
    _one_per_request(proto, candidates)
    _no_overlap(proto, candidates, grid.buffer_cells)
    _daily_caps(proto, candidates, grid)
    # CP-SAT minimises: maximise the values as the minimum of their negation, scaled by -1.
    proto.objective.vars.extend(range(len(candidates)))
    proto.objective.coeffs.extend((-candidates.value).tolist())
    proto.objective.scaling_factor = -1.0
    if hint:
        index = {
            (r, j, s): i
            for i, (r, j, s) in enumerate(
                zip(
                    candidates.request.tolist(),
                    candidates.row.tolist(),
                    candidates.start.tolist(),
                    strict=True,
                )
            )
        }
        values = np.zeros(len(candidates), dtype=np.int64)
        for pick in hint:
            values[index[(pick.request, pick.row, pick.start)]] = 1
        proto.solution_hint.vars.extend(range(len(candidates)))
        proto.solution_hint.values.extend(values.tolist())
    return Model(cp, candidates)


def _at_most_one(proto, literals: list[int]) -> None:
    proto.constraints.add().at_most_one.literals.extend(literals)


def _one_per_request(proto, candidates: Candidates) -> None:
    requests = candidates.request
    if not len(requests):
        return
    bounds = np.flatnonzero(np.r_[True, requests[1:] != requests[:-1], True]).tolist()
    for a, b in itertools.pairwise(bounds):
        if b - a > 1:
            _at_most_one(proto, list(range(a, b)))


def _no_overlap(proto, candidates: Candidates, buffer_cells: int) -> None:
    """One ``AtMostOne`` per maximal clique of overlapping candidates of a reviewer.

    Occupations are intervals, so the maximal cliques are found by a sweep over starts:
    the set of active candidates is a maximal clique just before the first of them ends
    after a candidate was added.
    """
    ends = candidates.start + candidates.cells + buffer_cells
    order = np.lexsort((ends, candidates.start, candidates.row)).tolist()
    rows = candidates.row.tolist()
    starts = candidates.start.tolist()
    end_list = ends.tolist()
    current_row = -1
    active: dict[int, None] = {}
    heap: list[tuple[int, int]] = []
    added = False

    def emit() -> None:
        if len(active) > 1:
            _at_most_one(proto, list(active))

    for i in order:
        if rows[i] != current_row:
            if added:
                emit()
            current_row, active, heap, added = rows[i], {}, [], False
        start = starts[i]
        if heap and heap[0][0] <= start:
            if added:
                emit()
                added = False
            while heap and heap[0][0] <= start:
                del active[heapq.heappop(heap)[1]]
        active[i] = None
        heapq.heappush(heap, (end_list[i], i))
        added = True
    if added:
        emit()


def _daily_caps(proto, candidates: Candidates, grid: Grid) -> None:
    """A cap constraint per reviewer-day where the candidates' requests could exceed it."""
    if not len(candidates):
        return
    days = len(grid.day_values)
    keys = candidates.row * days + candidates.day
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    bounds = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1], True]).tolist()
    request_of = candidates.request
    for a, b in itertools.pairwise(bounds):
        key = int(sorted_keys[a])
        room = int(grid.remaining[key // days, key % days])
        members = order[a:b]
        if len(np.unique(request_of[members])) > room:
            linear = proto.constraints.add().linear
            linear.vars.extend(members.tolist())
            linear.coeffs.extend([1] * len(members))
            linear.domain.extend((0, room))


class _Recorder(cp_model.CpSolverSolutionCallback):
    """Times of solutions and bounds, counted from the start of the search."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self.started = started
        self.events: list[Progress] = []
        self.lock = threading.Lock()

    def on_solution_callback(self) -> None:
        with self.lock:
            self.events.append(
                Progress(
                    time.perf_counter() - self.started,
                    self.objective_value,
                    self.best_objective_bound,
                )
            )

    def on_bound(self, bound: float) -> None:
        with self.lock:
            self.events.append(Progress(time.perf_counter() - self.started, None, bound))


def parameters(solver: cp_model.CpSolver, settings: SolverSettings, candidates: int) -> None:
    """CP-SAT parameters for ``settings`` on a model of ``candidates`` variables.

    Deterministic mode interleaves the workers in fixed batches (``interleave_search``) and
    runs ``max_lp`` (the LP relaxation with cuts) as the one full-problem subsolver beside the
    neighbourhood searches: on the small benchmark the default portfolio, interleaved,
    needed 3–7 s to prove optimality, ``max_lp`` alone about 1 s.
    """
    params = solver.parameters
    params.max_time_in_seconds = settings.time_limit_seconds
    params.num_workers = settings.num_workers
    params.random_seed = settings.random_seed
    params.relative_gap_limit = settings.relative_gap_limit
    params.log_search_progress = settings.log_search_progress
    params.log_to_stdout = False
    if settings.deterministic and settings.num_workers > 1:
        params.interleave_search = True
        params.subsolvers.append("max_lp")
    if settings.max_deterministic_time is not None:
        params.max_deterministic_time = settings.max_deterministic_time
    presolve = settings.presolve
    if presolve is None:
        presolve = "full"
        if candidates > NO_PRESOLVE_ABOVE:
            presolve = "off"
        elif candidates > LIGHT_PRESOLVE_ABOVE:
            presolve = "light"
    if presolve == "off":
        params.cp_model_presolve = False
    elif presolve == "light":
        params.max_presolve_iterations = 1
        params.cp_model_probing_level = 0
        params.symmetry_level = 0
    elif presolve != "full":
        raise ValueError(f"presolve must be full, light or off, not {presolve!r}")


_STATUS = {
    cp_model.OPTIMAL: SolveStatus.OPTIMAL,
    cp_model.FEASIBLE: SolveStatus.FEASIBLE,
    cp_model.INFEASIBLE: SolveStatus.INFEASIBLE,
    cp_model.UNKNOWN: SolveStatus.TIMED_OUT_WITHOUT_SOLUTION,
}


def run(problem: Problem, settings: SolverSettings | None = None) -> Run:
    """Both greedy baselines, the repaired EDF hint, then CP-SAT; see ``solve``."""
    settings = settings or SolverSettings()
    started = time.perf_counter()
    grid = Grid(problem)
    scoring = Scoring(problem, grid)
    greedy_started = time.perf_counter()
    edf_order = greedy.edf_order(problem)
    edf_work = grid.copy()
    edf_picks = greedy.place(grid, scoring, edf_order, work=edf_work)
    greedy_seconds = time.perf_counter() - greedy_started
    # First-come-first-served picks join the candidates too, so that every answer the run
    # may return lies inside the model and CP-SAT's bound holds for it.
    fcfs_picks = greedy.place(grid, scoring, greedy.fcfs_order(problem))
    repair_started = time.perf_counter()
    hint = repair.improve(
        grid, edf_work, scoring, edf_picks, edf_order, settings.repair_seconds, greedy.best_start
    )
    repair_seconds = time.perf_counter() - repair_started
    hint_seconds = time.perf_counter() - started
    candidates = generate(
        grid,
        scoring,
        per_request=settings.candidates_per_request,
        per_reviewer_day=settings.candidates_per_reviewer_day,
        keep=[*hint, *edf_picks, *fcfs_picks],
    )

    def heuristic(picks: Sequence[Pick], method: Method) -> Result:
        return build_result(
            problem,
            grid,
            scoring,
            picks,
            status=SolveStatus.FEASIBLE if problem.requests else SolveStatus.OPTIMAL,
            method=method,
            best_bound=None,
            timings=Timings(build_seconds=0.0, solve_seconds=greedy_seconds),
        )

    edf_result = heuristic(edf_picks, Method.GREEDY_EDF)
    fcfs_result = heuristic(fcfs_picks, Method.GREEDY_FCFS)
    repaired = heuristic(hint, Method.REPAIRED_EDF)
    fallback = max((repaired, edf_result, fcfs_result), key=lambda r: r.objective)
    per_request_bound = _per_request_bound(candidates)

    def done(
        result: Result,
        status: SolveStatus,
        best_bound: int,
        built: float,
        solve_seconds: float = 0.0,
        progress: Sequence[Progress] = (),
    ) -> Run:
        if status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            if best_bound <= result.objective:  # proven: no answer can be better
                status = SolveStatus.OPTIMAL
            elif status is SolveStatus.OPTIMAL:  # CP-SAT says so also at the gap limit
                status = SolveStatus.FEASIBLE
        best_bound = max(best_bound, result.objective)
        result = dataclasses.replace(
            result,
            status=status,
            best_bound=best_bound,
            gap_pct=_gap(result.objective, best_bound),
            timings=Timings(build_seconds=built - started, solve_seconds=solve_seconds),
            candidates=len(candidates),
            first_solution_seconds=next(
                (e.seconds for e in progress if e.objective is not None), None
            ),
        )
        return Run(
            result=result,
            edf=edf_result,
            fcfs=fcfs_result,
            repaired=repaired,
            greedy_seconds=greedy_seconds,
            repair_seconds=repair_seconds,
            progress=tuple(progress),
            hint_seconds=hint_seconds,
            w_count=scoring.w_count,
            per_request_bound=per_request_bound,
        )

    if _gap(fallback.objective, per_request_bound) <= 100 * settings.relative_gap_limit:
        # Already within the gap limit of a bound known before the search: CP-SAT, handed
        # this answer as its hint, would stop at its first solution. No model, no search.
        return done(fallback, SolveStatus.FEASIBLE, per_request_bound, time.perf_counter())

    model = build(grid, scoring, candidates, hint=hint)
    built = time.perf_counter()

    solver = cp_model.CpSolver()
    parameters(solver, settings, len(candidates))
    recorder = _Recorder(built)
    solver.best_bound_callback = recorder.on_bound
    status_code = solver.solve(model.cp, recorder)
    solve_seconds = time.perf_counter() - built
    if status_code == cp_model.MODEL_INVALID:
        raise RuntimeError(f"invalid CP-SAT model: {model.cp.validate()}")
    status = _STATUS[status_code]
    progress = recorder.events
    if status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return done(fallback, status, per_request_bound, built, solve_seconds, progress)
    best_bound = per_request_bound
    bound = solver.best_objective_bound
    if not (math.isinf(bound) or math.isnan(bound)):
        best_bound = min(best_bound, round(bound))
    result = heuristic(_solution(solver, model), Method.CP_SAT)
    if status is SolveStatus.OPTIMAL and bound == solver.objective_value:
        best_bound = result.objective  # proved optimal (exact even where floats are not)
    if result.objective < fallback.objective:
        # Cut short before it reached its own hint: the heuristic answer is better.
        result, status = fallback, SolveStatus.FEASIBLE
    return done(result, status, best_bound, built, solve_seconds, progress)


def _solution(solver: cp_model.CpSolver, model: Model) -> list[Pick]:
    solution = solver.response_proto.solution
    values = np.fromiter(solution, dtype=np.int64, count=len(solution))
    chosen = np.flatnonzero(values[: len(model.candidates)] > 0)
    c = model.candidates
    return [Pick(int(c.request[i]), int(c.row[i]), int(c.start[i])) for i in chosen]


def _per_request_bound(candidates: Candidates) -> int:
    """Every request at its best candidate: a bound CP-SAT's LP reaches only after solving
    the whole relaxation, which takes longer than the time limit at the large size."""
    if not len(candidates):
        return 0
    requests = candidates.request
    firsts = np.flatnonzero(np.r_[True, requests[1:] != requests[:-1]])
    return int(np.maximum.reduceat(candidates.value, firsts).sum())


def _gap(objective: int, bound: int) -> float:
    """Distance to the bound in percent of the objective."""
    return 100.0 * max(0, bound - objective) / max(1, abs(objective))


def solve(problem: Problem, settings: SolverSettings | None = None) -> Result:
    """Assign the problem's requests with CP-SAT (the production entry point).

    Never raises for a hard instance: a time-out without a solution answers the better greedy
    result with status ``timed_out_without_solution``.
    """
    return run(problem, settings).result
