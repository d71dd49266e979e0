"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from api.deps import EngineDep
from api.errors import ApiProblem
from api.problems import responses
from p2p_scheduler import metrics
from p2p_scheduler.db import migrate
from p2p_scheduler.db.engine import DatabaseError

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    database: str
    revision: str


@router.get("/health", response_model=Health, summary="Liveness: the process answers")
def health() -> Health:
    return Health(status="ok")


@router.get(
    "/ready",
    response_model=Ready,
    summary="Readiness: database reachable and migrations at head",
    responses=responses(503),
)
async def ready(engine: EngineDep) -> Ready:
    try:
        state = await run_in_threadpool(migrate.status, engine)
    except DatabaseError as error:
        raise ApiProblem(
            "not-ready",
            f"The database cannot be reached ({type(error).__name__}); check P2P_DATABASE_URL.",
        ) from None
    if not state.at_head:
        raise ApiProblem(
            "not-ready",
            f"The database schema is at revision {state.current or 'none'} but the code needs "
            f"{state.head}; run 'p2p-scheduler migrate'.",
        )
    return Ready(status="ready", database=engine.dialect.name, revision=state.head)


@router.get(
    "/metrics",
    include_in_schema=False,  # Prometheus' text format, for scrapers inside the network
    response_class=Response,
)
async def prometheus_metrics(request: Request, engine: EngineDep) -> Response:
    """Prometheus exposition: no PHI, no ids (route templates only), so no key is needed."""
    body, content_type = await run_in_threadpool(
        metrics.exposition, engine, request.app.state.clock
    )
    return Response(content=body, media_type=content_type)
