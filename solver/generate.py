"""Seeded synthetic instances for tests and benchmarks (fictional, nothing like PHI).

Two weeks from a fixed "now" (Monday 2026-11-30 08:00 Eastern). Reviewers work partial
days in US time zones (fixed offsets: the bridge resolves real zones, so none is needed
here), hold one to three skills with tiers, are licensed in a few states, already carry
bookings and sometimes time off, and have a daily cap. Requests have 1–3 cases (15 minutes
each), deadlines 1–14 days out (urgent ones, about 10 %, within 72 hours), preferred weekday
and hour windows in the requester's zone, and sometimes an original reviewer (favoured for
reconsideration, excluded for an appeal).

Contention is built in, so that the order in which requests are served matters and greedy
is not optimal: two skills and two states are scarce (few reviewers hold them) while
demand for them is not, early days are busy with existing bookings, and tight deadlines
compete with long ones for the same first free slots.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from solver.problem import Eligible, Interval, Problem, Request, Reviewer, WorkingInterval

SIZES: dict[str, tuple[int, int]] = {"S": (100, 20), "M": (1000, 200), "L": (5000, 1000)}

EPOCH = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday; minute 0 of the instances
NOW = 13 * 60  # 08:00 Eastern
NOTICE = 120
HORIZON_DAYS = 14
DAY = 24 * 60

# (skill, share of reviewers holding it at tier 1, share of requests needing it)
SKILLS: tuple[tuple[str, float, float], ...] = (
    ("orthopedics", 0.22, 0.20),
    ("cardiology", 0.18, 0.16),
    ("oncology", 0.16, 0.15),
    ("radiology", 0.16, 0.14),
    ("neurology", 0.12, 0.11),
    ("pain_management", 0.10, 0.10),
    ("pediatric_neurology", 0.03, 0.07),
    ("spine_surgery", 0.03, 0.07),
)
# (state, share of reviewers licensed there, share of members living there)
STATES: tuple[tuple[str, float, float], ...] = (
    ("PA", 0.60, 0.12),
    ("NY", 0.55, 0.12),
    ("NJ", 0.50, 0.08),
    ("FL", 0.55, 0.12),
    ("GA", 0.45, 0.07),
    ("IL", 0.50, 0.08),
    ("MO", 0.40, 0.05),
    ("TX", 0.40, 0.12),
    ("CA", 0.55, 0.12),
    ("WA", 0.40, 0.04),
    ("AK", 0.10, 0.04),
    ("HI", 0.10, 0.04),
)
# UTC offsets in minutes with their share of reviewers (ET, CT, MT, PT, AKT, HT).
ZONES: tuple[tuple[int, float], ...] = (
    (-300, 0.40),
    (-360, 0.25),
    (-420, 0.10),
    (-480, 0.19),
    (-540, 0.03),
    (-600, 0.03),
)
# Local working blocks of a day (minutes after local midnight): full and partial days.
PATTERNS: tuple[tuple[tuple[int, int], ...], ...] = (
    ((8 * 60, 12 * 60), (13 * 60, 17 * 60)),
    ((9 * 60, 17 * 60),),
    ((7 * 60, 11 * 60 + 30), (12 * 60 + 30, 15 * 60 + 30)),
    ((12 * 60, 18 * 60),),
    ((8 * 60, 12 * 60),),
    ((13 * 60 + 15, 16 * 60 + 45),),
)
PREFERRED_HOURS: tuple[tuple[int, int], ...] = ((7, 19), (9, 12), (13, 17), (8, 11), (15, 19))


@dataclass(frozen=True, slots=True)
class _Profile:
    id: str
    offset: int
    skills: dict[str, int]
    states: frozenset[str]


def generate(size: str | tuple[int, int], seed: int) -> Problem:
    """An instance of ``size`` ("S", "M", "L" or ``(requests, reviewers)``) from ``seed``."""
    requests_count, reviewers_count = SIZES[size] if isinstance(size, str) else size
    rng = random.Random(f"p2p-solver-{requests_count}-{reviewers_count}-{seed}")
    profiles = [_profile(rng, index) for index in range(reviewers_count)]
    reviewers = tuple(_reviewer(rng, profile) for profile in profiles)
    arrivals = list(range(requests_count))
    rng.shuffle(arrivals)
    by_skill: dict[str, list[_Profile]] = {}
    for profile in profiles:
        for skill in profile.skills:
            by_skill.setdefault(skill, []).append(profile)
    requests = tuple(
        _request(rng, index, arrivals[index], by_skill) for index in range(requests_count)
    )
    return Problem(reviewers=reviewers, requests=requests, epoch=EPOCH)


def _weighted(rng: random.Random, pairs: list[tuple[str, float]] | list[tuple[int, float]]):
    values = [value for value, _ in pairs]
    weights = [weight for _, weight in pairs]
    return rng.choices(values, weights=weights)[0]


def _profile(rng: random.Random, index: int) -> _Profile:
    primary = _weighted(rng, [(name, supply) for name, supply, _ in SKILLS])
    others = [name for name, _, _ in SKILLS if name != primary]
    held = [primary, *rng.sample(others, rng.choice((0, 1, 1, 2)))]
    states = frozenset(name for name, share, _ in STATES if rng.random() < share)
    if not states:
        states = frozenset({rng.choice([name for name, _, _ in STATES])})
    return _Profile(
        id=f"rev-{index:04d}",
        offset=_weighted(rng, list(ZONES)),
        skills={skill: tier for tier, skill in enumerate(held, start=1)},
        states=states,
    )


def _reviewer(rng: random.Random, profile: _Profile) -> Reviewer:
    pattern = rng.choice(PATTERNS)
    day_off = rng.randrange(5) if rng.random() < 0.3 else None
    working: list[WorkingInterval] = []
    blocked: list[Interval] = []
    booked: dict[int, int] = {}
    cap = rng.randint(3, 8)
    time_off_day = rng.randrange(HORIZON_DAYS) if rng.random() < 0.15 else None
    for day in range(HORIZON_DAYS + 1):
        weekday = day % 7  # day 0 is a Monday
        if weekday >= 5 or weekday == day_off:
            continue
        local_midnight = day * DAY - profile.offset
        blocks = [(local_midnight + a, local_midnight + b) for a, b in pattern]
        working.extend(WorkingInterval(a, b, day) for a, b in blocks)
        if day == time_off_day:
            blocked.append(Interval(blocks[0][0], blocks[-1][1]))
            continue
        # Existing bookings: busier in the first days, as a real calendar is.
        busy = 0.55 if day < 3 else 0.3
        count = 0
        for a, b in blocks:
            cell = a
            while cell < b and count < cap:
                length = 15 * rng.choice((1, 2, 2, 3))
                if cell + length <= b and rng.random() < busy / 2:
                    blocked.append(Interval(cell, cell + length))
                    count += 1
                    cell += length
                cell += 15
        if count:
            booked[day] = count
    return Reviewer(
        id=profile.id,
        working=tuple(working),
        blocked=tuple(blocked),
        daily_cap=cap,
        booked_per_day=booked,
    )


def _request(
    rng: random.Random, index: int, arrival: int, by_skill: dict[str, list[_Profile]]
) -> Request:
    skill = _weighted(rng, [(name, demand) for name, _, demand in SKILLS])
    state = _weighted(rng, [(name, demand) for name, _, demand in STATES])
    cases = rng.choices((1, 2, 3), weights=(0.6, 0.3, 0.1))[0]
    urgent = rng.random() < 0.1
    earliest = NOW + NOTICE
    if urgent:
        deadline = NOW + rng.randint(24 * 4, 72 * 4) * 15
    else:
        deadline = NOW + rng.randint(1, HORIZON_DAYS) * DAY - rng.randint(0, 8) * 60
    deadline = min(deadline, NOW + HORIZON_DAYS * DAY)
    eligible = [
        Eligible(profile.id, profile.skills[skill])
        for profile in by_skill.get(skill, ())
        if state in profile.states
        and (state != "TX" or profile.skills[skill] == 1)  # Texas: same specialty only
    ]
    original = None
    favour = False
    excluded: frozenset[str] = frozenset()
    if eligible and rng.random() < 0.25:
        original = rng.choice(eligible).reviewer_id
        level = rng.random()
        if level < 0.5:  # reconsideration: the original reviewer is preferred
            favour = True
        elif level < 0.75:  # appeal: never the determining reviewer
            excluded = frozenset({original})
            eligible = [e for e in eligible if e.reviewer_id != original]
    offset = _weighted(rng, list(ZONES))
    return Request(
        id=f"req-{index:05d}",
        arrival=arrival,
        duration=15 * cases,
        earliest_start=earliest,
        deadline=deadline,
        eligible=tuple(eligible),
        urgent=urgent,
        preferred=_preferred(rng, offset),
        original_reviewer=original,
        favour_original=favour,
        excluded_reviewers=excluded,
    )


def _preferred(rng: random.Random, offset: int) -> tuple[Interval, ...]:
    """Preferred weekdays × hours in the requester's zone, as UTC minute intervals."""
    if rng.random() < 0.4:
        days, (first, last) = set(range(5)), (7, 19)  # the seeds' default grid
    else:
        days = set(rng.sample(range(5), rng.randint(2, 5)))
        first, last = rng.choice(PREFERRED_HOURS)
    windows = []
    for day in range(HORIZON_DAYS + 1):
        if day % 7 in days:
            local_midnight = day * DAY - offset
            windows.append(Interval(local_midnight + first * 60, local_midnight + last * 60))
    return tuple(windows)
