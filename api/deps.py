"""Dependencies: the app's settings, engine, policy and clock, set up once in the lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from p2p_scheduler.config import Settings
from p2p_scheduler.db.engine import Engine
from p2p_scheduler.domain.booking_document import BookingOut
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.services.booking import BookingView, Limits
from p2p_scheduler.services.notifications import Notifier, booking_document


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_policy(request: Request) -> Policy:
    return request.app.state.policy


def get_now(request: Request) -> datetime:
    return request.app.state.clock()


def get_notifier(request: Request) -> Notifier:
    return request.app.state.notifier


def get_limits(request: Request) -> Limits:
    return Limits.from_settings(request.app.state.settings)


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
PolicyDep = Annotated[Policy, Depends(get_policy)]
NowDep = Annotated[datetime, Depends(get_now)]
LimitsDep = Annotated[Limits, Depends(get_limits)]
NotifierDep = Annotated[Notifier, Depends(get_notifier)]


@dataclass(frozen=True, slots=True)
class BookingPresenter:
    """Turns a booking into its answer: with its signed links (as of now) and the policy's
    level-of-review labels, the same on every route."""

    notifier: Notifier
    policy: Policy
    now: datetime

    def __call__(self, view: BookingView, *, links: bool = True) -> BookingOut:
        return booking_document(
            view,
            self.notifier.links(view, self.now) if links else None,
            self.policy.level_labels,
            self.policy.outcome_labels,
        )


def get_presenter(request: Request, now: NowDep) -> BookingPresenter:
    return BookingPresenter(request.app.state.notifier, request.app.state.policy, now)


PresentDep = Annotated[BookingPresenter, Depends(get_presenter)]
