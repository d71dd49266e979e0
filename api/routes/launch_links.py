"""Launch links (SPEC §14): a back end (or a provider's own sign-in) makes a single-use URL
that opens the provider pages with cases looked up; the pages, once signed in, redeem it.

The redeem takes the link's id in the body, not the path, so that it never appears in an
access log, and counts an unknown id as a failure of the caller's address (like a forged
calendar or manage token): guessing ids is throttled with bad keys.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from api.auth import Principal, provider_org_of, require, require_json
from api.deps import EngineDep, NowDep, PolicyDep, SettingsDep
from api.problems import responses
from api.ratelimit import client_address, limiter_of
from api.schemas.eligibility import EligibilityOut
from api.schemas.launch_links import (
    LaunchCaseOut,
    LaunchLinkIn,
    LaunchLinkOut,
    LaunchOut,
    RedeemIn,
)
from p2p_scheduler.domain.errors import NotFound
from p2p_scheduler.domain.launch_links import LaunchCase, LaunchContent
from p2p_scheduler.services import launch_links

router = APIRouter(prefix="/v1", tags=["launch links"])
PortalKey = Annotated[Principal, Depends(require("portal"))]


@router.post(
    "/launch-links",
    status_code=201,
    response_model=LaunchLinkOut,
    summary="Make a single-use link that opens the provider pages with these cases looked up",
    dependencies=[Depends(require_json)],
    responses=responses(401, 403, 415, 422),
)
def create_launch_link(
    body: LaunchLinkIn,
    principal: PortalKey,
    engine: EngineDep,
    policy: PolicyDep,
    settings: SettingsDep,
    now: NowDep,
    response: Response,
) -> LaunchLinkOut:
    created = launch_links.create(
        engine=engine,
        policy=policy,
        now=now,
        content=LaunchContent(
            cases=tuple(LaunchCase(c.case_number, c.member_dob) for c in body.cases),
            time_zone=body.time_zone,
        ),
        provider_org=provider_org_of(principal, body.provider_org),
        created_by=principal.key_id,
    )
    response.headers["Cache-Control"] = "no-store"
    return LaunchLinkOut(
        url=f"{settings.public_base_url}/portal/#launch={created.link_id}",
        expires_at=created.expires_at,
    )


@router.post(
    "/launch-links/redeem",
    response_model=LaunchOut,
    summary="Open a launch link once: its cases, their look-up as of now, and its time zone",
    dependencies=[Depends(require_json)],
    responses=responses(401, 403, 404, 410, 415, 422),
)
def redeem_launch_link(
    body: RedeemIn,
    principal: PortalKey,
    request: Request,
    engine: EngineDep,
    policy: PolicyDep,
    now: NowDep,
) -> LaunchOut:
    try:
        opened = launch_links.redeem(
            engine=engine, policy=policy, now=now, link_id=body.link_id, scope=principal.scope
        )
    except NotFound:
        limiter = limiter_of(request)
        if limiter is not None:
            limiter.count_failure(client_address(request))
        raise
    return LaunchOut(
        cases=[
            LaunchCaseOut(case_number=c.case_number, member_dob=c.member_dob)
            for c in opened.content.cases
        ],
        time_zone=opened.content.time_zone,
        eligibility=EligibilityOut.of(opened.eligibility),
    )
