"""Four months of past P2Ps for the demo, so that the reports page (SPEC §12) has something
to show on the first start.

Why the history looks the way it does:

- **Its own cases.** Every past P2P belongs to a case of its own (``H2…`` numbers), decided
  long ago, so nothing here touches the walk-through cases: a completed P2P on ``A100001``
  would make it ineligible (``p2p_completed`` is derived from stored bookings). The members
  are the demo's fictional members, the reviewers the demo's active reviewers.
- **Nothing in the last week.** Calls end at least ``QUIET_DAYS`` days before ``now``, so a
  reviewer's day view and a practice's "My P2P requests" show this week as the demo made it,
  and every booking here is closed (completed, no-show or cancelled): none holds a slot.
- **What a UM leader looks for.** Most calls are completed with an outcome (upheld most often,
  then overturned, modified and information only); some are no-shows of either party; some are
  cancelled with each reason code; about a quarter were moved once or twice; about a third
  came in as requests with preferred days and hours that the optimizer placed, most inside
  the window asked for. Reviewers are mostly tier 1 for the case's skill (Texas: only tier 1,
  with a Texas licence), every line of business, level of review and demo state occurs, and a
  few requests carry two cases of one member.
- **The same every time.** A fixed seed and times relative to ``now`` (floored to the
  minute): a demo started today or next July shows the same shape.

Pure: no database, no clock (``now`` is passed in). ``services.records.load_if_empty`` stores
the result through the bookings store in the demo's one loading transaction.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from p2p_scheduler.domain.bookings import BookedCase, StoredBooking
from p2p_scheduler.domain.enums import BookingStatus
from p2p_scheduler.domain.model import (
    CaseSnapshot,
    CaseStatus,
    LevelOfReview,
    LineOfBusiness,
    ReviewerProfile,
    Weekday,
)
from p2p_scheduler.services.records import PastP2P, PastStep
from p2p_scheduler.tools import demo

#: how far back the history reaches, and the quiet days before ``now`` it leaves empty
HISTORY_DAYS = 122
QUIET_DAYS = 8
MINUTES_PER_CASE = 15  # the default policy's (SPEC §9 leaves it to the policy)
_SEED = 20261205
_WEEK = list(Weekday)

#: the practices that asked for the past P2Ps (never the demo's own practice, whose
#: "My P2P requests" starts empty)
_PRACTICES: tuple[tuple[str, str, str], ...] = (
    ("northside-ortho", "Northside Orthopedics", "Dr. Alan Pierce"),
    ("lakeview-health", "Lakeview Health Group", "Dr. Maria Santos"),
    ("riverbend-clinic", "Riverbend Clinic", "Dr. Kofi Mensah"),
    ("summit-imaging", "Summit Imaging Associates", "Dr. Hannah Cho"),
)
_ROLES = ("ordering_provider", "ordering_provider", "nurse_practitioner", "physician_assistant")
#: the requester's zone by the member's state (their practice is nearby)
_STATE_ZONES = {
    "TX": "America/Chicago", "IL": "America/Chicago", "LA": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "NY": "America/New_York",
    "PA": "America/New_York", "GA": "America/New_York", "FL": "America/New_York",
    "CA": "America/Los_Angeles", "WA": "America/Los_Angeles", "AZ": "America/Phoenix",
}  # fmt: skip
# what happens to a booking, with weights out of 100
_ENDINGS = (("completed", 66), ("no_show", 11), ("cancelled", 23))
_OUTCOMES = (("upheld", 50), ("overturned", 20), ("modified", 15), ("information_only", 15))
_PARTIES = (("provider", 60), ("reviewer", 40))
_REASONS = (
    ("provider_unavailable", 35),
    ("reviewer_unavailable", 15),
    ("case_resolved", 25),
    ("scheduled_in_error", 10),
    ("duplicate", 8),
    ("other", 7),
)
_LEVELS = (("reconsideration", 50), ("pre_decision", 25), ("appeal", 15), ("consultative_only", 10))
#: the case's status now, after the call's outcome (a cancelled or missed call: still denied)
_STATUS_AFTER = {
    "overturned": CaseStatus.APPROVED,
    "modified": CaseStatus.PARTIALLY_APPROVED,
}


@dataclass(frozen=True, slots=True)
class DemoHistory:
    cases: list[CaseSnapshot]
    p2ps: list[PastP2P]


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([name for name, _ in weighted], [weight for _, weight in weighted])[0]


def _tier_ok(state: str, tier: int) -> bool:
    """Texas takes tier 1 only (SPEC §9 state overrides)."""
    return tier == 1 or state != "TX"


def _qualified(
    reviewers: Sequence[ReviewerProfile], state: str, skill: str
) -> list[ReviewerProfile]:
    return [
        r
        for r in reviewers
        if r.active
        and state in r.licensed_states
        and skill in r.skills
        and _tier_ok(state, r.skills[skill])
    ]


def _slot(
    rng: random.Random,
    reviewer: ReviewerProfile,
    day: date,
    minutes: int,
    taken: set[tuple[str, datetime]],
) -> datetime | None:
    """A free quarter-hour start inside the reviewer's hours on ``day`` (their zone), or None."""
    zone = ZoneInfo(reviewer.time_zone)
    weekday = _WEEK[day.weekday()]
    blocks = [block for block in reviewer.working_hours if block.weekday == weekday]
    if not blocks:
        return None
    block = rng.choice(blocks)
    first = datetime.combine(day, time.fromisoformat(block.start), zone)
    last = datetime.combine(day, time.fromisoformat(block.end), zone) - timedelta(minutes=minutes)
    quarters = int((last - first).total_seconds() // 900)
    for _ in range(6):
        start = (first + timedelta(minutes=15 * rng.randint(0, max(quarters, 0)))).astimezone(UTC)
        cells = {
            (reviewer.reviewer_id, start + timedelta(minutes=m)) for m in range(0, minutes, 15)
        }
        if not cells & taken:
            taken.update(cells)
            return start
    return None


def _preferences(
    rng: random.Random, start: datetime, zone: str, inside: bool
) -> tuple[tuple[Weekday, ...], tuple[int, ...]]:
    """Preferred weekdays and starting hours (requester's zone) that hold ``start`` or not."""
    local = start.astimezone(ZoneInfo(zone))
    weekday = _WEEK[local.weekday()]
    days = set(_WEEK[:5]) if rng.random() < 0.6 else set(rng.sample(_WEEK[:5], 3)) | {weekday}
    width = rng.randint(3, 6)
    low = max(0, local.hour - rng.randint(0, width - 1))
    hours = set(range(low, min(low + width, 24))) | {local.hour}
    if not inside:
        if rng.random() < 0.5:
            days.discard(weekday)
            days = days or {_WEEK[(local.weekday() + 1) % 5]}
        elif local.hour >= 12:
            hours = set(range(max(0, local.hour - 2 - width), local.hour - 1))
        else:
            hours = set(range(local.hour + 2, min(local.hour + 2 + width, 24)))
    return tuple(d for d in _WEEK if d in days), tuple(sorted(hours))


def demo_history(now: datetime, reviewers: Sequence[ReviewerProfile]) -> DemoHistory:
    """The past P2Ps (and their cases) of the ``HISTORY_DAYS`` days before ``now``."""
    if now.tzinfo is None:
        raise ValueError("demo_history needs an aware datetime for now")
    base = now.astimezone(UTC).replace(second=0, microsecond=0)
    rng = random.Random(_SEED)
    members = demo._members()
    member_keys = sorted(members)
    taken: set[tuple[str, datetime]] = set()
    cases: list[CaseSnapshot] = []
    p2ps: list[PastP2P] = []
    today = base.date()
    for back in range(HISTORY_DAYS, QUIET_DAYS - 1, -1):
        day = today - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for _ in range(rng.choice((1, 2, 2, 2, 3, 3))):
            member_key = rng.choice(member_keys)
            member, lob = members[member_key]
            skills = sorted(
                {s for r in reviewers for s in r.skills if _qualified([r], member.state, s)}
            )
            if not skills:
                continue
            skill = rng.choice(skills)
            qualified = _qualified(reviewers, member.state, skill)
            weights = [{1: 6, 2: 2}.get(r.skills[skill], 1) for r in qualified]
            reviewer = rng.choices(qualified, weights)[0]
            count = 2 if rng.random() < 0.08 else 1
            minutes = MINUTES_PER_CASE * count
            start = _slot(rng, reviewer, day, minutes, taken)
            if start is None or start + timedelta(minutes=minutes) > base - timedelta(
                days=QUIET_DAYS - 1
            ):
                continue
            level = _pick(rng, _LEVELS)
            if lob is LineOfBusiness.MEDICARE and level == "reconsideration":
                level = "consultative_only"  # Medicare has no reconsideration
            p2p, snapshots = _one_p2p(
                rng,
                number=len(cases) + 1,
                count=count,
                member_key=member_key,
                members=members,
                skill=skill,
                level=LevelOfReview(level),
                reviewer=reviewer,
                start=start,
                minutes=minutes,
            )
            cases.extend(snapshots)
            p2ps.append(p2p)
    return DemoHistory(cases=cases, p2ps=p2ps)


def _one_p2p(
    rng: random.Random,
    *,
    number: int,
    count: int,
    member_key: str,
    members: demo._Members,
    skill: str,
    level: LevelOfReview,
    reviewer: ReviewerProfile,
    start: datetime,
    minutes: int,
) -> tuple[PastP2P, list[CaseSnapshot]]:
    member, _lob = members[member_key]
    zone = _STATE_ZONES.get(member.state, "America/Chicago")
    reschedules = rng.choices((0, 1, 2), (70, 22, 8))[0]
    lead = timedelta(hours=rng.triangular(5, 130, 36))
    lead = max(lead, timedelta(hours=24 * reschedules + 8))
    created = (start - lead).replace(second=0, microsecond=0)
    ending = _pick(rng, _ENDINGS)
    outcome = _pick(rng, _OUTCOMES) if ending == "completed" else None
    org, practice, doctor = rng.choice(_PRACTICES)
    slug = practice.lower().replace(" ", "")
    numbers = [f"H2{number + i:05d}" for i in range(count)]
    valid_until = start + timedelta(days=rng.randint(1, 6))
    snapshots = [
        _case(
            case_number,
            member_key=member_key,
            members=members,
            skill=skill,
            level=level,
            created=created,
            start=start,
            outcome=outcome,
            determined_by=reviewer.reviewer_id if level is LevelOfReview.PRE_DECISION else None,
        )
        for case_number in numbers
    ]
    booked = tuple(BookedCase(n, level.value, valid_until) for n in numbers)
    provider_actor = f"frontdesk@{org}.example.org"
    reviewer_actor = f"{reviewer.reviewer_id}@demo-plan.example.org"
    via_optimizer = rng.random() < 0.35
    first_start = start - timedelta(days=reschedules)
    booking = StoredBooking(
        id=f"00000000-0000-4000-8000-{number:012d}",
        status=BookingStatus.PENDING_ASSIGNMENT if via_optimizer else BookingStatus.SCHEDULED,
        duration_minutes=minutes,
        time_zone=zone,
        valid_until=valid_until,
        provider_name=doctor,
        provider_role=rng.choice(_ROLES),
        phone=f"(555) 01{number % 10}-{1000 + number % 9000:04d}",
        provider_email=f"p2p@{slug}.example.org",
        created_at=created,
        updated_at=created,
        contact_name=f"Front desk, {practice}",
        provider_org=org,
        created_by=provider_actor,
    )
    steps: list[PastStep] = []
    if via_optimizer:
        days, hours = _preferences(rng, start, zone, inside=rng.random() < 0.8)
        booking = replace(booking, preferred_days=days, preferred_hours=hours)
        steps.append(PastStep("submitted", created, booking, provider_actor))
        assigned = created + timedelta(minutes=rng.randint(2, 40))
        booking = replace(
            booking,
            status=BookingStatus.SCHEDULED,
            reviewer_id=reviewer.reviewer_id,
            start_at=first_start,
            end_at=first_start + timedelta(minutes=minutes),
            updated_at=assigned,
        )
        steps.append(PastStep("scheduled", assigned, booking, "optimizer"))
    else:
        booking = replace(
            booking,
            reviewer_id=reviewer.reviewer_id,
            start_at=first_start,
            end_at=first_start + timedelta(minutes=minutes),
        )
        steps.append(PastStep("scheduled", created, booking, provider_actor))
    for moved in range(reschedules, 0, -1):
        to = start - timedelta(days=moved - 1)
        at = max(booking.start_at - timedelta(hours=rng.randint(3, 20)), booking.updated_at)  # type: ignore[operator]
        at += timedelta(minutes=1)
        booking = replace(
            booking,
            start_at=to,
            end_at=to + timedelta(minutes=minutes),
            sequence=booking.sequence + 1,
            updated_at=at,
        )
        steps.append(PastStep("rescheduled", at, booking, provider_actor))
    end = start + timedelta(minutes=minutes)
    if ending == "completed":
        at = end + timedelta(minutes=rng.randint(2, 50))
        booking = replace(
            booking,
            status=BookingStatus.COMPLETED,
            outcome=outcome,
            outcome_recorded_at=at,
            updated_at=at,
        )
        steps.append(PastStep("completed", at, booking, reviewer_actor, outcome or ""))
    elif ending == "no_show":
        party = _pick(rng, _PARTIES)
        at = start + timedelta(minutes=rng.randint(10, 30))
        booking = replace(booking, status=BookingStatus.NO_SHOW, no_show_party=party, updated_at=at)
        actor = reviewer_actor if party == "provider" else "demo-admin"
        steps.append(PastStep("no_show", at, booking, actor, party))
    else:
        reason = _pick(rng, _REASONS)
        text = "The member changed health plans." if reason == "other" else None
        window = max(int((start - booking.updated_at).total_seconds() // 60) - 30, 1)
        at = booking.updated_at + timedelta(minutes=rng.randint(1, window))
        booking = replace(
            booking,
            status=BookingStatus.CANCELLED,
            cancel_reason_code=reason,
            cancel_reason_text=text,
            sequence=booking.sequence + 1,
            updated_at=at,
        )
        actor = reviewer_actor if reason == "reviewer_unavailable" else provider_actor
        steps.append(PastStep("cancelled", at, booking, actor, reason))
    return PastP2P(cases=booked, steps=tuple(steps)), snapshots


def _case(
    case_number: str,
    *,
    member_key: str,
    members: demo._Members,
    skill: str,
    level: LevelOfReview,
    created: datetime,
    start: datetime,
    outcome: str | None,
    determined_by: str | None,
) -> CaseSnapshot:
    """The case as the UM system pushed it last: decided long ago, so its window is closed."""
    member, lob = members[member_key]
    status = _STATUS_AFTER.get(outcome or "", CaseStatus.DENIED)
    facts: dict[str, object] = {}
    if level is LevelOfReview.PRE_DECISION:
        facts["received_at"] = created - timedelta(days=1)
        facts["determination_at"] = start + timedelta(days=1)
    elif level is LevelOfReview.APPEAL:
        facts["determination_at"] = created - timedelta(days=20)
        facts["received_at"] = created - timedelta(days=22)
        facts["appeal_filed_at"] = created - timedelta(days=2)
    else:
        facts["determination_at"] = created - timedelta(days=1)
        facts["received_at"] = created - timedelta(days=3)
    return CaseSnapshot(
        case_number=case_number,
        member=member,
        line_of_business=lob,
        case_type=demo.CASE_TYPES[skill],
        skill=skill,
        status=status,
        determined_by=determined_by,
        date_of_service=(start + timedelta(days=14)).date(),
        **facts,  # type: ignore[arg-type]
    )
