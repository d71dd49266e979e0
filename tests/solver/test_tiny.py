"""Hand-written instances whose optimum is known, solved by CP-SAT and the greedy baselines."""

from __future__ import annotations

from dataclasses import replace

import pytest

from solver import greedy
from solver.model import SolverSettings, solve
from solver.problem import Eligible, Weights
from solver.result import Method, SolveStatus, UnassignedReason
from solver.validate import violations
from tests.solver.builders import DAY, hours, placed, problem, request, reviewer

FAST = SolverSettings(time_limit_seconds=5.0)


def reasons(result) -> dict[str, UnassignedReason]:
    return {u.request_id: u.reason for u in result.unassigned}


def test_contested_slot_greedy_fcfs_loses_one_cp_sat_places_both() -> None:
    # A and B each have one 30-minute slot at 09:00. R1 (first to arrive) may take either and
    # prefers A (tier 1); R2 can only take A. First come, first served gives A to R1 and
    # leaves R2 out; the optimum sends R1 to B.
    instance = problem(
        [
            reviewer("A", (hours(9), hours(9.5))),
            reviewer("B", (hours(9), hours(9.5))),
        ],
        [
            request("R1", {"A": 1, "B": 2}, arrival=0),
            request("R2", {"A": 1}, arrival=1),
        ],
    )
    fcfs = greedy.fcfs(instance)
    assert placed(fcfs) == {"R1": ("A", hours(9))}
    assert reasons(fcfs) == {"R2": UnassignedReason.LOST_TO_HIGHER_PRIORITY}

    result = solve(instance, FAST)
    assert result.status is SolveStatus.OPTIMAL
    assert result.method is Method.CP_SAT
    assert placed(result) == {"R1": ("B", hours(9)), "R2": ("A", hours(9))}
    assert result.unassigned == ()
    assert result.gap_pct == 0.0
    assert violations(instance, result) == []


def test_preferred_window_honoured_when_it_costs_nothing() -> None:
    # Free all day; the requester prefers 13:00-14:00: the start moves there, not to 08:00.
    instance = problem(
        [reviewer("A", (hours(8), hours(17)))],
        [request("R", {"A": 1}, earliest=hours(8), preferred=((hours(13), hours(14)),))],
    )
    assert placed(solve(instance, FAST)) == {"R": ("A", hours(13))}
    assert placed(greedy.edf(instance)) == {"R": ("A", hours(13))}


def test_outside_preferred_window_only_when_nothing_inside_is_free() -> None:
    # 13:00-14:00 is booked: the earliest free start (08:00) is taken instead.
    instance = problem(
        [reviewer("A", (hours(8), hours(17)), blocked=((hours(13), hours(14)),))],
        [request("R", {"A": 1}, earliest=hours(8), preferred=((hours(13), hours(14)),))],
    )
    assert placed(solve(instance, FAST)) == {"R": ("A", hours(8))}


def test_preference_does_not_cost_a_consultation() -> None:
    # One slot left inside R1's window, and R2 has nothing else: R1 goes outside its window.
    instance = problem(
        [reviewer("A", (hours(9), hours(10)))],
        [
            request("R1", {"A": 1}, arrival=0, preferred=((hours(9.5), hours(10)),)),
            request("R2", {"A": 1}, arrival=1, earliest=hours(9.5)),
        ],
    )
    assert placed(solve(instance, FAST)) == {"R1": ("A", hours(9)), "R2": ("A", hours(9.5))}


def test_better_tier_first_then_earlier_start() -> None:
    instance = problem(
        [
            reviewer("T2", (hours(8), hours(17))),
            reviewer("T1", (hours(11), hours(17))),
        ],
        [request("R", {"T2": 2, "T1": 1}, earliest=hours(8))],
    )
    assert placed(solve(instance, FAST)) == {"R": ("T1", hours(11))}


def test_urgent_wins_over_standard_when_only_one_fits() -> None:
    # One slot. The standard request arrived first and even has the nearer deadline.
    instance = problem(
        [reviewer("A", (hours(9), hours(9.5)))],
        [
            request("STD", {"A": 1}, arrival=0, deadline=hours(12)),
            request("URG", {"A": 1}, arrival=1, deadline=DAY, urgent=True),
        ],
    )
    assert placed(greedy.fcfs(instance)) == {"STD": ("A", hours(9))}
    for result in (solve(instance, FAST), greedy.edf(instance)):
        assert placed(result) == {"URG": ("A", hours(9))}
        assert reasons(result) == {"STD": UnassignedReason.LOST_TO_HIGHER_PRIORITY}


