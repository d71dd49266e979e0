"""Dependencies: the app's settings, engine, policy and clock, set up once in the lifespan."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from p2p_scheduler.booking import Limits
from p2p_scheduler.config import Settings
from p2p_scheduler.notifications import Notifier
from p2p_scheduler.policy import Policy


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
