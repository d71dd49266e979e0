"""A P2P request without a slot: cases + contact + preferences, for the optimizer (SPEC §7).

It is a booking in ``pending_assignment``: the same checks as booking (eligibility, a case
in no other active booking, no-show limits), the same cases and contact, but no reviewer and
no time yet. Its cases count as booked from now on, so a case is never both waiting for the
optimizer and booked by hand. An optimizer run later gives it a reviewer and a time.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from p2p_scheduler.db import bookings
from p2p_scheduler.db.engine import Engine, transaction
from p2p_scheduler.domain.access import EVERYTHING, Scope
from p2p_scheduler.domain.bookings import BookingView, Contact, Limits
from p2p_scheduler.domain.enums import BookingStatus
from p2p_scheduler.domain.model import Weekday
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.services import p2p_record
from p2p_scheduler.services.booking import (
    check_contact,
    check_request,
    new_booking,
    record_event,
    refuse_after_no_shows,
    refuse_booked_cases,
)


def submit(
    *,
    engine: Engine,
    policy: Policy,
    limits: Limits,
    now: datetime,
    cases: tuple[tuple[str, date], ...],
    time_zone: str,
    days: frozenset[Weekday],
    hours: frozenset[int],
    contact: Contact,
    actor: str,
    provider_org: str | None = None,
    scope: Scope = EVERYTHING,
) -> BookingView:
    check_contact(policy, contact)
    with transaction(engine) as session:
        request = check_request(session, policy=policy, now=now, cases=cases)
        numbers = [case.case_number for case in request.cases]
        refuse_booked_cases(session, numbers, scope=scope)
        refuse_after_no_shows(session, numbers, limits)
        p2p_record.record_offers(session, request.cases, now=now)
        stored, booked = new_booking(
            booking_id=str(uuid.uuid4()),
            status=BookingStatus.PENDING_ASSIGNMENT,
            request=request,
            contact=contact,
            time_zone=time_zone,
            actor=actor,
            now=now,
            preferred_days=tuple(day for day in Weekday if day in days),
            preferred_hours=tuple(sorted(hours)),
            provider_org=provider_org,
        )
        bookings.insert_booking(session, stored, booked)
        record_event(session, stored, "submitted", actor=actor, now=now, created=True)
        return BookingView.of(stored, booked, None)