def test_nearest_deadline_wins_between_standard_requests() -> None:
    instance = problem(
        [reviewer("A", (hours(9), hours(9.5)))],
        [
            request("LATE", {"A": 1}, arrival=0, deadline=5 * DAY),
            request("SOON", {"A": 1}, arrival=1, deadline=DAY),
        ],
    )
    assert placed(solve(instance, FAST)) == {"SOON": ("A", hours(9))}


def _original_reviewer_instance(favour: bool) -> object:
    # A and B are free at the same times; B already carries more of their cap (higher load),
    # so without a preference A is chosen.
    return problem(
        [
            reviewer("A", (hours(9), hours(12)), cap=4),
            reviewer("B", (hours(9), hours(12)), cap=4, booked={0: 3}),
        ],
        [request("R", {"A": 1, "B": 1}, earliest=hours(9), original="B", favour_original=favour)],
    )


def test_original_reviewer_preferred_for_reconsideration() -> None:
    assert placed(solve(_original_reviewer_instance(True), FAST)) == {"R": ("B", hours(9))}
    assert placed(greedy.edf(_original_reviewer_instance(True))) == {"R": ("B", hours(9))}


def test_without_preference_for_the_original_the_less_loaded_reviewer_is_chosen() -> None:
    assert placed(solve(_original_reviewer_instance(False), FAST)) == {"R": ("A", hours(9))}


def test_earlier_start_outranks_original_reviewer_unless_steps_are_coarser() -> None:
    # The original reviewer is free only 09:15-09:45: SPEC §6 puts the earlier start first.
    instance = problem(
        [
            reviewer("A", (hours(9), hours(12))),
            reviewer("B", (hours(9.25), hours(9.75))),
        ],
        [request("R", {"A": 1, "B": 1}, earliest=hours(9), original="B", favour_original=True)],
    )
    assert placed(solve(instance, FAST)) == {"R": ("A", hours(9))}
    # Counting earliness in hours, 09:00 and 09:15 tie and the original reviewer decides.
    hourly = replace(instance, weights=Weights(start_step_minutes=60))
    assert placed(solve(hourly, FAST)) == {"R": ("B", hours(9.25))}
    assert placed(greedy.edf(hourly)) == {"R": ("B", hours(9.25))}


def test_appeal_never_goes_to_the_determining_reviewer() -> None:
    # DET is free first and has the better tier, but determined the case.
    reviewers = [reviewer("DET", (hours(8), hours(17))), reviewer("OTHER", (hours(15), hours(17)))]
    appeal = request(
        "APPEAL", {"OTHER": 2}, earliest=hours(8), original="DET", excluded=frozenset({"DET"})
    )
    instance = problem(reviewers, [appeal])
    assert placed(solve(instance, FAST)) == {"APPEAL": ("OTHER", hours(15))}
    # Even if the caller wrongly lists the excluded reviewer as eligible, it is never chosen.
    wrongly = (*appeal.eligible, Eligible("DET", 1))
    careless = problem(reviewers, [replace(appeal, eligible=wrongly)])
    for result in (solve(careless, FAST), greedy.edf(careless), greedy.fcfs(careless)):
        assert placed(result) == {"APPEAL": ("OTHER", hours(15))}


def test_appeal_with_only_the_determining_reviewer_has_no_qualified_reviewer() -> None:
    instance = problem(
        [reviewer("DET", (hours(8), hours(17)))],
        [request("APPEAL", {}, original="DET", excluded=frozenset({"DET"}))],
    )
    result = solve(instance, FAST)
    assert result.assignments == ()
    assert reasons(result) == {"APPEAL": UnassignedReason.NO_QUALIFIED_REVIEWER}


def test_daily_cap_counts_existing_bookings_and_spills_to_the_next_day() -> None:
    # Cap 2 per local day, one consultation already booked on day 0: one more fits on day 0,
    # two on day 1, the fourth request cannot be placed although time is free.
    instance = problem(
        [
            reviewer(
                "A",
                (hours(9), hours(12), 0),
                (DAY + hours(9), DAY + hours(12), 1),
                cap=2,
                booked={0: 1},
            )
        ],
        [request(f"R{i}", {"A": 1}, arrival=i, deadline=2 * DAY) for i in range(4)],
    )
    for result in (solve(instance, FAST), greedy.edf(instance)):
        starts = sorted(a.start for a in result.assignments)
        assert len(starts) == 3
        assert sum(1 for s in starts if s < DAY) == 1
        assert sum(1 for s in starts if s >= DAY) == 2
        assert list(reasons(result).values()) == [UnassignedReason.LOST_TO_HIGHER_PRIORITY]
        assert violations(instance, result) == []


def test_full_day_cap_means_no_free_time() -> None:
    instance = problem(
        [reviewer("A", (hours(9), hours(12)), cap=2, booked={0: 2})],
        [request("R", {"A": 1})],
    )
    assert reasons(solve(instance, FAST)) == {"R": UnassignedReason.NO_FREE_TIME_BEFORE_DEADLINE}


