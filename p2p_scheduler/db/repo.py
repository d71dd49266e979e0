"""Mapping between table rows and the domain's plain values.

Use cases call these inside their own transaction; nothing here commits.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date

from sqlalchemy import and_, delete, func, or_
from sqlmodel import Session, select

from p2p_scheduler.db import bookings
from p2p_scheduler.db.tables import (
    BookingCaseRow,
    CaseRow,
    ReviewerHoursRow,
    ReviewerLicenseRow,
    ReviewerRow,
    ReviewerSkillRow,
    new_version,
    utcnow,
)
from p2p_scheduler.domain.access import EVERYTHING, Scope
from p2p_scheduler.domain.enums import BookingStatus
from p2p_scheduler.domain.model import (
    CaseSnapshot,
    CaseStatus,
    LineOfBusiness,
    Member,
    ReviewerProfile,
    Urgency,
    Weekday,
    WorkingHours,
)

_CASE_FIELDS = (
    "case_type",
    "skill",
    "program",
    "received_at",
    "hold_due_at",
    "additional_info_received_at",
    "determination_at",
    "determined_by",
    "date_of_service",
    "appeal_filed_at",
    "post_decision_delegated",
    "appeals_delegated",
    "retrospective",
)


def _case_from_row(row: CaseRow) -> CaseSnapshot:
    return CaseSnapshot(
        case_number=row.case_number,
        member=Member(
            name=row.member_name,
            dob=row.member_dob,
            state=row.member_state,
            member_id=row.member_id,
            health_plan=row.health_plan,
        ),
        line_of_business=LineOfBusiness(row.line_of_business),
        status=CaseStatus(row.status),
        urgency=Urgency(row.urgency),
        **{name: getattr(row, name) for name in _CASE_FIELDS},
    )


def get_case(session: Session, case_number: str) -> CaseSnapshot | None:
    row = session.get(CaseRow, case_number)
    return None if row is None else _case_from_row(row)


def get_cases(session: Session, case_numbers: list[str]) -> dict[str, CaseSnapshot]:
    rows = session.exec(select(CaseRow).where(CaseRow.case_number.in_(case_numbers)))  # type: ignore[attr-defined]
    return {row.case_number: _case_from_row(row) for row in rows}


def save_case(session: Session, case: CaseSnapshot) -> bool:
    """Insert or replace a case snapshot; True when it was new."""
    row = session.get(CaseRow, case.case_number, with_for_update=True)
    created = row is None
    if row is None:
        row = CaseRow(case_number=case.case_number)  # type: ignore[call-arg]
    row.member_name = case.member.name
    row.member_dob = case.member.dob
    row.member_state = case.member.state
    row.member_id = case.member.member_id
    row.health_plan = case.member.health_plan
    row.line_of_business = case.line_of_business.value
    row.status = case.status.value
    row.urgency = case.urgency.value
    for name in _CASE_FIELDS:
        setattr(row, name, getattr(case, name))
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return created


def get_reviewer(
    session: Session, reviewer_id: str, *, lock: bool = False
) -> ReviewerProfile | None:
    return get_reviewers(session, [reviewer_id], lock=lock).get(reviewer_id)


def reviewer_ids(session: Session, *, after: str | None, limit: int) -> list[str]:
    """Reviewer ids in order, ``limit`` after ``after`` (a page of a listing)."""
    query = select(ReviewerRow.reviewer_id).order_by(ReviewerRow.reviewer_id)
    if after is not None:
        query = query.where(ReviewerRow.reviewer_id > after)
    return list(session.exec(query.limit(limit)).all())


class _ProfileCache:
    """Profiles by (reviewer_id, version), the least recently used dropped first.

    Every save writes a new random ``version`` in the same transaction as the profile, so
    an entry is never stale: a changed profile has a key nobody has cached yet. Versions
    are unique across databases too, so the key needs no database identity.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, str], ReviewerProfile] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> ReviewerProfile | None:
        with self._lock:
            profile = self._entries.get(key)
            if profile is not None:
                self._entries.move_to_end(key)
            return profile

    def put(self, key: tuple[str, str], profile: ReviewerProfile) -> None:
        with self._lock:
            self._entries[key] = profile
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


_profiles = _ProfileCache(size=4096)


