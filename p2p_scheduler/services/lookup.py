"""The eligibility look-up use case: stored snapshots + policy + now → the answer.

The date of birth is the knowledge factor of the seeds' look-up; a wrong one gets exactly
the answer an unknown case number gets, so the endpoint cannot be used to probe cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from p2p_scheduler.db import repo
from p2p_scheduler.db.engine import Engine, Session, transaction
from p2p_scheduler.domain.access import EVERYTHING, Scope
from p2p_scheduler.domain.eligibility import (
    RequestEligibility,
    evaluate_case,
    evaluate_request,
    with_booked_cases,
)
from p2p_scheduler.domain.errors import InvalidInput
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.services import p2p_record


def evaluate_lookups(
    session: Session,
    *,
    policy: Policy,
    now: datetime,
    cases: Sequence[tuple[str, date]],
    scope: Scope = EVERYTHING,
) -> RequestEligibility:
    """Eligibility of ``cases`` (case number, member DOB) at ``now``, read in ``session``;
    ``scope`` decides which of the cases' bookings the caller may see named.

    Shared by the look-up endpoint and by every use case that re-checks a request.
    """
    if len(cases) > policy.max_cases_per_request:
        raise InvalidInput(
            f"A P2P request can cover at most {policy.max_cases_per_request} cases; "
            f"{len(cases)} were given.",
            field="cases",
        )
    numbers = [number for number, _ in cases]
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        raise InvalidInput(f"Case {', '.join(repeated)} is listed more than once.", field="cases")
    stored = repo.get_cases_with_history(session, cases, scope=scope)
    results = [
        evaluate_case(number, dob, stored.get(number), policy=policy, now=now)
        for number, dob in cases
    ]
    return evaluate_request(results, policy=policy)


def check_eligibility(
    *,
    engine: Engine,
    policy: Policy,
    now: datetime,
    cases: list[tuple[str, date]],
    scope: Scope = EVERYTHING,
    zone: str | None = None,
) -> RequestEligibility:
    """Eligibility of a request for ``cases`` (case number, member DOB) at ``now``, as the
    look-up answers it: a case already in a P2P is named with it (its time in ``zone``) and
    offers no new one. Each case it calls eligible was offered a P2P now (SPEC §12)."""
    with transaction(engine) as session:
        request = evaluate_lookups(session, policy=policy, now=now, cases=cases, scope=scope)
        answer = with_booked_cases(request, policy=policy, zone=zone)
        p2p_record.record_offers(session, answer.cases, now=now)
    return answer