def test_slot_ending_exactly_at_end_of_working_time_is_allowed() -> None:
    instance = problem(
        [reviewer("A", (hours(9), hours(10)))],
        [request("R", {"A": 1}, earliest=hours(9.5))],
    )
    assert placed(solve(instance, FAST)) == {"R": ("A", hours(9.5))}


def test_one_minute_short_of_working_time_is_not_enough() -> None:
    instance = problem(
        [reviewer("A", (hours(9), hours(10) - 1))],
        [request("R", {"A": 1}, earliest=hours(9.5))],
    )
    for result in (solve(instance, FAST), greedy.edf(instance)):
        assert result.assignments == ()
        assert reasons(result) == {"R": UnassignedReason.NO_FREE_TIME_BEFORE_DEADLINE}


def test_deadline_is_the_latest_end() -> None:
    instance = problem(
        [reviewer("A", (hours(9), hours(12)))],
        [
            request("EXACT", {"A": 1}, earliest=hours(9.5), deadline=hours(10)),
            request("SHORT", {"A": 1}, earliest=hours(10.5), deadline=hours(11) - 1),
        ],
    )
    result = solve(instance, FAST)
    assert placed(result) == {"EXACT": ("A", hours(9.5))}
    assert reasons(result) == {"SHORT": UnassignedReason.NO_FREE_TIME_BEFORE_DEADLINE}


def test_earliest_start_off_the_grid_rounds_up_to_the_next_quarter() -> None:
    instance = problem(
        [reviewer("A", (hours(9), hours(12)))],
        [request("R", {"A": 1}, earliest=hours(9) + 1)],
    )
    assert placed(solve(instance, FAST)) == {"R": ("A", hours(9.25))}


@pytest.mark.parametrize(("length_hours", "fits"), [(7, 28), (9, 36)])
def test_dst_day_working_interval_of_unusual_length(length_hours: int, fits: int) -> None:
    # 00:00-08:00 local on a spring-forward day lasts 7 real hours, on a fall-back day 9: the
    # bridge resolves that into one interval; every 15-minute slot of it is usable, no more.
    end = hours(length_hours)
    instance = problem(
        [reviewer("A", (0, end))],
        [
            request(f"R{i:02d}", {"A": 1}, arrival=i, duration=15, deadline=end)
            for i in range(fits + 1)
        ],
    )
    for result in (solve(instance, FAST), greedy.edf(instance), greedy.fcfs(instance)):
        assert result.scheduled == fits
        assert max(a.end for a in result.assignments) == end
        assert violations(instance, result) == []


def test_touching_intervals_of_one_day_form_one_stretch_but_days_do_not_join() -> None:
    same_day = problem(
        [reviewer("A", (hours(9), hours(10), 0), (hours(10), hours(11), 0))],
        [request("R", {"A": 1}, duration=45, earliest=hours(9.5))],
    )
    assert placed(solve(same_day, FAST)) == {"R": ("A", hours(9.5))}
    # The same minutes tagged with two local days (midnight in the reviewer's zone at 10:00).
    two_days = problem(
        [reviewer("A", (hours(9), hours(10), 0), (hours(10), hours(11), 1))],
        [request("R", {"A": 1}, duration=45, earliest=hours(9.5), deadline=hours(10.5))],
    )
    assert solve(two_days, FAST).assignments == ()


def test_buffer_keeps_time_free_between_new_consultations() -> None:
    instance = problem(
        [reviewer("A", (hours(9), hours(10.5)))],
        [request(f"R{i}", {"A": 1}, arrival=i) for i in range(3)],
        buffer_minutes=15,
    )
    for result in (solve(instance, FAST), greedy.edf(instance)):
        starts = sorted(a.start for a in result.assignments)
        assert starts == [hours(9), hours(9.75)]  # 09:00-09:30, buffer, 09:45-10:15
        assert violations(instance, result) == []


def test_blocked_time_is_never_used() -> None:
    instance = problem(
        [reviewer("A", (hours(9), hours(11)), blocked=((hours(9) + 5, hours(10) - 5),))],
        [request("R", {"A": 1}, earliest=hours(9))],
    )
    # The booking touches the 09:00 and 09:45 quarters: the first free half hour is 10:00.
    assert placed(solve(instance, FAST)) == {"R": ("A", hours(10))}


def test_empty_problem_is_optimal_and_empty() -> None:
    result = solve(problem([reviewer("A", (hours(9), hours(10)))], []), FAST)
    assert result.status is SolveStatus.OPTIMAL
    assert result.assignments == ()
    assert result.objective == 0
