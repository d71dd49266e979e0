"""Operations' reads about cases (SPEC §12): the at-risk list and a case's P2P record.

Read-only, for ``ops`` and ``admin`` (keys and tokens). Registered before ``cases`` so that
``/v1/cases/at-risk`` is this list, not a case numbered "at-risk".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import require
from api.deps import EngineDep, NowDep, PolicyDep
from api.paths import CaseNumber
from api.problems import responses
from api.schemas.case_records import AtRiskItemOut, AtRiskOut, P2PRecordOut
from p2p_scheduler.domain.at_risk import DEFAULT_WITHIN
from p2p_scheduler.services import at_risk, p2p_record

router = APIRouter(prefix="/v1/cases", tags=["cases"], dependencies=[Depends(require("ops"))])


@router.get(
    "/at-risk",
    response_model=AtRiskOut,
    summary="Cases whose P2P window closes soon and that no booking or request holds (ops, admin)",
    responses=responses(401, 403, 422),
)
def cases_at_risk(
    engine: EngineDep,
    policy: PolicyDep,
    now: NowDep,
    within: Annotated[
        str | None,
        Query(
            max_length=40,
            description="how far ahead to look: an ISO 8601 duration of at most P30D "
            f"(default {DEFAULT_WITHIN}); empty means the default",
        ),
    ] = None,
) -> AtRiskOut:
    period = at_risk.within_of(within.strip() if within and within.strip() else DEFAULT_WITHIN)
    items = at_risk.list_at_risk(engine=engine, policy=policy, now=now, within=period)
    return AtRiskOut(items=[AtRiskItemOut.of(item) for item in items])


@router.get(
    "/{case_number}/p2p-record",
    response_model=P2PRecordOut,
    summary="When a P2P was offered, requested, scheduled and held, per determination (ops, admin)",
    responses=responses(401, 403, 404, 422),
)
def case_p2p_record(engine: EngineDep, case_number: CaseNumber) -> P2PRecordOut:
    return P2PRecordOut.of(p2p_record.p2p_record(engine=engine, case_number=case_number))
