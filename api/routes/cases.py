"""Case snapshots pushed by the UM core system (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from api.auth import Principal, require, require_json
from api.deps import EngineDep, NotifierDep, NowDep, PolicyDep
from api.paths import CaseNumber
from api.problems import responses
from api.schemas.common import IDENTIFIER
from api.schemas.records import CaseIn, CaseOut, case_snapshot
from p2p_scheduler.services import records

router = APIRouter(prefix="/v1/cases", tags=["cases"], dependencies=[Depends(require("admin"))])

#: PUT creates the case: a case number that cannot be stored is the UM system's mistake to
#: fix, so a wrong shape stays a 422 naming ``case_number``. GET addresses an existing case,
#: and there a wrong shape is an unknown case: 404 (``api.paths``).
NewCaseNumber = Path(pattern=IDENTIFIER, description="case number")


@router.put(
    "/{case_number}",
    response_model=CaseOut,
    summary="Create or replace a case snapshot",
    dependencies=[Depends(require_json)],
    responses={201: {"model": CaseOut, "description": "Created"}, **responses(401, 403, 415, 422)},
)
def put_case(
    body: CaseIn,
    response: Response,
    engine: EngineDep,
    policy: PolicyDep,
    principal: Annotated[Principal, Depends(require("admin"))],
    now: NowDep,
    notifier: NotifierDep,
    case_number: str = NewCaseNumber,
) -> CaseOut:
    """Bookings holding the case follow it in the same transaction (SPEC §14)."""
    stored, created = records.put_case(
        engine=engine,
        case=case_snapshot(case_number, body),
        policy_zone=policy.time_zone,
        actor=principal.key_id,
        now=now,
        policy=policy,
        announcer=notifier,
    )
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/v1/cases/{case_number}"
    return CaseOut.of(stored)


@router.get(
    "/{case_number}",
    response_model=CaseOut,
    summary="Read a case snapshot",
    responses=responses(401, 403, 404, 422),
)
def get_case(engine: EngineDep, case_number: CaseNumber) -> CaseOut:
    return CaseOut.of(records.get_case(engine=engine, case_number=case_number))
