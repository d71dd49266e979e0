"""The FastAPI application factory."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import Depends, FastAPI
from starlette.middleware.gzip import GZipMiddleware

from api import problems
from api.fhir import router as fhir
from api.middleware import RequestMiddleware
from api.paths import text_in_url
from api.ratelimit import RateLimiter
from api.routes import (
    agenda,
    audit,
    availability,
    bookings,
    calendars,
    case_records,
    cases,
    demo,
    docs,
    eligibility,
    health,
    launch_links,
    optimizer,
    portal,
    reports,
    reviewers,
)
from api.schemas.scheduling import declare_provider_roles
from p2p_scheduler import __version__
from p2p_scheduler.config import Settings, load_settings
from p2p_scheduler.db.engine import Engine, make_engine
from p2p_scheduler.domain.clock import Clock, system_clock
from p2p_scheduler.domain.policy import Policy, load_policy
from p2p_scheduler.identity import verifier_for
from p2p_scheduler.services import at_risk, delivery
from p2p_scheduler.services.notifications import Notifier

DESCRIPTION = f"""
Schedules peer-to-peer (P2P) clinical consultations between requesting providers and
health-plan reviewer physicians in prior authorization.

**Auth**: `Authorization: Bearer <key>` with keys from `P2P_API_KEYS` (roles `admin`,
`portal`, `reviewer`; an admin key may call everything).

**Errors** are `application/problem+json` (RFC 9457) with a `detail` saying what to do and,
for validation, `errors: [{{field, message}}]`. Problem `type` URIs, all under
`{problems.PROBLEM_BASE}`:

| type | status | when |
|---|---|---|
""" + "\n".join(
    f"| `{problems.PROBLEM_BASE}{kind}` | {status} | {title} |"
    for kind, (status, title) in problems.KINDS.items()
)

#: Below this an answer is sent as it is: a gzip header and trailer cost 18 bytes and the
#: compression saves little on a short body (SPEC §7 problems and bookings are smaller).
GZIP_MINIMUM_BYTES = 1000
#: zlib level, measured on a busy week of availability (538 kB of JSON, README Performance):
#: levels 1–3 take about 2 ms (57, 51, 28 kB), 5 about 5–6 ms (28 kB), 6 about 6–9 ms
#: (15 kB), 9 about 16–20 ms (13 kB). Level 3 is the knee: level 5's size at level 1's
#: time, and compression runs on every request's critical path.
GZIP_LEVEL = 3


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    policy: Policy | None = None,
    clock: Clock = system_clock,
) -> FastAPI:
    """Build the app. Raises ``PolicyError`` for a bad policy file, before serving anything."""
    engine = engine or make_engine(settings.database_url)
    policy = policy or load_policy(settings.policy_file)

    notifier = Notifier.from_settings(settings, policy)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # SPEC §8: ``serve`` delivers the outbox in-process (a thread: delivery blocks on
        # SMTP and HTTP); ``p2p-scheduler worker`` does the same job standalone.
        stop = threading.Event()
        worker = None
        transports = delivery.transports_for(
            settings.smtp_url,
            settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
            settings.demo_maildir,
        )
        if settings.deliver_in_process and transports:
            worker = threading.Thread(
                target=delivery.run,
                args=(engine, transports, clock, stop),
                kwargs={
                    "settings": delivery.DeliverySettings(
                        lease=timedelta(seconds=settings.outbox_lease_seconds)
                    )
                },
                name="outbox-delivery",
                daemon=True,
            )
            worker.start()
        scanner = None
        if settings.deliver_in_process and transports and settings.webhook_urls:
            # SPEC §12: cases entering the at-risk list are announced by whichever process
            # scans first, ``serve`` included, so a deployment without workers gets them too
            scanner = threading.Thread(
                target=at_risk.run,
                kwargs={
                    "engine": engine,
                    "policy": policy,
                    "within": settings.at_risk_within,
                    "webhook_urls": [str(url) for url in settings.webhook_urls],
                    "clock": clock,
                    "interval_seconds": settings.at_risk_scan_seconds,
                    "stop": stop,
                },
                name="at-risk",
                daemon=True,
            )
            scanner.start()
        try:
            yield
        finally:
            stop.set()
            for thread in (worker, scanner):
                if thread is not None:
                    thread.join(timeout=30)
            engine.dispose()

    app = FastAPI(
        title="P2P Scheduler",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(text_in_url)],
        docs_url=None,  # served by api.routes.docs with local assets: no CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.policy = policy
    app.state.clock = clock
    app.state.notifier = notifier
    app.state.token_verifier = verifier_for(settings)
    app.state.rate_limiter = RateLimiter.of(settings)
    # gzip for answers of GZIP_MINIMUM_BYTES and more when the client accepts it (browsers
    # and httpx do): a busy week of availability is about 0.5 MB of JSON. Added first, so
    # it runs *inside* RequestMiddleware: the request id still goes on every answer and
    # the latency metric and log line include the compression. Small answers (most
    # problems, /health, a 304's empty body) pass through untouched, and a calendar 304
    # is still decided by the route on the identity ETag.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)
    app.add_middleware(
        RequestMiddleware,
        max_body_bytes=settings.max_body_bytes,
        body_timeout_seconds=settings.body_timeout_seconds,
    )
    problems.install(app)
    for module in (
        health,
        case_records,
        cases,
        reviewers,
        eligibility,
        launch_links,
        availability,
        bookings,
        calendars,
        optimizer,
        audit,
        reports,
        agenda,
        portal,
        docs,
    ):
        app.include_router(module.router)
    app.include_router(fhir.router)  # SPEC §13: /fhir/r4, beside /v1
    if settings.demo_token_key is not None:
        app.include_router(demo.router)
    app.mount("/portal/static", portal.static, name="portal-static")
    app.mount(docs.STATIC_PATH, docs.static, name="docs-static")
    _declare_policy_codes(app, policy)
    return app


def _declare_policy_codes(app: FastAPI, policy: Policy) -> None:
    """The OpenAPI of this app lists the provider roles of *its* policy as an ``enum``
    (SPEC §9: every code list is an enum; this one is configurable, so it is filled in
    here rather than written in the schema types)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            declare_provider_roles(build(), policy.provider_roles)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_environment() -> FastAPI:
    """The app configured from ``P2P_*`` variables (what ``p2p-scheduler serve`` runs)."""
    return create_app(load_settings(Settings))
