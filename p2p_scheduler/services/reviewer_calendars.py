"""What blocks a reviewer's time, read once for every question asked of it.

Availability (which slots to offer), the booking checks (may this start be taken), the
optimizer bridge (where may pending requests go) and time off (where may covered bookings
move) all ask the same two things: *which reviewers are qualified for this request*, and
*what does each one's calendar look like over this window*. Both are answered here and
nowhere else, with one set of margins, so availability can never offer a time that booking
then refuses for a reason the two computed differently.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from p2p_scheduler.db import calendar_reads, repo
from p2p_scheduler.db.engine import Session
from p2p_scheduler.domain import availability, qualification
from p2p_scheduler.domain.bookings import Limits
from p2p_scheduler.domain.eligibility import RequestEligibility
from p2p_scheduler.domain.model import ReviewerProfile

#: a reviewer-local day can be 25 hours long (DST ends): bookings that started up to a day
#: before the window still count towards the daily cap of a day inside it
_DAY = timedelta(days=1)

Qualified = tuple[ReviewerProfile, int]


def licence_states(request: RequestEligibility) -> list[frozenset[str]]:
    """For each case whose rule names states, the states a reviewer must hold a licence in."""
    required = []
    for case in request.cases:
        rule = case.reviewer_rule
        if rule is None or rule.license == "any_us":
            continue
        if rule.license == "member_state":
            if case.member_state:
                required.append(frozenset({case.member_state}))
        else:
            required.append(frozenset(rule.license))
    return required


def qualified(session: Session, request: RequestEligibility) -> list[Qualified]:
    """Active reviewers qualified for every case of the request, with their skill tier.

    The database narrows by skill and licence; ``qualification`` decides (exclusions,
    state overrides, tiers)."""
    candidates = calendar_reads.candidate_reviewers(
        session,
        skills={case.skill for case in request.cases if case.skill},
        licence_states=licence_states(request),
    )
    return [
        (profile, tier)
        for profile in repo.get_reviewers(session, candidates).values()
        if (tier := qualification.tier_for(profile, request.cases)) is not None
    ]


def read(
    session: Session,
    reviewers: Sequence[Qualified],
    window: availability.Interval,
    *,
    now: datetime,
    limits: Limits,
    ignore: Collection[str] = (),
    claims: bool = True,
) -> list[availability.ReviewerCalendar]:
    """Each reviewer's calendar over ``window``: time off, scheduled consultations and live
    holds widened by the buffer on both sides, and consultations per reviewer-local day.

    ``ignore`` names bookings being moved (their own time blocks neither their new time nor
    a daily cap). ``claims=False`` leaves bookings and holds out of ``busy_seconds`` (daily
    counts stay): the booking checks use it because the reviewer's cells, claimed in the
    same transaction, are the authority on overlaps and name the booking that overlaps.
    """
    ids = [profile.reviewer_id for profile, _ in reviewers]
    if not ids:
        return []
    time_off = calendar_reads.time_off(session, ids, window)
    booked = calendar_reads.scheduled_spans(
        session, ids, availability.Interval(window.start - _DAY, window.end + _DAY), ignore=ignore
    )
    held = calendar_reads.held_spans(session, ids, window, now=now) if claims else []
    buffer = limits.buffer_minutes * 60
    busy: dict[str, list[tuple[int, int]]] = {rid: [] for rid in ids}
    starts: dict[str, list[int]] = {rid: [] for rid in ids}
    for reviewer_id, start, end in booked:
        starts[reviewer_id].append(start)
        if claims:
            busy[reviewer_id].append((start - buffer, end + buffer))
    for reviewer_id, start, end in held:
        busy[reviewer_id].append((start - buffer, end + buffer))
    return [
        availability.ReviewerCalendar(
            profile=profile,
            tier=tier,
            busy=tuple(time_off.get(profile.reviewer_id, ())),
            busy_seconds=tuple(busy[profile.reviewer_id]),
            booked_per_day=availability.per_local_day(
                starts[profile.reviewer_id], profile.time_zone
            ),
        )
        for profile, tier in reviewers
    ]
