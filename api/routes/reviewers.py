"""Reviewer profiles: skills, licences, zone, weekly hours, daily cap (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Response

from api.auth import require, require_json
from api.deps import EngineDep
from api.problems import responses
from api.schemas.common import IDENTIFIER
from api.schemas.records import ReviewerIn, ReviewerOut
from p2p_scheduler import records

router = APIRouter(
    prefix="/v1/reviewers", tags=["reviewers"], dependencies=[Depends(require("admin"))]
)

ReviewerPath = Path(pattern=IDENTIFIER, description="reviewer id")


@router.put(
    "/{reviewer_id}",
    response_model=ReviewerOut,
    summary="Create or replace a reviewer",
    dependencies=[Depends(require_json)],
    responses={
        201: {"model": ReviewerOut, "description": "Created"},
        **responses(401, 403, 415, 422),
    },
)
def put_reviewer(
    body: ReviewerIn, response: Response, engine: EngineDep, reviewer_id: str = ReviewerPath
) -> ReviewerOut:
    stored, created = records.put_reviewer(engine=engine, profile=body.profile(reviewer_id))
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/v1/reviewers/{reviewer_id}"
    return ReviewerOut.of(stored)


@router.get(
    "/{reviewer_id}",
    response_model=ReviewerOut,
    summary="Read a reviewer",
    responses=responses(401, 403, 404, 422),
)
def get_reviewer(engine: EngineDep, reviewer_id: str = ReviewerPath) -> ReviewerOut:
    return ReviewerOut.of(records.get_reviewer(engine=engine, reviewer_id=reviewer_id))