def get_reviewers(
    session: Session, reviewer_ids: list[str], *, lock: bool = False
) -> dict[str, ReviewerProfile]:
    """Profiles for ``reviewer_ids``: one query when cached, six for those that are not.

    Availability asks for many reviewers and every booking for one, so profiles (which
    change rarely) come from a per-process cache checked against each row's ``version``.
    ``lock`` takes the reviewers' rows FOR UPDATE (PostgreSQL; SQLite holds its write lock).
    """
    if not reviewer_ids:
        return {}
    query = select(ReviewerRow.reviewer_id, ReviewerRow.version).where(
        ReviewerRow.reviewer_id.in_(reviewer_ids)  # type: ignore[attr-defined]
    )
    versions = dict(session.exec(query.with_for_update() if lock else query).all())
    found: dict[str, ReviewerProfile] = {}
    for reviewer_id, version in versions.items():
        if (profile := _profiles.get((reviewer_id, version))) is not None:
            found[reviewer_id] = profile
    missing = [reviewer_id for reviewer_id in versions if reviewer_id not in found]
    if missing:
        loaded = _load_reviewers(session, missing)
        # Cache only what no save changed while it was read in several statements (under
        # READ COMMITTED each sees the latest commit, and a save always changes the version).
        again = dict(session.exec(query).all())
        for reviewer_id, profile in loaded.items():
            if again.get(reviewer_id) == versions[reviewer_id]:
                _profiles.put((reviewer_id, versions[reviewer_id]), profile)
        found.update(loaded)
    return found


def _load_reviewers(session: Session, reviewer_ids: list[str]) -> dict[str, ReviewerProfile]:
    """Profiles for ``reviewer_ids`` in four queries, however many."""
    rows = session.exec(select(ReviewerRow).where(ReviewerRow.reviewer_id.in_(reviewer_ids)))  # type: ignore[attr-defined]
    skills: dict[str, dict[str, int]] = {}
    for reviewer_id, skill, priority in session.exec(
        select(ReviewerSkillRow.reviewer_id, ReviewerSkillRow.skill, ReviewerSkillRow.priority)
        .where(ReviewerSkillRow.reviewer_id.in_(reviewer_ids))  # type: ignore[attr-defined]
        .order_by(ReviewerSkillRow.priority, ReviewerSkillRow.skill)  # type: ignore[arg-type]
    ):
        skills.setdefault(reviewer_id, {})[skill] = priority
    states: dict[str, set[str]] = {}
    for reviewer_id, state in session.exec(
        select(ReviewerLicenseRow.reviewer_id, ReviewerLicenseRow.state).where(
            ReviewerLicenseRow.reviewer_id.in_(reviewer_ids)  # type: ignore[attr-defined]
        )
    ):
        states.setdefault(reviewer_id, set()).add(state)
    hours: dict[str, list[WorkingHours]] = {}
    for reviewer_id, weekday, start, end in session.exec(
        select(
            ReviewerHoursRow.reviewer_id,
            ReviewerHoursRow.weekday,
            ReviewerHoursRow.start_time,
            ReviewerHoursRow.end_time,
        )
        .where(ReviewerHoursRow.reviewer_id.in_(reviewer_ids))  # type: ignore[attr-defined]
        .order_by(ReviewerHoursRow.id)  # type: ignore[arg-type]
    ):
        hours.setdefault(reviewer_id, []).append(WorkingHours(Weekday(weekday), start, end))
    return {
        row.reviewer_id: ReviewerProfile(
            reviewer_id=row.reviewer_id,
            name=row.name,
            credentials=row.credentials,
            specialty=row.specialty,
            npi=row.npi,
            email=row.email,
            time_zone=row.time_zone,
            skills=skills.get(row.reviewer_id, {}),
            licensed_states=frozenset(states.get(row.reviewer_id, ())),
            working_hours=tuple(hours.get(row.reviewer_id, ())),
            max_consults_per_day=row.max_consults_per_day,
            active=row.active,
        )
        for row in rows
    }


