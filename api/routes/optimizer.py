"""Requests without a slot, and optimizer runs that assign them (SPEC §6, §7)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from api.auth import Principal, provider_org_of, require, require_json
from api.deps import EngineDep, LimitsDep, NotifierDep, NowDep, PolicyDep, PresentDep, SettingsDep
from api.problems import responses
from api.schemas.scheduling import BookingOut, OptimizerRunOut, P2PRequestIn, UnassignedOut
from p2p_scheduler.services import optimizer, p2p_requests

router = APIRouter(prefix="/v1", tags=["optimizer"])


@router.post(
    "/p2p-requests",
    response_model=BookingOut,
    status_code=201,
    summary="Submit cases and preferences without a slot; an optimizer run assigns them",
    dependencies=[Depends(require_json)],
    responses=responses(401, 403, 409, 415, 422),
)
def submit_request(
    body: P2PRequestIn,
    principal: Annotated[Principal, Depends(require("portal"))],
    engine: EngineDep,
    policy: PolicyDep,
    limits: LimitsDep,
    now: NowDep,
    present: PresentDep,
) -> BookingOut:
    view = p2p_requests.submit(
        engine=engine,
        policy=policy,
        limits=limits,
        now=now,
        cases=tuple((c.case_number, c.member_dob) for c in body.cases),
        time_zone=body.time_zone,
        days=frozenset(body.preferences.days),
        hours=frozenset(body.preferences.hours),
        contact=body.contact.contact(policy.provider_roles),
        actor=principal.key_id,
        provider_org=provider_org_of(principal, body.provider_org),
        scope=principal.scope,
    )
    return present(view)


@router.post(
    "/optimizer/runs",
    response_model=OptimizerRunOut,
    summary="Assign every pending request now (time-limited CP-SAT run)",
    dependencies=[Depends(require("admin"))],
    responses=responses(401, 403, 422),
)
async def run_optimizer(
    settings: SettingsDep,
    engine: EngineDep,
    policy: PolicyDep,
    limits: LimitsDep,
    now: NowDep,
    notifier: NotifierDep,
) -> OptimizerRunOut:
    # The search is CPU-bound and time-limited: outside the event loop.
    report = await run_in_threadpool(
        lambda: optimizer.run(
            engine=engine,
            policy=policy,
            limits=limits,
            now=now,
            time_limit_seconds=settings.optimizer_time_limit_seconds,
            workers=settings.optimizer_workers,
            announcer=notifier,
        )
    )
    return OptimizerRunOut(
        status=report.status,
        assigned=report.assigned,
        unassigned=[
            UnassignedOut(booking_id=u.booking_id, reason=u.reason) for u in report.unassigned
        ],
        objective=report.objective,
        bound=report.bound,
        solve_seconds=report.solve_seconds,
        gap_pct=report.gap_pct,
        method=report.method,
    )
