"""P2P records (SPEC §12): when a P2P was offered, and a case's record per determination.

``record_offers`` is called by the use cases that offer a P2P (the look-up, an availability
search, a request: a booking or a pending one) inside their own transaction, when it happens:
the first offer per case and determination is kept, later ones change nothing. Nothing of
the look-up but the case number and the determination it was made under is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from p2p_scheduler.db import case_history, repo
from p2p_scheduler.db.engine import Engine, Session, transaction
from p2p_scheduler.domain.eligibility import CaseEligibility
from p2p_scheduler.domain.errors import NotFound
from p2p_scheduler.domain.p2p_record import Period, periods


@dataclass(frozen=True, slots=True)
class P2PRecord:
    case_number: str
    periods: tuple[Period, ...]


def record_offers(session: Session, answers: Iterable[CaseEligibility], *, now: datetime) -> None:
    """Note, in the caller's transaction, that a P2P was offered at ``now`` for each case the
    answers call eligible (a case not found, refused or already held is offered nothing)."""
    for answer in answers:
        if answer.found and answer.eligible:
            case_history.record_offer(session, answer.case_number, answer.determination_at, now=now)


def p2p_record(*, engine: Engine, case_number: str) -> P2PRecord:
    """The case's record; ``NotFound`` for an unknown case, as every case route answers."""
    with transaction(engine) as session:
        case = repo.get_case(session, case_number)
        if case is None:
            raise NotFound(f"No case {case_number!r} exists.")
        determinations = case_history.determinations(session, case_number)
        if case.determination_at is not None:
            determinations.append(case.determination_at)
        offers = case_history.offers(session, case_number)
        bookings = case_history.case_bookings(session, case_number)
    return P2PRecord(
        case_number=case_number,
        periods=tuple(periods(determinations=determinations, offers=offers, bookings=bookings)),
    )
