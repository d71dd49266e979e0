"""Eligibility look-up (portal). A POST, because the body carries the member's DOB."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.auth import Principal, require, require_json
from api.deps import EngineDep, NowDep, PolicyDep
from api.problems import responses
from api.schemas.eligibility import EligibilityIn, EligibilityOut
from p2p_scheduler.services.lookup import check_eligibility

router = APIRouter(prefix="/v1", tags=["eligibility"])


@router.post(
    "/eligibility",
    response_model=EligibilityOut,
    summary="Look up one or more cases and tell whether a P2P can be scheduled",
    dependencies=[Depends(require_json)],
    responses=responses(401, 403, 415, 422),
)
def eligibility(
    body: EligibilityIn,
    principal: Annotated[Principal, Depends(require("portal"))],
    engine: EngineDep,
    policy: PolicyDep,
    now: NowDep,
) -> EligibilityOut:
    result = check_eligibility(
        engine=engine,
        policy=policy,
        now=now,
        cases=[(c.case_number, c.member_dob) for c in body.cases],
        scope=principal.scope,
        zone=body.time_zone,
    )
    return EligibilityOut.of(result)
