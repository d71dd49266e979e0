"""A case's P2P record (SPEC §12; Texas 28 TAC §19.1710): per determination, when a P2P was
first offered, requested, scheduled and held, with its outcome, reviewer, no-shows and
cancels. Pure: the stored offers, determinations and bookings in, the record out.

Which determination a booking belongs to is SPEC §9's rule (``CaseSnapshot.
determination_covers``): the one in force when it was booked, or when a case update moved it
to a new level (``booked_at``). An offer carries the determination it was made under.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class BookingEvent:
    """One entry of a booking's history (``booking_events``)."""

    event: str
    status: str
    start_at: datetime | None
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseBooking:
    """One booking of a case, with what a P2P record needs of it."""

    booking_id: str
    status: str
    start_at: datetime | None
    reviewer_id: str | None
    outcome: str | None
    no_show_party: str | None
    cancel_reason_code: str | None
    created_at: datetime
    #: since when it is the case's P2P: its creation, or the case update that moved it to the
    #: determination in force then (``booking_cases.level_since``, SPEC §9)
    booked_at: datetime
    events: tuple[BookingEvent, ...] = ()

    def first_slot_at(self) -> datetime | None:
        """When it first had a time (booked with one, or assigned by the optimizer), counted
        from when it became this determination's P2P."""
        for event in self.events:
            if event.status == "scheduled" and event.start_at is not None:
                return max(event.at, self.booked_at)
        return None

    def last(self, event_name: str) -> datetime | None:
        found = [event.at for event in self.events if event.event == event_name]
        return found[-1] if found else None


@dataclass(frozen=True, slots=True)
class NoShow:
    party: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Cancel:
    reason_code: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Period:
    """One determination's P2P (``determination_at`` None: before any determination)."""

    determination_at: datetime | None
    offered_at: datetime | None = None
    requested_at: datetime | None = None
    scheduled_at: datetime | None = None
    held_at: datetime | None = None
    outcome: str | None = None
    reviewer_id: str | None = None
    booking_ids: tuple[str, ...] = ()
    no_shows: tuple[NoShow, ...] = field(default=())
    cancels: tuple[Cancel, ...] = field(default=())


def _earliest(*values: datetime | None) -> datetime | None:
    present = [value for value in values if value is not None]
    return min(present) if present else None


def periods(
    *,
    determinations: Iterable[datetime],
    offers: Mapping[datetime | None, datetime],
    bookings: Iterable[CaseBooking],
) -> list[Period]:
    """The record's periods, oldest first: one per determination the case has had, and one
    before the first when anything happened then (or when the case has had none).

    ``offers`` maps a determination (None: before any) to when a P2P was first offered under
    it. A booking made before offers were recorded still dates its period's offer: nobody
    requests a P2P before being offered one, so ``offered_at`` is at latest ``requested_at``.
    """
    instants = sorted({*determinations, *(key for key in offers if key is not None)})
    grouped: dict[datetime | None, list[CaseBooking]] = {}
    for booking in sorted(bookings, key=lambda b: (b.booked_at, b.booking_id)):
        index = bisect.bisect_right(instants, booking.booked_at)
        grouped.setdefault(instants[index - 1] if index else None, []).append(booking)
    keys: list[datetime | None] = list(instants)
    if not instants or None in offers or None in grouped:
        keys.insert(0, None)
    return [_period(key, offers.get(key), grouped.get(key, [])) for key in keys]


def _period(
    determination_at: datetime | None, offered_at: datetime | None, bookings: list[CaseBooking]
) -> Period:
    requested_at = bookings[0].booked_at if bookings else None
    held = [b for b in bookings if b.status == "completed"]
    last_held = max(held, key=lambda b: b.start_at or b.booked_at) if held else None
    no_shows = sorted(
        (
            NoShow(b.no_show_party or "", b.last("no_show") or b.booked_at)
            for b in bookings
            if b.status == "no_show"
        ),
        key=lambda item: item.at,
    )
    cancels = sorted(
        (
            Cancel(b.cancel_reason_code or "", b.last("cancelled") or b.booked_at)
            for b in bookings
            if b.status == "cancelled"
        ),
        key=lambda item: item.at,
    )
    return Period(
        determination_at=determination_at,
        offered_at=_earliest(offered_at, requested_at),
        requested_at=requested_at,
        scheduled_at=_earliest(*(b.first_slot_at() for b in bookings)),
        held_at=last_held.start_at if last_held else None,
        outcome=last_held.outcome if last_held else None,
        reviewer_id=last_held.reviewer_id if last_held else None,
        booking_ids=tuple(b.booking_id for b in bookings),
        no_shows=tuple(no_shows),
        cancels=tuple(cancels),
    )