def save_reviewer(session: Session, profile: ReviewerProfile) -> bool:
    """Insert or replace a reviewer with their skills, licences and hours; True when new."""
    row = session.get(ReviewerRow, profile.reviewer_id, with_for_update=True)
    created = row is None
    if row is None:
        row = ReviewerRow(reviewer_id=profile.reviewer_id)  # type: ignore[call-arg]
    row.name = profile.name
    row.credentials = profile.credentials
    row.specialty = profile.specialty
    row.npi = profile.npi
    row.email = profile.email
    row.time_zone = profile.time_zone
    row.max_consults_per_day = profile.max_consults_per_day
    row.active = profile.active
    row.version = new_version()
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    for table in (ReviewerSkillRow, ReviewerLicenseRow, ReviewerHoursRow):
        session.exec(delete(table).where(table.reviewer_id == profile.reviewer_id))  # type: ignore[call-overload]
    session.add_all(
        [
            ReviewerSkillRow(reviewer_id=profile.reviewer_id, skill=k, priority=v)
            for k, v in profile.skills.items()
        ]
        + [
            ReviewerLicenseRow(reviewer_id=profile.reviewer_id, state=s)
            for s in sorted(profile.licensed_states)
        ]
        + [
            ReviewerHoursRow(
                reviewer_id=profile.reviewer_id,
                weekday=h.weekday.value,
                start_time=h.start,
                end_time=h.end,
            )
            for h in profile.working_hours
        ]
    )
    session.flush()
    return created


def count_rows(session: Session) -> int:
    """Cases plus reviewers: zero means an empty database (the demo loads only then)."""
    cases = session.exec(select(func.count()).select_from(CaseRow)).one()
    reviewers = session.exec(select(func.count()).select_from(ReviewerRow)).one()
    return int(cases) + int(reviewers)


def get_looked_up_cases(
    session: Session, lookups: Sequence[tuple[str, date]]
) -> dict[str, CaseSnapshot]:
    """The cases whose number *and* member date of birth match a look-up. A wrong date of
    birth finds no row, exactly as an unknown number does: the two cost the same work, so
    neither the answer nor its time tells whether a case exists."""
    if not lookups:
        return {}
    matches = or_(
        *(
            and_(CaseRow.case_number == number, CaseRow.member_dob == dob)  # type: ignore[arg-type]
            for number, dob in lookups
        )
    )
    rows = session.exec(select(CaseRow).where(matches))
    return {row.case_number: _case_from_row(row) for row in rows}


def get_cases_with_history(
    session: Session, lookups: Sequence[tuple[str, date]], *, scope: Scope = EVERYTHING
) -> dict[str, CaseSnapshot]:
    """The looked-up cases (``get_looked_up_cases``) with what their stored bookings say:
    ``p2p_completed`` (SPEC §2: one P2P per case per determination) and ``p2p``, the booking
    holding the case or else the latest completed one of its current determination (SPEC §14).

    Always two statements: the bookings are read for the cases found, none for a wrong date
    of birth as for an unknown number, so neither does more work than the other."""
    return with_history(session, get_looked_up_cases(session, lookups), scope=scope)


def with_history(
    session: Session, cases: dict[str, CaseSnapshot], *, scope: Scope = EVERYTHING
) -> dict[str, CaseSnapshot]:
    """``cases`` with what their stored bookings say (``get_cases_with_history``), one
    statement for any number of cases."""
    for case_number, found in bookings.case_p2ps(session, list(cases), scope=scope).items():
        case = cases[case_number]
        completed = [
            p2p
            for p2p in found
            if p2p.status is BookingStatus.COMPLETED and case.determination_covers(p2p.booked_at)
        ]
        holding = next((p2p for p2p in found if p2p.active), None)
        shown = holding or (completed[-1] if completed else None)
        cases[case_number] = replace(case, p2p_completed=bool(completed), p2p=shown)
    return cases


def open_cases(session: Session, statuses: Collection[CaseStatus]) -> dict[str, CaseSnapshot]:
    """The cases in ``statuses`` held by no active booking or pending request, with their
    history (``with_history``): the at-risk list's candidates (SPEC §12), by case number."""
    held = select(BookingCaseRow.case_number).where(BookingCaseRow.active)  # type: ignore[arg-type]
    rows = session.exec(
        select(CaseRow).where(
            CaseRow.status.in_([str(status) for status in statuses]),  # type: ignore[attr-defined]
            CaseRow.case_number.not_in(held),  # type: ignore[attr-defined]
        )
    )
    return with_history(session, {row.case_number: _case_from_row(row) for row in rows})
