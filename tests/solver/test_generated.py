"""Generated instances: every answer valid, CP-SAT never behind the greedy baselines, runs
reproducible, the generator and the benchmark as documented."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from solver import benchmark, greedy
from solver.generate import generate
from solver.model import SolverSettings, run
from solver.result import Method, SolveStatus, UnassignedReason
from solver.validate import violations

QUICK = SolverSettings(time_limit_seconds=2.0)


@settings(max_examples=20, deadline=None)
@given(
    requests=st.integers(1, 40),
    reviewers=st.integers(1, 8),
    seed=st.integers(0, 10**6),
)
def test_every_answer_is_valid_and_cp_sat_is_never_behind(
    requests: int, reviewers: int, seed: int
) -> None:
    problem = generate((requests, reviewers), seed)
    outcome = run(problem, QUICK)
    for answer in (outcome.result, outcome.edf, outcome.fcfs, outcome.repaired):
        assert violations(problem, answer) == []
    result = outcome.result
    assert result.scheduled >= max(outcome.edf.scheduled, outcome.fcfs.scheduled)
    assert result.objective >= max(
        outcome.edf.objective, outcome.fcfs.objective, outcome.repaired.objective
    )
    assert result.best_bound is not None and result.best_bound >= result.objective
    # Reasons agree with the instance: nobody qualified exactly when nobody is eligible.
    by_id = {r.id: r for r in problem.requests}
    for unassigned in result.unassigned:
        request = by_id[unassigned.request_id]
        nobody = not [
            e for e in request.eligible if e.reviewer_id not in request.excluded_reviewers
        ]
        assert (unassigned.reason is UnassignedReason.NO_QUALIFIED_REVIEWER) == nobody


def test_greedy_baselines_alone_are_valid_on_the_small_benchmark() -> None:
    problem = generate("S", 4)
    for answer in (greedy.fcfs(problem), greedy.edf(problem)):
        assert answer.status is SolveStatus.FEASIBLE
        assert answer.best_bound is None and answer.gap_pct is None
        assert violations(problem, answer) == []


def test_cp_sat_beats_first_come_first_served_on_the_small_benchmark() -> None:
    outcome = run(generate("S", 1), SolverSettings(time_limit_seconds=10.0))
    assert outcome.result.status is SolveStatus.OPTIMAL
    assert outcome.result.method is Method.CP_SAT
    assert outcome.result.scheduled > outcome.fcfs.scheduled
    assert outcome.result.scheduled >= outcome.edf.scheduled


def test_same_seed_and_workers_give_the_same_assignment() -> None:
    problem = generate((80, 14), 11)
    settings_ = SolverSettings(time_limit_seconds=30.0, num_workers=2, random_seed=7)
    first = run(problem, settings_).result
    second = run(problem, settings_).result
    assert first.status is SolveStatus.OPTIMAL  # ended by itself, not by the wall clock
    assert first.assignments == second.assignments
    assert first.objective == second.objective
    assert first.unassigned == second.unassigned


def test_deterministic_time_limit_reproduces_an_unfinished_search() -> None:
    # large enough that 0.1 s of deterministic time ends the search after it has improved on
    # the hint but short of the bound; small enough to run in about two CPU seconds (the former 300 x 40 at 0.5 took four)
    problem = generate((150, 20), 3)
    settings_ = SolverSettings(time_limit_seconds=60.0, max_deterministic_time=0.1)
    first = run(problem, settings_).result
    second = run(problem, settings_).result
    assert first.status is SolveStatus.FEASIBLE  # stopped by the deterministic clock
    assert first.assignments == second.assignments


def test_cp_sat_stops_at_the_gap_limit_long_before_the_time_limit() -> None:
    # CP-SAT's own bound comes within 0.1 % of its answer before it has proved the last
    # tie-breaks optimal (about twice as long here), and it stops there, reproducibly.
    problem = generate((80, 14), 11)
    settings_ = SolverSettings(time_limit_seconds=60.0)
    first = run(problem, settings_).result
    assert first.method is Method.CP_SAT
    assert first.status is SolveStatus.FEASIBLE  # within the gap, not proved optimal
    assert first.gap_pct is not None and 0 < first.gap_pct <= 0.1
    assert first.timings.solve_seconds < 30.0
    second = run(problem, settings_).result
    assert first.assignments == second.assignments
    assert first.objective == second.objective


def test_no_search_when_the_heuristic_answer_is_already_within_the_gap_limit() -> None:
    # The repaired answer is within 0.1 % of every request at its best candidate: CP-SAT
    # would stop at its first solution, so the run answers it without building the model.
    problem = generate((60, 12), 5)
    outcome = run(problem, SolverSettings(time_limit_seconds=60.0))
    result = outcome.result
    assert result.method is Method.REPAIRED_EDF
    assert result.assignments == outcome.repaired.assignments
    assert result.status is SolveStatus.FEASIBLE
    assert result.best_bound == outcome.per_request_bound
    assert result.gap_pct is not None and 0 < result.gap_pct <= 0.1
    assert result.timings.solve_seconds == 0.0 and outcome.progress == ()
    assert violations(problem, result) == []


def test_timeout_without_solution_answers_the_repaired_greedy() -> None:
    problem = generate((60, 12), 5)
    # No gap limit: the repaired answer is within 0.1 % of the bound, which skips the search.
    outcome = run(problem, SolverSettings(time_limit_seconds=0.0, relative_gap_limit=0.0))
    result = outcome.result
    assert result.status is SolveStatus.TIMED_OUT_WITHOUT_SOLUTION
    assert result.method is Method.REPAIRED_EDF
    assert result.assignments == outcome.repaired.assignments
    assert violations(problem, result) == []


def test_generator_is_seeded_and_shaped_as_documented() -> None:
    first, again, other = generate("M", 2), generate("M", 2), generate("M", 3)
    assert first == again
    assert first != other
    assert (len(first.requests), len(first.reviewers)) == (1000, 200)
    durations = Counter(r.duration for r in first.requests)
    assert set(durations) == {15, 30, 45}
    urgent = sum(r.urgent for r in first.requests) / len(first.requests)
    assert 0.07 < urgent < 0.13
    now = min(r.earliest_start for r in first.requests)
    spans = [(r.deadline - now) / 1440 for r in first.requests if not r.urgent]
    assert min(spans) > 0.5 and max(spans) <= 14
    assert all(r.deadline - now <= 72 * 60 for r in first.requests if r.urgent)
    appeals = [r for r in first.requests if r.excluded_reviewers]
    assert appeals and all(
        r.original_reviewer in r.excluded_reviewers
        and r.original_reviewer not in {e.reviewer_id for e in r.eligible}
        for r in appeals
    )
    assert any(r.favour_original for r in first.requests)
    offsets = {w.start % 1440 for rev in first.reviewers for w in rev.working}
    assert len(offsets) > 6  # working days start at many UTC times: several zones and patterns
    assert sum(len(rev.blocked) for rev in first.reviewers) > 1000


def test_benchmark_reports_the_documented_fields() -> None:
    report = benchmark.run((30, 6), seed=1, workers=2, time_limit=5.0)
    for key in (
        "size",
        "seed",
        "requests",
        "reviewers",
        "candidates",
        "build_seconds",
        "solve_seconds",
        "status",
        "scheduled",
        "objective",
        "gap_pct",
        "peak_rss_mb",
        "validated",
        "greedy_seconds",
        "time_to_first_solution",
    ):
        assert key in report
    assert report["size"] == "30x6"
    assert (report["requests"], report["reviewers"]) == (30, 6)
    assert set(report["scheduled"]) >= {"cp_sat", "greedy_edf", "greedy_fcfs"}
    assert set(report["objective"]) >= {"cp_sat", "greedy_edf", "bound"}
    assert report["validated"] is True
    assert report["scheduled"]["cp_sat"] >= report["scheduled"]["greedy_fcfs"]
    assert report["objective"]["bound"] >= report["objective"]["cp_sat"]
